//! Views of the absence page and the class overview. They never query; what a role may not
//! see is not rendered at all (absent from the HTML, not hidden).

use super::form::{AttestForm, CaseForm, Excuse, FieldError, Reason};
use super::{ClassAccess, Note, PageData, fehlzeiten_path, statistik_path};
use crate::db::absences::{AbsenceCase, ClassPupil, ClassRow};
use crate::register::lesson::date_label;
use crate::school::forms::de_date;
use crate::web::page::csrf_field;
use chrono::NaiveDate;
use maud::{Markup, html};
use std::collections::HashMap;

/// What the absence page is rendered from.
pub struct PageView<'a> {
    pub acc: &'a ClassAccess,
    pub csrf: &'a str,
    pub data: &'a PageData,
    pub case_form: &'a CaseForm,
    pub attest_form: &'a AttestForm,
    pub errors: &'a [FieldError],
}

/// A class in the overview.
pub struct ClassLink {
    pub class: ClassRow,
    pub statistics: bool,
}

/// "Mo, 15.02.2027, 3.–4. Stunde" or "Mo, 08.02.2027 – Mi, 10.02.2027".
pub fn span_label(c: &AbsenceCase) -> String {
    if c.from_date == c.to_date {
        let periods = match (c.from_period, c.to_period) {
            (Some(p), Some(q)) if p == q => format!(", {p}. Stunde"),
            (Some(p), Some(q)) => format!(", {p}.–{q}. Stunde"),
            (Some(p), None) => format!(", ab {p}. Stunde"),
            (None, Some(q)) => format!(", bis {q}. Stunde"),
            (None, None) => String::new(),
        };
        return format!("{}{periods}", date_label(c.from_date));
    }
    let from = match c.from_period {
        Some(p) => format!("{} (ab {p}. Stunde)", date_label(c.from_date)),
        None => date_label(c.from_date),
    };
    let to = match c.to_period {
        Some(q) => format!("{} (bis {q}. Stunde)", date_label(c.to_date)),
        None => date_label(c.to_date),
    };
    format!("{from} – {to}")
}

fn reason_label(db: &str) -> &str {
    Reason::parse(db).map(Reason::label).unwrap_or(db)
}

fn invalid(errors: &[FieldError], id: &str) -> bool {
    errors.iter().any(|e| e.id == id)
}

/// The messages for one input, referenced by its `aria-describedby`.
fn field_errors(errors: &[FieldError], id: &str) -> Markup {
    html! {
        @if invalid(errors, id) {
            p.field-error id={ (id) "-fehler" } {
                @for e in errors.iter().filter(|e| e.id == id) { (e.message) " " }
            }
        }
    }
}

fn described(errors: &[FieldError], id: &str) -> Option<String> {
    invalid(errors, id).then(|| format!("{id}-fehler"))
}

fn aria_invalid(errors: &[FieldError], id: &str) -> Option<&'static str> {
    invalid(errors, id).then_some("true")
}

fn error_summary(errors: &[FieldError]) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.flash.err role="alert" id="fehler" {
                p { "Bitte prüfen Sie Ihre Eingaben:" }
                ul { @for e in errors { li { a href={ "#" (e.id) } { (e.message) } } } }
            }
        }
    }
}

fn enrolled_on(p: &ClassPupil, day: NaiveDate) -> bool {
    p.enrolled_from <= day && p.enrolled_to.is_none_or(|t| t >= day)
}

fn pupil_select(id: &str, pupils: &[&ClassPupil], selected: &str, errors: &[FieldError]) -> Markup {
    html! {
        select id=(id) name="pupil" required aria-invalid=[aria_invalid(errors, id)] aria-describedby=[described(errors, id)] {
            option value="" selected[selected.is_empty()] { "– bitte wählen –" }
            @for p in pupils {
                option value=(p.id) selected[selected == p.id.to_string()] { (p.name()) }
            }
        }
        (field_errors(errors, id))
    }
}

fn case_form(v: &PageView<'_>, current: &[&ClassPupil]) -> Markup {
    let f = v.case_form;
    let e = v.errors;
    html! {
        section #erfassen {
            h2 { "Fehlzeit erfassen" }
            form.stack method="post" action=(fehlzeiten_path(v.acc.class.id)) {
                (csrf_field(v.csrf))
                label for="case-pupil" { "Schülerin/Schüler" }
                (pupil_select("case-pupil", current, &f.pupil, e))
                label for="case-from" { "von" }
                input #case-from type="date" name="from" required value=(f.from)
                    aria-invalid=[aria_invalid(e, "case-from")] aria-describedby=[described(e, "case-from")];
                (field_errors(e, "case-from"))
                label for="case-from-period" { "ab Stunde (optional)" }
                input #case-from-period name="from_period" inputmode="numeric" size="2" maxlength="2" value=(f.from_period)
                    aria-invalid=[aria_invalid(e, "case-from-period")] aria-describedby=[described(e, "case-from-period")];
                (field_errors(e, "case-from-period"))
                label for="case-to" { "bis (leer: nur dieser Tag)" }
                input #case-to type="date" name="to" value=(f.to)
                    aria-invalid=[aria_invalid(e, "case-to")] aria-describedby=[described(e, "case-to")];
                (field_errors(e, "case-to"))
                label for="case-to-period" { "bis Stunde (optional)" }
                input #case-to-period name="to_period" inputmode="numeric" size="2" maxlength="2" value=(f.to_period)
                    aria-invalid=[aria_invalid(e, "case-to-period")] aria-describedby=[described(e, "case-to-period")];
                (field_errors(e, "case-to-period"))
                label for="case-reason" { "Grund" }
                select #case-reason name="reason" required
                    aria-invalid=[aria_invalid(e, "case-reason")] aria-describedby=[described(e, "case-reason")] {
                    @for r in Reason::ALL { option value=(r.db()) selected[f.reason == r.db()] { (r.label()) } }
                }
                (field_errors(e, "case-reason"))
                label for="case-note" { "Vertrauliche Notiz (optional)" }
                textarea #case-note name="note" rows="2" maxlength=(super::form::NOTE_MAX)
                    aria-invalid=[aria_invalid(e, "case-note")] aria-describedby=[described(e, "case-note")] { (f.note) }
                (field_errors(e, "case-note"))
                button type="submit" { "Fehlzeit speichern" }
            }
        }
    }
}

fn unreported_section(v: &PageView<'_>, names: &HashMap<i64, String>) -> Markup {
    let d = v.data;
    html! {
        section #ohne-meldung {
            h2 { "Fehlstunden ohne Meldung" }
            p { "Stunden seit " (de_date(d.since)) ", in denen eine Schülerin oder ein Schüler als fehlend \
                 eingetragen ist, ohne dass eine Fehlzeit sie abdeckt." }
            @if d.unreported.is_empty() {
                p.ok { "Keine – jede Fehlstunde ist durch eine Fehlzeit abgedeckt." }
            } @else {
                table.unreported {
                    thead { tr { th scope="col" { "Schülerin/Schüler" } th scope="col" { "Tag" } th scope="col" { "Stunden" }
                        @if v.acc.may_decide() { th scope="col" { "Aktion" } } } }
                    tbody {
                        @for u in &d.unreported {
                            tr.unreported data-pupil=(u.pupil_id) data-date=(u.date) {
                                th scope="row" { (names.get(&u.pupil_id).cloned().unwrap_or_default()) }
                                td { (date_label(u.date)) }
                                td { @for (i, (period, subject)) in u.lessons.iter().enumerate() {
                                    @if i > 0 { ", " } (period) ". Stunde " (subject) } }
                                @if v.acc.may_decide() {
                                    td {
                                        form.inline method="post" action=(fehlzeiten_path(v.acc.class.id)) {
                                            (csrf_field(v.csrf))
                                            input type="hidden" name="pupil" value=(u.pupil_id);
                                            input type="hidden" name="from" value=(u.date);
                                            input type="hidden" name="to" value=(u.date);
                                            label.sr for={ "u-" (u.pupil_id) "-" (u.date) } { "Grund" }
                                            select id={ "u-" (u.pupil_id) "-" (u.date) } name="reason" {
                                                @for r in Reason::ALL { option value=(r.db()) selected[r == Reason::Sonstige] { (r.label()) } }
                                            }
                                            button.secondary type="submit" { "als Fall erfassen" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn excuse_cell(v: &PageView<'_>, c: &AbsenceCase) -> Markup {
    let state = Excuse::parse(&c.excuse).unwrap_or(Excuse::Offen);
    let e = v.errors;
    let sel_id = format!("e{}-excuse", c.id);
    let date_id = format!("e{}-received", c.id);
    html! {
        span.excuse { (state.label()) }
        @if let Some(d) = c.excuse_received_on { " (eingegangen am " (de_date(d)) ")" }
        @if v.acc.may_decide() {
            form.inline method="post" action={ "/fehlzeiten/" (c.id) "/entschuldigung" } {
                (csrf_field(v.csrf))
                label.sr for=(sel_id) { "Entschuldigung" }
                select id=(sel_id) name="excuse" aria-invalid=[aria_invalid(e, &sel_id)] aria-describedby=[described(e, &sel_id)] {
                    @for x in Excuse::ALL { option value=(x.db()) selected[x == state] { (x.label()) } }
                }
                label.sr for=(date_id) { "Eingang der Entschuldigung" }
                input id=(date_id) type="date" name="received" value=[c.excuse_received_on]
                    aria-invalid=[aria_invalid(e, &date_id)] aria-describedby=[described(e, &date_id)];
                button.secondary type="submit" { "Speichern" }
                (field_errors(e, &sel_id))
                (field_errors(e, &date_id))
            }
        }
    }
}

fn cases_section(v: &PageView<'_>, names: &HashMap<i64, String>) -> Markup {
    let d = v.data;
    let notes = v.acc.sees_details();
    html! {
        section #faelle {
            h2 { "Fehlzeiten seit " (de_date(d.since)) }
            @if d.cases.is_empty() { p { "Keine Fehlzeiten erfasst." } } @else {
                table.cases {
                    thead { tr {
                        th scope="col" { "Schülerin/Schüler" } th scope="col" { "Zeitraum" } th scope="col" { "Grund" }
                        th scope="col" { "Entschuldigung" }
                        @if notes { th scope="col" { "Vertrauliche Notiz" } }
                    } }
                    tbody {
                        @for c in &d.cases {
                            tr.case id={ "fall-" (c.id) } {
                                th scope="row" { (names.get(&c.pupil_id).cloned().unwrap_or_default()) }
                                td.span { (span_label(c)) }
                                td.reason { (reason_label(&c.reason)) }
                                td { (excuse_cell(v, c)) }
                                @if notes {
                                    td.note {
                                        @match d.notes.get(&c.id) {
                                            Some(Note::Text(t)) => (t),
                                            Some(Note::Unreadable) => em { "(nicht lesbar)" },
                                            None => "",
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn attest_section(
    v: &PageView<'_>,
    names: &HashMap<i64, String>,
    current: &[&ClassPupil],
) -> Markup {
    let d = v.data;
    let f = v.attest_form;
    let e = v.errors;
    html! {
        section #attestpflicht {
            h2 { "Attestpflicht" }
            @if d.attests.is_empty() { p { "Keine laufende oder geplante Attestpflicht." } } @else {
                ul.attests {
                    @for a in &d.attests {
                        li { (names.get(&a.pupil_id).cloned().unwrap_or_default()) ": "
                             (de_date(a.from_date)) " bis " (de_date(a.to_date)) }
                    }
                }
            }
            @if v.acc.may_decide() {
                form.stack method="post" action={ "/klassen/" (v.acc.class.id) "/attestpflicht" } {
                    (csrf_field(v.csrf))
                    label for="attest-pupil" { "Schülerin/Schüler" }
                    (pupil_select("attest-pupil", current, &f.pupil, e))
                    label for="attest-from" { "Attestpflicht ab" }
                    input #attest-from type="date" name="from" required value=(f.from)
                        aria-invalid=[aria_invalid(e, "attest-from")] aria-describedby=[described(e, "attest-from")];
                    (field_errors(e, "attest-from"))
                    label for="attest-to" { "Attestpflicht bis" }
                    input #attest-to type="date" name="to" required value=(f.to)
                        aria-invalid=[aria_invalid(e, "attest-to")] aria-describedby=[described(e, "attest-to")];
                    (field_errors(e, "attest-to"))
                    button type="submit" { "Attestpflicht speichern" }
                }
            }
        }
    }
}

/// The absence page of a class.
pub fn page(v: &PageView<'_>) -> Markup {
    let d = v.data;
    let names: HashMap<i64, String> = d.pupils.iter().map(|p| (p.id, p.name())).collect();
    let current: Vec<&ClassPupil> = d
        .pupils
        .iter()
        .filter(|p| enrolled_on(p, v.acc.today))
        .collect();
    let open_cases = |pid: i64| {
        d.cases
            .iter()
            .filter(|c| c.pupil_id == pid && c.excuse == Excuse::Offen.db())
            .count()
    };
    html! {
        p.meta {
            a href="/klassen" { "Alle Klassen" }
            @if v.acc.sees_statistics() { " · " a href=(statistik_path(v.acc.class.id)) { "Statistik" } }
        }
        (error_summary(v.errors))
        @if v.acc.may_record() { (case_form(v, &current)) }
        @if v.acc.sees_details() { (unreported_section(v, &names)) }
        (cases_section(v, &names))
        (attest_section(v, &names, &current))
        section #schueler {
            h2 { "Schülerinnen und Schüler" }
            table.pupils {
                thead { tr { th scope="col" { "Name" } th scope="col" { "offene Fehlzeiten" } th scope="col" { "Attestpflicht" } } }
                tbody {
                    @for p in &current {
                        tr {
                            th scope="row" { (p.name()) }
                            td { (open_cases(p.id)) }
                            td { @if d.attests.iter().any(|a| a.pupil_id == p.id && a.from_date <= v.acc.today) { "ja" } }
                        }
                    }
                }
            }
        }
    }
}

/// The class overview.
pub fn overview(rows: &[ClassLink]) -> Markup {
    html! {
        @if rows.is_empty() {
            p { "Ihnen ist derzeit keine Klasse zugeordnet." }
        } @else {
            table.classes {
                thead { tr { th scope="col" { "Klasse" } th scope="col" { "Schülerliste" } th scope="col" { "Fehlzeiten" } th scope="col" { "Statistik" } } }
                tbody {
                    @for r in rows {
                        tr {
                            th scope="row" { (r.class.name) }
                            td { a href={ "/klassen/" (r.class.id) "/schueler" } { "Schülerliste" } }
                            td { a href=(fehlzeiten_path(r.class.id)) { "Fehlzeiten" } }
                            td { @if r.statistics { a href=(statistik_path(r.class.id)) { "Statistik" } } }
                        }
                    }
                }
            }
            p.meta { "Fehlzeiten und Statistik enthalten schützenswerte Daten; zum Öffnen ist der zweite Faktor nötig." }
        }
    }
}
