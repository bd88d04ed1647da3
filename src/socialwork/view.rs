//! The social worker's pages. They show exactly what product § 2 allows: name, class and
//! the absence counts; views get a small view model and never query.

use super::figures::{Counts, TermCounts};
use super::{Overview, chart, pupil_path};
use crate::db::socialwork::AssignedPupil;
use crate::register::stats::term_label;
use crate::school::forms::de_date;
use maud::{Markup, html};

/// The list of assigned pupils.
pub fn list(pupils: &[AssignedPupil]) -> Markup {
    html! {
        @if pupils.is_empty() {
            p { "Ihnen sind zurzeit keine Schülerinnen und Schüler zugewiesen. Zuweisungen nimmt \
                 die Schulleitung vor." }
        } @else {
            p { "Schülerinnen und Schüler, die Ihnen heute zugewiesen sind. Sie sehen je Person \
                 nur den Fehlzeiten-Überblick." }
            table.assigned {
                thead { tr {
                    th scope="col" { "Name" }
                    th scope="col" { "Klasse" }
                    th scope="col" { "Zugewiesen bis" }
                } }
                tbody {
                    @for p in pupils {
                        tr id={ "schueler-" (p.pupil_id) } {
                            th scope="row" { a href=(pupil_path(p.pupil_id)) { (p.name()) } }
                            td.class { (p.class_name) }
                            td.until { @match p.valid_to { Some(d) => (de_date(d)), None => "unbefristet" } }
                        }
                    }
                }
            }
        }
    }
}

fn count_cells(c: &Counts) -> Markup {
    html! {
        td.missed { (c.missed) }
        td.excused { (c.excused) }
        td.unexcused { (c.unexcused) }
        td.open { (c.open) }
    }
}

fn count_headers(first: &str) -> Markup {
    html! {
        thead { tr {
            th scope="col" { (first) }
            th scope="col" { "Fehlstunden" }
            th scope="col" { "davon entschuldigt" }
            th scope="col" { "davon unentschuldigt" }
            th scope="col" { "davon offen" }
        } }
    }
}

fn term_row(t: &TermCounts) -> Markup {
    html! {
        tr id={ "halbjahr-" (t.term.id) } {
            th scope="row" {
                (term_label(&t.term))
                @if t.until < t.term.ends_on { " – bis " (de_date(t.until)) }
            }
            (count_cells(&t.counts))
        }
    }
}

/// The absence overview of one pupil.
pub fn overview(o: &Overview) -> Markup {
    let period = match &o.pattern_term {
        Some(t) => format!("im {}", term_label(t)),
        None => format!("in den letzten {} Tagen", super::FALLBACK_DAYS),
    };
    let label = format!(
        "Säulendiagramm: Fehlstunden von {} je Kalenderwoche {period}, aufgeteilt in entschuldigt, \
         unentschuldigt und offen. Dieselben Zahlen stehen in der Tabelle.",
        o.name
    );
    html! {
        p.meta { a href="/sozialarbeit" { "Alle zugewiesenen Schülerinnen und Schüler" } }
        dl.pupil {
            dt { "Name" } dd #name { (o.name) }
            dt { "Klasse" } dd #klasse { (o.class_name) }
        }
        h2 { "Fehlstunden je Halbjahr" }
        @if o.terms.is_empty() {
            p { "Für die Schule ist kein laufendes Halbjahr angelegt." }
        } @else {
            table.terms #halbjahre {
                (count_headers("Halbjahr"))
                tbody { @for t in &o.terms { (term_row(t)) } }
            }
        }
        h2 { "Verlauf nach Kalenderwochen" }
        p { "Fehlstunden " (period) "." }
        (chart::weeks(&o.weeks, &label))
        table.weeks #wochen {
            (count_headers("Kalenderwoche"))
            tbody {
                @for w in &o.weeks {
                    tr id={ "kw-" (w.year) "-" (w.week) } {
                        th scope="row" { "KW " (w.week) " (ab " (de_date(w.monday)) ")" }
                        (count_cells(&w.counts))
                    }
                }
            }
        }
        p.hint { "Gezählt werden Unterrichtsstunden, in denen die Schülerin oder der Schüler als \
                  abwesend eingetragen ist; entschuldigt oder unentschuldigt nach der Entscheidung \
                  der Klassenlehrkraft, offen ohne Entscheidung oder Meldung. Gründe, Notizen, Fächer \
                  und Lehrkräfte gehören nicht zu diesem Überblick." }
    }
}
