//! The inputs of the structure forms: label, input and the field's messages together, with
//! `aria-invalid` and `aria-describedby` when the field has a problem, and the summary of
//! all problems above the forms.

use super::FormState;
use maud::{Markup, html};

/// The list of all problems at the top of a form, each linking to its field.
pub fn error_summary(fs: &FormState) -> Markup {
    html! {
        @if !fs.errors.is_empty() {
            div.flash.err role="alert" id="fehler" {
                p { "Bitte prüfen Sie Ihre Eingaben – es wurde nichts gespeichert:" }
                ul { @for e in &fs.errors { li { a href={ "#" (e.id) } { (e.message) } } } }
            }
        }
    }
}

fn described(fs: &FormState, id: &str) -> Option<String> {
    fs.invalid(id).then(|| format!("{id}-fehler"))
}

fn aria_invalid(fs: &FormState, id: &str) -> Option<&'static str> {
    fs.invalid(id).then_some("true")
}

/// The messages of one field, referenced by its `aria-describedby`.
fn field_errors(fs: &FormState, id: &str) -> Markup {
    html! {
        @if fs.invalid(id) {
            p.field-error id={ (id) "-fehler" } {
                @for e in fs.errors.iter().filter(|e| e.id == id) { (e.message) " " }
            }
        }
    }
}

/// A labelled text input.
pub fn text_input(fs: &FormState, id: &str, label: &str, max: usize) -> Markup {
    html! {
        label for=(id) { (label) }
        input id=(id) name=(id) type="text" required maxlength=(max) value=(fs.value(id))
            aria-invalid=[aria_invalid(fs, id)] aria-describedby=[described(fs, id)];
        (field_errors(fs, id))
    }
}

/// A labelled date input; `required` false for open ends.
pub fn date_input(fs: &FormState, id: &str, label: &str, required: bool) -> Markup {
    html! {
        label for=(id) { (label) @if !required { " (optional)" } }
        input id=(id) name=(id) type="date" required[required] value=(fs.value(id))
            aria-invalid=[aria_invalid(fs, id)] aria-describedby=[described(fs, id)];
        (field_errors(fs, id))
    }
}

/// A labelled time input (`HH:MM`).
pub fn time_input(fs: &FormState, id: &str, label: &str) -> Markup {
    html! {
        label for=(id) { (label) }
        input id=(id) name=(id) type="time" value=(fs.value(id))
            aria-invalid=[aria_invalid(fs, id)] aria-describedby=[described(fs, id)];
        (field_errors(fs, id))
    }
}

/// A labelled number input.
pub fn number_input(fs: &FormState, id: &str, label: &str, min: i16, max: i16) -> Markup {
    html! {
        label for=(id) { (label) }
        input id=(id) name=(id) type="number" required min=(min) max=(max) value=(fs.value(id))
            aria-invalid=[aria_invalid(fs, id)] aria-describedby=[described(fs, id)];
        (field_errors(fs, id))
    }
}

/// A labelled select of `(value, text)` options; `empty` names the empty choice, if any.
pub fn select_input(
    fs: &FormState,
    id: &str,
    label: &str,
    options: &[(String, String)],
    empty: Option<&str>,
) -> Markup {
    let selected = fs.value(id);
    html! {
        label for=(id) { (label) }
        select id=(id) name=(id) required[empty.is_none()]
            aria-invalid=[aria_invalid(fs, id)] aria-describedby=[described(fs, id)] {
            @if let Some(text) = empty { option value="" selected[selected.is_empty()] { (text) } }
            @else { option value="" disabled selected[selected.is_empty()] { "– bitte wählen –" } }
            @for (value, text) in options {
                option value=(value) selected[selected == value] { (text) }
            }
        }
        (field_errors(fs, id))
    }
}

/// An inline form that ends the row `row` on a date (its last day).
pub fn end_form(fs: &FormState, csrf: &str, action: &str, row: i64, what: &str) -> Markup {
    let id = format!("ende_{row}");
    let id = id.as_str();
    html! {
        form method="post" action=(action) {
            (crate::web::page::csrf_field(csrf))
            input type="hidden" name="eintrag" value=(row);
            label for=(id) { "Letzter Tag" }
            " "
            input id=(id) name="ende" type="date" required value=(fs.value(id))
                aria-invalid=[aria_invalid(fs, id)] aria-describedby=[described(fs, id)];
            " "
            button.secondary type="submit" title=(what) { "Beenden" }
            (field_errors(fs, id))
        }
    }
}
