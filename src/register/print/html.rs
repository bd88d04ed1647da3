//! The printed register as a print-ready HTML document. It is a document of its own, not a
//! page of the app: on screen a small bar chooses the range and offers the PDF; in print
//! (`static/print.css`) only the register remains, each section on a new page.

use super::model::{Day, LessonRow, LessonState, PrintedRegister, SlotCell};
use maud::{DOCTYPE, Markup, html};

/// The ranges the screen bar offers: terms and school years as (id, label).
#[derive(Debug, Clone, Default)]
pub struct Choices {
    pub week: String,
    pub terms: Vec<(i64, String)>,
    pub years: Vec<(i64, String)>,
}

/// The whole document. `pdf_href` is the same register as PDF.
pub fn document(reg: &PrintedRegister, choices: &Choices, pdf_href: &str) -> Markup {
    let title = format!("Klassenbuch {} – {}", reg.class_name, reg.range.name);
    html! {
        (DOCTYPE)
        html lang="de" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) }
                link rel="stylesheet" href="/static/app.css";
                link rel="stylesheet" href="/static/print.css";
            }
            body.printed-register {
                header.site {
                    a.brand href="/" { "Klassenbuch" }
                    nav aria-label="Hauptnavigation" { ul { li { a href="/" { "Zurück zur Startseite" } } } }
                }
                main id="inhalt" {
                    (tools(reg, choices, pdf_href))
                    article.register {
                        (cover(reg))
                        (members(reg))
                        (timetable(reg))
                        (lessons(reg))
                        (entries(reg))
                    }
                }
                footer.site {
                    a href="/datenschutz" { "Datenschutzhinweise" }
                    a href="/nutzungsbedingungen" { "Nutzungsbedingungen" }
                    a href="/dienstanweisung" { "Dienstanweisung" }
                }
            }
        }
    }
}

/// The screen-only bar: range choice (plain GET forms, no JavaScript) and the PDF link.
fn tools(reg: &PrintedRegister, c: &Choices, pdf_href: &str) -> Markup {
    html! {
        div.print-tools {
            form.range method="get" {
                label for="woche" { "Woche" }
                input id="woche" type="week" name="woche" value=(c.week);
                button.secondary type="submit" { "Anzeigen" }
            }
            @if !c.terms.is_empty() {
                form.range method="get" {
                    label for="halbjahr" { "Halbjahr" }
                    select id="halbjahr" name="halbjahr" {
                        @for (id, label) in &c.terms {
                            option value=(id) selected[reg.range.query == format!("halbjahr={id}")] { (label) }
                        }
                    }
                    button.secondary type="submit" { "Anzeigen" }
                }
            }
            @if !c.years.is_empty() {
                form.range method="get" {
                    label for="schuljahr" { "Schuljahr" }
                    select id="schuljahr" name="schuljahr" {
                        @for (id, label) in &c.years {
                            option value=(id) selected[reg.range.query == format!("schuljahr={id}")] { (label) }
                        }
                    }
                    button.secondary type="submit" { "Anzeigen" }
                }
            }
            p {
                a.button href=(pdf_href) { "Als PDF herunterladen" }
                " Drucken über die Druckfunktion des Browsers: jeder Abschnitt beginnt auf einer neuen Seite."
            }
        }
    }
}

fn cover(reg: &PrintedRegister) -> Markup {
    html! {
        section.cover {
            h1 { "Klassenbuch" }
            p.class-name { "Klasse " (reg.class_name) }
            dl {
                dt { "Schule" } dd { (reg.school) }
                dt { "Klasse" } dd { (reg.class_name) }
                dt { "Zeitraum" } dd.range { (reg.range.label()) }
                dt { "Klassenlehrkraft" }
                dd.class-teacher {
                    @if reg.class_teachers.is_empty() { "nicht eingetragen" }
                    @else { (reg.class_teachers.join(", ")) }
                }
                dt { "Erstellt" }
                dd { (reg.generated_at.format("%d.%m.%Y, %H:%M")) " Uhr von " (reg.generated_by) }
            }
            p.notice {
                "Ausdruck aus dem digitalen Klassenbuch mit personenbezogenen Daten (SchulDSVO § 13): \
                 sicher aufbewahren, nicht weitergeben, nach Ablauf der Aufbewahrungsfrist vernichten."
            }
        }
    }
}

fn members(reg: &PrintedRegister) -> Markup {
    html! {
        section.members {
            h2 { "Schülerinnen und Schüler" }
            @if reg.members.is_empty() {
                p { "Im Zeitraum sind keine Schülerinnen und Schüler in der Klasse." }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { "Nr." } th scope="col" { "Name" } th scope="col" { "Vorname" }
                        th.num scope="col" { "Fehlstunden" } th.num scope="col" { "Verspätungen (Min.)" }
                        th.num scope="col" { "früher gegangen" } th scope="col" { "Bemerkung" }
                    } }
                    tbody {
                        @for m in &reg.members {
                            tr {
                                td.num { (m.number) }
                                td { (m.surname) }
                                td { (m.first_name) }
                                td.num { (m.absent) }
                                td.num { (m.late) @if m.late_minutes > 0 { " (" (m.late_minutes) ")" } }
                                td.num { (m.left_early) }
                                td { (m.note) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn slot_cell(cells: &[SlotCell]) -> Markup {
    html! {
        @for s in cells {
            div.slot {
                strong { (s.subject) }
                br;
                small { (s.teacher) @if !s.room.is_empty() { " · " (s.room) } }
                @if let Some(v) = &s.validity { br; small.validity { (v) } }
            }
        }
    }
}

fn timetable(reg: &PrintedRegister) -> Markup {
    let t = &reg.timetable;
    html! {
        section.timetable {
            h2 { "Stundenplan" }
            @if t.rows.is_empty() {
                p { "Für den Zeitraum ist kein Stundenplan eingetragen." }
            } @else {
                table.grid {
                    thead { tr {
                        th scope="col" { "Stunde" }
                        @for d in &t.weekdays { th scope="col" { (d) } }
                    } }
                    tbody {
                        @for row in &t.rows {
                            tr {
                                th scope="row" {
                                    (row.period) "."
                                    @if let Some(time) = &row.time { br; small { (time) } }
                                }
                                @for cell in &row.cells { td { (slot_cell(cell)) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn lesson_row(l: &LessonRow) -> Markup {
    html! {
        tr.lesson {
            td { (l.period) "." @if let Some(time) = &l.time { br; small { (time) } } }
            td.subject { (l.subject) @if l.substituted { br; small { "Vertretung" } } }
            td.teacher { (l.teacher) }
            td.topic {
                @match l.state {
                    LessonState::Cancelled => em.cancelled { "entfällt" },
                    LessonState::Undocumented => em.open { "nicht dokumentiert" },
                    LessonState::Documented => (l.topic),
                }
            }
            td.homework { (l.homework) }
            td.absences {
                @for (kind, names) in l.absence_groups() {
                    p { span.kind { (kind) ": " } (names) }
                }
            }
        }
        @if !l.amendments.is_empty() {
            tr.amendments {
                td colspan="6" {
                    @for a in &l.amendments { p.amendment { (a.text()) } }
                }
            }
        }
    }
}

fn day(d: &Day) -> Markup {
    html! {
        h3 { (d.label) }
        table.lessons {
            thead { tr {
                th scope="col" { "Std." } th scope="col" { "Fach" } th scope="col" { "Lehrkraft" }
                th scope="col" { "Thema" } th scope="col" { "Hausaufgaben" } th scope="col" { "Fehlzeiten" }
            } }
            tbody { @for l in &d.lessons { (lesson_row(l)) } }
        }
    }
}

fn lessons(reg: &PrintedRegister) -> Markup {
    html! {
        section.lessons {
            h2 { "Unterricht" }
            @if reg.days.is_empty() {
                p { "Im Zeitraum hat kein Unterricht stattgefunden." }
            }
            @for d in &reg.days { (day(d)) }
        }
    }
}

fn entries(reg: &PrintedRegister) -> Markup {
    html! {
        section.entries {
            h2 { "Einträge" }
            @if reg.entries.is_empty() {
                p { "Keine Einträge im Zeitraum." }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { "Datum" } th scope="col" { "Art" } th scope="col" { "Eintrag" }
                        th scope="col" { "Schülerin/Schüler" } th scope="col" { "Eingetragen von" }
                    } }
                    tbody {
                        @for e in &reg.entries {
                            tr.entry {
                                td { (e.date) } td { (e.kind) } td.text { (e.text) }
                                td { (e.pupil.as_deref().unwrap_or("")) } td { (e.author) }
                            }
                        }
                    }
                }
            }
        }
    }
}
