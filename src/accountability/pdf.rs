//! Documents as PDF: the blocks of `legal::parse` laid out with the writer of the printed
//! register (same fonts, page breaks, tables and footer).

use crate::auth::roles::Role;
use crate::legal::Block;
use crate::register::print::pdf::{self, Col, Face, PdfError, Writer};
use chrono::{DateTime, Utc};

/// Usable width of a page in mm (A4 minus the margins of the register's writer).
const WIDTH_MM: f32 = 180.0;

fn blocks(w: &mut Writer<'_>, blocks: &[Block]) {
    for block in blocks {
        match block {
            Block::Heading(1, h) => {
                w.page_break();
                w.heading(16.0, h);
            }
            Block::Heading(2, h) => w.heading(12.0, h),
            Block::Heading(_, h) => w.heading(10.5, h),
            Block::Paragraph(p) => {
                w.paragraph(Face::Regular, 10.0, p);
                w.paragraph(Face::Regular, 4.0, "");
            }
            Block::List(items) => {
                for item in items {
                    w.paragraph(Face::Regular, 10.0, &format!("• {item}"));
                }
                w.paragraph(Face::Regular, 4.0, "");
            }
            Block::Table { id, head, rows } if id.as_deref() == Some("rollenmatrix") => {
                role_matrix(w, head, rows);
            }
            Block::Table { head, rows, .. } => {
                let n = head.len().max(1);
                // The first column names the row; with two columns the second is the text.
                let first = match n {
                    1 => WIDTH_MM,
                    2 => 65.0,
                    _ => 40.0,
                };
                let other = if n > 1 {
                    (WIDTH_MM - first) / (n - 1) as f32
                } else {
                    WIDTH_MM
                };
                let cols: Vec<Col<'_>> = head
                    .iter()
                    .enumerate()
                    .map(|(i, h)| Col(h.as_str(), if i == 0 { first } else { other }))
                    .collect();
                w.table(&cols, rows);
            }
        }
    }
}

/// The role × data matrix: eight columns do not fit an A4 page with the roles' full names
/// in the (unwrapped) header, so the header uses short names explained above the table.
fn role_matrix(w: &mut Writer<'_>, head: &[String], rows: &[Vec<String>]) {
    let short: Vec<String> = head
        .iter()
        .map(|h| match Role::ALL.iter().find(|r| r.label() == h) {
            Some(r) => short_name(*r).to_owned(),
            None => h.clone(),
        })
        .collect();
    let legend = Role::ALL
        .iter()
        .map(|r| format!("{} = {}", short_name(*r), r.label()))
        .collect::<Vec<_>>()
        .join(", ");
    w.paragraph(Face::Regular, 9.0, &format!("Spalten: {legend}."));
    w.paragraph(Face::Regular, 4.0, "");
    let role_w = (WIDTH_MM - 33.0 - 9.0) / Role::ALL.len() as f32;
    let cols: Vec<Col<'_>> = short
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let width = match i {
                0 => 33.0,
                1 => 9.0,
                _ => role_w,
            };
            Col(h.as_str(), width)
        })
        .collect();
    w.table(&cols, rows);
}

fn short_name(role: Role) -> &'static str {
    match role {
        Role::Schulleitung => "SL",
        Role::Verwaltung => "AD",
        Role::Klassenlehrkraft => "KL",
        Role::Lehrkraft => "LK",
        Role::Sekretariat => "SK",
        Role::Schulsozialarbeit => "SSA",
    }
}

/// A PDF of `parts` (each a list of blocks starting on a new page) with a cover page.
pub fn render(
    title: &str,
    school: &str,
    cover: &[String],
    parts: &[Vec<Block>],
    now: DateTime<Utc>,
) -> Result<Vec<u8>, PdfError> {
    pdf::document(title, school, now, title, |w| {
        w.heading(22.0, title);
        w.paragraph(Face::Bold, 14.0, school);
        w.paragraph(Face::Regular, 6.0, "");
        for line in cover {
            w.paragraph(Face::Regular, 10.0, line);
        }
        for part in parts {
            blocks(w, part);
        }
    })
}
