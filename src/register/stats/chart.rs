//! The server-rendered SVG bar chart of the statistics: one stacked bar per pupil
//! (excused, unexcused, open). Inline SVG without script or external assets; the colours
//! are presentation attributes (the CSP allows no inline styles), and the same numbers
//! stand in the table above it.

use super::{PupilFigures, term_label};
use crate::db::calendar::Term;
use maud::{Markup, html};

const WIDTH: f64 = 640.0;
const LABEL_WIDTH: f64 = 200.0;
const BAR_AREA: f64 = 380.0;
const ROW: f64 = 26.0;
const BAR: f64 = 18.0;
const TOP: f64 = 34.0;

/// (label, colour) of the three parts of a bar.
const PARTS: [(&str, &str); 3] = [
    ("entschuldigt", "#1e7a3c"),
    ("unentschuldigt", "#b3261e"),
    ("offen", "#8a96a3"),
];

fn n(v: f64) -> String {
    format!("{v:.1}")
}

/// Names longer than the label column are shortened (the bar's title has the full name).
fn short_name(name: &str) -> String {
    const MAX: usize = 26;
    if name.chars().count() <= MAX {
        name.to_owned()
    } else {
        let cut: String = name.chars().take(MAX - 1).collect();
        format!("{cut}…")
    }
}

/// The chart, or a sentence if there is nothing to draw.
pub fn bars(rows: &[PupilFigures], term: &Term) -> Markup {
    if rows.is_empty() {
        return html! { p { "Keine Schülerinnen und Schüler in diesem Halbjahr." } };
    }
    let max = rows
        .iter()
        .map(|r| r.figures.missed)
        .max()
        .unwrap_or(0)
        .max(1);
    let scale = BAR_AREA / f64::from(max);
    let height = TOP + ROW * rows.len() as f64 + 8.0;
    let label = format!(
        "Balkendiagramm: Fehlstunden je Schülerin und Schüler im {}, aufgeteilt in entschuldigt, \
         unentschuldigt und offen. Dieselben Zahlen stehen in der Tabelle.",
        term_label(term)
    );
    html! {
        figure.chart {
            svg xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (n(WIDTH)) " " (n(height)) }
                width="100%" role="img" aria-label=(label) {
                title { (label) }
                @for (i, (name, colour)) in PARTS.iter().enumerate() {
                    @let x = LABEL_WIDTH + 130.0 * i as f64;
                    rect x=(n(x)) y="6" width="14" height="14" fill=(colour) {}
                    text x=(n(x + 20.0)) y="18" font-size="13" { (name) }
                }
                @for (i, r) in rows.iter().enumerate() {
                    @let y = TOP + ROW * i as f64;
                    @let f = &r.figures;
                    @let parts = [f.excused, f.unexcused, f.open];
                    g.bar {
                        title { (r.pupil.name()) ": " (f.missed) " Fehlstunden (" (f.excused) " entschuldigt, "
                                (f.unexcused) " unentschuldigt, " (f.open) " offen)" }
                        text x=(n(LABEL_WIDTH - 8.0)) y=(n(y + 14.0)) font-size="13" text-anchor="end" { (short_name(&r.pupil.name())) }
                        @for (k, count) in parts.iter().enumerate() {
                            @let before: u32 = parts[..k].iter().sum();
                            @if *count > 0 {
                                rect x=(n(LABEL_WIDTH + scale * f64::from(before))) y=(n(y)) width=(n(scale * f64::from(*count)))
                                    height=(n(BAR)) fill=(PARTS[k].1) {}
                            }
                        }
                        text x=(n(LABEL_WIDTH + scale * f64::from(f.missed) + 6.0)) y=(n(y + 14.0)) font-size="13" { (f.missed) }
                    }
                }
            }
        }
    }
}
