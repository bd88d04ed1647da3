//! The weekly pattern as a small server-rendered SVG: one stacked column per calendar week
//! (excused, unexcused, open). No script, no external assets; colours are presentation
//! attributes (the CSP allows no inline styles), and the same numbers stand in the table
//! beside it.

use super::figures::WeekCounts;
use maud::{Markup, html};

const HEIGHT: f64 = 150.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 22.0;
const LEFT: f64 = 28.0;
const COLUMN: f64 = 22.0;
const BAR: f64 = 14.0;

/// (label, colour) of the three parts of a column, as in the class statistics.
const PARTS: [(&str, &str); 3] = [
    ("entschuldigt", "#1e7a3c"),
    ("unentschuldigt", "#b3261e"),
    ("offen", "#8a96a3"),
];

fn n(v: f64) -> String {
    format!("{v:.1}")
}

/// The chart of `weeks`, described by `label` for screen readers.
pub fn weeks(weeks: &[WeekCounts], label: &str) -> Markup {
    let max = weeks
        .iter()
        .map(|w| w.counts.missed)
        .max()
        .unwrap_or(0)
        .max(1);
    let area = HEIGHT - TOP - BOTTOM;
    let scale = area / f64::from(max);
    let width = (LEFT + COLUMN * weeks.len() as f64 + 8.0).max(3.0 * 130.0);
    let base = HEIGHT - BOTTOM;
    html! {
        figure.chart.weekly {
            svg xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (n(width)) " " (n(HEIGHT)) }
                width="100%" role="img" aria-label=(label) {
                title { (label) }
                @for (i, (name, colour)) in PARTS.iter().enumerate() {
                    @let x = LEFT + 130.0 * i as f64;
                    rect x=(n(x)) y="4" width="12" height="12" fill=(colour) {}
                    text x=(n(x + 17.0)) y="15" font-size="12" { (name) }
                }
                line x1=(n(LEFT)) y1=(n(base)) x2=(n(width - 4.0)) y2=(n(base)) stroke="#555" stroke-width="1" {}
                text x=(n(LEFT - 4.0)) y=(n(TOP + 10.0)) font-size="11" text-anchor="end" { (max) }
                @for (i, w) in weeks.iter().enumerate() {
                    @let x = LEFT + COLUMN * i as f64 + (COLUMN - BAR) / 2.0;
                    @let c = w.counts;
                    @let parts = [c.excused, c.unexcused, c.open];
                    g.week data-kw=(w.week) {
                        title { "KW " (w.week) ": " (c.missed) " Fehlstunden (" (c.excused) " entschuldigt, "
                                (c.unexcused) " unentschuldigt, " (c.open) " offen)" }
                        @for (k, count) in parts.iter().enumerate() {
                            @let below: u32 = parts[..k].iter().sum();
                            @if *count > 0 {
                                rect x=(n(x)) y=(n(base - scale * f64::from(below + count))) width=(n(BAR))
                                    height=(n(scale * f64::from(*count))) fill=(PARTS[k].1) {}
                            }
                        }
                        text x=(n(x + BAR / 2.0)) y=(n(base + 15.0)) font-size="10" text-anchor="middle" { (w.week) }
                    }
                }
            }
            figcaption { "Fehlstunden je Kalenderwoche (Zahlen unter den Säulen: Kalenderwoche)" }
        }
    }
}
