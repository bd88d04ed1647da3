//! The profile sections of the pupil page: values for readers, a form for writers.

use super::{FIELDS, Field, Kind, ProfileView, SEXES, sex_label};
use crate::permissions::DataGroup;
use crate::pupils::page::Ctx;
use crate::pupils::scope::PupilAccess;
use crate::pupils::{Submitted, date_de, pupil_path};
use crate::web::page::csrf_field;
use chrono::NaiveDate;
use maud::{Markup, html};

fn display(f: &Field, value: &str) -> Markup {
    if value.is_empty() {
        return html! { span.empty { "–" } };
    }
    html! {
        @match f.kind {
            Kind::Date => { (NaiveDate::parse_from_str(value, "%Y-%m-%d").map(date_de).unwrap_or_else(|_| value.to_owned())) }
            Kind::Sex => { (sex_label(value)) }
            Kind::Address => { span.multiline { @for (i, line) in value.lines().enumerate() { @if i > 0 { br; } (line) } } }
            _ => { (value) }
        }
    }
}

fn input(f: &Field, value: &str, sub: &Submitted) -> Markup {
    let value = sub.or(f.id, value);
    let (invalid, described) = (sub.aria_invalid(f.id), sub.described(f.id));
    html! {
        label for=(f.id) { (f.label) }
        @match f.kind {
            Kind::Sex => {
                select id=(f.id) name=(f.id) aria-invalid=[invalid] aria-describedby=[described] {
                    @for (code, label) in SEXES { option value=(code) selected[value == code] { (label) } }
                }
            }
            Kind::Address => {
                textarea id=(f.id) name=(f.id) rows="3" maxlength="300" aria-invalid=[invalid] aria-describedby=[described] { (value) }
            }
            Kind::Date => {
                input id=(f.id) name=(f.id) type="date" value=(value) aria-invalid=[invalid] aria-describedby=[described];
            }
            Kind::Email => {
                input id=(f.id) name=(f.id) type="email" maxlength="254" value=(value) aria-invalid=[invalid] aria-describedby=[described];
            }
            Kind::Phone => {
                input id=(f.id) name=(f.id) type="tel" maxlength="40" value=(value) aria-invalid=[invalid] aria-describedby=[described];
            }
            Kind::Text => {
                input id=(f.id) name=(f.id) type="text" maxlength="300" value=(value) aria-invalid=[invalid] aria-describedby=[described];
            }
        }
        (sub.messages(f.id))
    }
}

/// The section of one profile group: its values if the user may read them, its form if the
/// user may change them.
pub fn section(
    ctx: &Ctx<'_>,
    access: &PupilAccess,
    group: DataGroup,
    view: &ProfileView,
) -> Markup {
    let title = match group {
        DataGroup::PersonalData => "Persönliche Daten",
        DataGroup::Contact => "Kontakt",
        _ => "Ausbildungsbetrieb",
    };
    let fields: Vec<(usize, &Field)> = FIELDS
        .iter()
        .enumerate()
        .filter(|(_, f)| f.group == group)
        .collect();
    html! {
        section id=(group.key()) {
            h2 { (title) }
            @if access.read(group).is_some() {
                dl {
                    @for (i, f) in &fields {
                        dt { (f.label) }
                        dd data-field=(f.id) { (display(f, view.get(*i))) }
                    }
                }
            }
            @if access.may_write(group) {
                details open[fields.iter().any(|(_, f)| ctx.sub.value(f.id).is_some())] {
                    summary { (title) " ändern" }
                    form.stack method="post" action={ (pupil_path(access.pupil.id)) "/stammdaten" } {
                        (csrf_field(ctx.csrf))
                        @for (i, f) in &fields { (input(f, view.get(*i), ctx.sub)) }
                        button type="submit" { "Speichern" }
                    }
                }
            }
        }
    }
}
