//! The printed register as PDF, laid out on the server with `printpdf`: A4 portrait, Liberation
//! Sans (SIL OFL, compiled into the binary, so no system fonts are needed and umlauts render
//! everywhere), sections on new pages, tables whose rows break across pages with the header
//! repeated, and a footer with page numbers.

use super::model::{LessonRow, LessonState, PrintedRegister};
use chrono::{DateTime, Utc};
use printpdf::{
    Color, FontId, Line, LinePoint, OffsetDateTime, Op, PaintMode, ParsedFont, PdfDocument,
    PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, Rect, Rgb, TextItem,
};
use std::sync::LazyLock;

static REGULAR_TTF: &[u8] = include_bytes!("../../../static/fonts/LiberationSans-Regular.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../../../static/fonts/LiberationSans-Bold.ttf");

/// Both faces, parsed once.
static FONTS: LazyLock<Option<(ParsedFont, ParsedFont)>> = LazyLock::new(|| {
    let regular = ParsedFont::from_bytes(REGULAR_TTF, 0, &mut Vec::new())?;
    let bold = ParsedFont::from_bytes(BOLD_TTF, 0, &mut Vec::new())?;
    Some((regular, bold))
});

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("die eingebettete Schrift kann nicht gelesen werden")]
    Font,
}

// A4 in points; 1 mm = 72 / 25.4 pt.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MM: f32 = 72.0 / 25.4;
const LEFT: f32 = 15.0 * MM;
const WIDTH: f32 = PAGE_W - 2.0 * LEFT;
const TOP: f32 = PAGE_H - 18.0 * MM;
const BOTTOM: f32 = 20.0 * MM;
const FOOTER_Y: f32 = 10.0 * MM;
const PAD: f32 = 3.0;
const SIZE: f32 = 9.0;

#[derive(Debug, Clone, Copy)]
pub(crate) enum Face {
    Regular,
    Bold,
}

/// A column of a table: title and width in mm.
pub(crate) struct Col<'s>(pub(crate) &'s str, pub(crate) f32);

/// Pages of drawing operations and the cursor on the current page. Other documents (the
/// documentation pack of `crate::accountability`) lay out their text with it too.
pub(crate) struct Writer<'a> {
    regular: (&'a ParsedFont, FontId),
    bold: (&'a ParsedFont, FontId),
    pages: Vec<Vec<Op>>,
    ops: Vec<Op>,
    /// The top of the free space on the current page.
    y: f32,
}

fn grey(level: f32) -> Color {
    Color::Rgb(Rgb::new(level, level, level, None))
}

fn point(x: f32, y: f32) -> LinePoint {
    LinePoint {
        p: Point { x: Pt(x), y: Pt(y) },
        bezier: false,
    }
}

impl<'a> Writer<'a> {
    fn face(&self, face: Face) -> (&'a ParsedFont, &FontId) {
        match face {
            Face::Regular => (self.regular.0, &self.regular.1),
            Face::Bold => (self.bold.0, &self.bold.1),
        }
    }

    fn width(&self, face: Face, size: f32, text: &str) -> f32 {
        let (font, _) = self.face(face);
        let units: u32 = text
            .chars()
            .map(|c| {
                font.lookup_glyph_index(c as u32)
                    .or_else(|| font.lookup_glyph_index('?' as u32))
                    .and_then(|g| font.get_glyph_width(g))
                    .map_or(0, u32::from)
            })
            .sum();
        units as f32 * size / f32::from(font.units_per_em.max(1))
    }

    /// Breaks `text` into lines of at most `max` points: at spaces, inside a word only if
    /// the word alone is too long. Line breaks in the text are kept.
    fn wrap(&self, face: Face, size: f32, text: &str, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            for word in paragraph.split_whitespace() {
                let candidate = if line.is_empty() {
                    word.to_owned()
                } else {
                    format!("{line} {word}")
                };
                if self.width(face, size, &candidate) <= max {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                for c in word.chars() {
                    line.push(c);
                    if self.width(face, size, &line) > max && line.chars().count() > 1 {
                        line.pop();
                        lines.push(std::mem::take(&mut line));
                        line.push(c);
                    }
                }
            }
            lines.push(line);
        }
        while lines.len() > 1 && lines.last().is_some_and(String::is_empty) {
            lines.pop();
        }
        lines
    }

    fn text(&mut self, x: f32, baseline: f32, face: Face, size: f32, text: &str) {
        if text.is_empty() {
            return;
        }
        let font = self.face(face).1.clone();
        self.ops.extend([
            Op::StartTextSection,
            Op::SetTextCursor {
                pos: Point {
                    x: Pt(x),
                    y: Pt(baseline),
                },
            },
            Op::SetFont {
                font: PdfFontHandle::External(font),
                size: Pt(size),
            },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_owned())],
            },
            Op::EndTextSection,
        ]);
    }

    fn rule(&mut self, y: f32, thickness: f32) {
        self.ops.extend([
            Op::SetOutlineColor { col: grey(0.55) },
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawLine {
                line: Line {
                    points: vec![point(LEFT, y), point(LEFT + WIDTH, y)],
                    is_closed: false,
                },
            },
        ]);
    }

    fn shade(&mut self, y: f32, height: f32) {
        self.ops.extend([
            Op::SetFillColor { col: grey(0.9) },
            Op::DrawRectangle {
                rectangle: Rect {
                    x: Pt(LEFT),
                    y: Pt(y - height),
                    width: Pt(WIDTH),
                    height: Pt(height),
                    mode: Some(PaintMode::Fill),
                    winding_order: None,
                },
            },
            Op::SetFillColor { col: grey(0.0) },
        ]);
    }

    /// Starts a new page unless the current one is still empty.
    pub(crate) fn page_break(&mut self) {
        if !self.ops.is_empty() {
            self.pages.push(std::mem::take(&mut self.ops));
        }
        self.y = TOP;
    }

    fn ensure(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            self.page_break();
        }
    }

    /// A paragraph over the full width.
    pub(crate) fn paragraph(&mut self, face: Face, size: f32, text: &str) {
        let leading = size * 1.3;
        for line in self.wrap(face, size, text, WIDTH) {
            self.ensure(leading);
            self.y -= leading;
            self.text(LEFT, self.y + size * 0.25, face, size, &line);
        }
    }

    pub(crate) fn heading(&mut self, size: f32, text: &str) {
        // Keep a heading together with the first lines below it.
        self.ensure(size * 1.6 + 4.0 * SIZE);
        self.y -= size * 0.6;
        self.paragraph(Face::Bold, size, text);
        self.y -= size * 0.4;
    }

    fn table_header(&mut self, cols: &[Col], leading: f32) {
        let height = leading + 2.0 * PAD;
        self.shade(self.y, height);
        let mut x = LEFT;
        for c in cols {
            self.text(x + PAD, self.y - PAD - SIZE, Face::Bold, SIZE, c.0);
            x += c.1 * MM;
        }
        self.y -= height;
        self.rule(self.y, 0.6);
    }

    /// A table; a row taller than the rest of the page continues on the next one.
    pub(crate) fn table(&mut self, cols: &[Col], rows: &[Vec<String>]) {
        let leading = SIZE * 1.25;
        self.ensure(3.0 * (leading + 2.0 * PAD));
        self.table_header(cols, leading);
        for row in rows {
            let cells: Vec<Vec<String>> = cols
                .iter()
                .zip(row)
                .map(|(c, text)| self.wrap(Face::Regular, SIZE, text, c.1 * MM - 2.0 * PAD))
                .collect();
            let total = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let mut done = 0;
            while done < total {
                let room = ((self.y - BOTTOM - 2.0 * PAD) / leading).floor();
                if room < 1.0 {
                    self.page_break();
                    self.table_header(cols, leading);
                    continue;
                }
                let n = (room as usize).min(total - done);
                let mut x = LEFT;
                for (c, lines) in cols.iter().zip(&cells) {
                    for (i, line) in lines.iter().skip(done).take(n).enumerate() {
                        let baseline = self.y - PAD - SIZE - i as f32 * leading;
                        self.text(x + PAD, baseline, Face::Regular, SIZE, line);
                    }
                    x += c.1 * MM;
                }
                self.y -= n as f32 * leading + 2.0 * PAD;
                self.rule(self.y, 0.3);
                done += n;
            }
        }
        self.y -= SIZE;
    }

    /// Label and value pairs (the cover page).
    fn pairs(&mut self, pairs: &[(&str, String)]) {
        let size = 12.0;
        let leading = size * 1.4;
        let label_w = 45.0 * MM;
        for (label, value) in pairs {
            let lines = self.wrap(Face::Regular, size, value, WIDTH - label_w);
            self.ensure(leading * lines.len() as f32);
            self.text(LEFT, self.y - size, Face::Bold, size, label);
            for (i, line) in lines.iter().enumerate() {
                let y = self.y - size - i as f32 * leading;
                self.text(LEFT + label_w, y, Face::Regular, size, line);
            }
            self.y -= leading * lines.len().max(1) as f32 + 4.0;
        }
    }

    /// The footer of every page and the finished pages.
    fn finish(mut self, left: &str, right: &str) -> Vec<PdfPage> {
        self.page_break();
        let total = self.pages.len();
        let pages = std::mem::take(&mut self.pages);
        pages
            .into_iter()
            .enumerate()
            .map(|(i, ops)| {
                self.ops = ops;
                let footer = format!("{left} · Seite {} von {total}", i + 1);
                self.text(LEFT, FOOTER_Y, Face::Regular, 8.0, &footer);
                let w = self.width(Face::Regular, 8.0, right);
                self.text(LEFT + WIDTH - w, FOOTER_Y, Face::Regular, 8.0, right);
                PdfPage::new(
                    printpdf::Mm(PAGE_W / MM),
                    printpdf::Mm(PAGE_H / MM),
                    std::mem::take(&mut self.ops),
                )
            })
            .collect()
    }
}

fn topic_cell(l: &LessonRow) -> String {
    let mut parts = Vec::new();
    match l.state {
        LessonState::Cancelled => parts.push("entfällt".to_owned()),
        LessonState::Undocumented => parts.push("nicht dokumentiert".to_owned()),
        LessonState::Documented => parts.push(l.topic.clone()),
    }
    if !l.homework.is_empty() {
        parts.push(format!("Hausaufgaben: {}", l.homework));
    }
    parts.extend(l.amendments.iter().map(|a| a.text()));
    parts.join("\n")
}

fn lesson_rows(reg: &PrintedRegister) -> Vec<Vec<String>> {
    reg.days
        .iter()
        .flat_map(|d| {
            d.lessons.iter().map(move |l| {
                let mut who = format!("{}\n{}", l.subject, l.teacher);
                if l.substituted {
                    who.push_str("\n(Vertretung)");
                }
                vec![
                    match &l.time {
                        Some(time) => format!("{}\n{}. Stunde\n{time}", d.label, l.period),
                        None => format!("{}\n{}. Stunde", d.label, l.period),
                    },
                    who,
                    topic_cell(l),
                    l.absence_groups()
                        .into_iter()
                        .map(|(kind, names)| format!("{kind}: {names}"))
                        .collect::<Vec<_>>()
                        .join("\n"),
                ]
            })
        })
        .collect()
}

fn body(w: &mut Writer<'_>, reg: &PrintedRegister) {
    // Cover page.
    w.y -= 40.0 * MM;
    w.paragraph(Face::Bold, 30.0, "Klassenbuch");
    w.y -= 4.0 * MM;
    w.paragraph(Face::Regular, 20.0, &format!("Klasse {}", reg.class_name));
    w.y -= 16.0 * MM;
    let teachers = if reg.class_teachers.is_empty() {
        "nicht eingetragen".to_owned()
    } else {
        reg.class_teachers.join(", ")
    };
    w.pairs(&[
        ("Schule", reg.school.clone()),
        ("Klasse", reg.class_name.clone()),
        ("Zeitraum", reg.range.label()),
        ("Klassenlehrkraft", teachers),
        (
            "Erstellt",
            format!(
                "{} Uhr von {}",
                reg.generated_at.format("%d.%m.%Y, %H:%M"),
                reg.generated_by
            ),
        ),
    ]);
    w.y -= 12.0 * MM;
    w.paragraph(
        Face::Regular,
        10.0,
        "Ausdruck aus dem digitalen Klassenbuch mit personenbezogenen Daten (SchulDSVO § 13): \
         sicher aufbewahren, nicht weitergeben, nach Ablauf der Aufbewahrungsfrist vernichten.",
    );

    w.page_break();
    w.heading(16.0, "Schülerinnen und Schüler");
    if reg.members.is_empty() {
        w.paragraph(
            Face::Regular,
            10.0,
            "Im Zeitraum sind keine Schülerinnen und Schüler in der Klasse.",
        );
    } else {
        let rows: Vec<Vec<String>> = reg
            .members
            .iter()
            .map(|m| {
                vec![
                    m.number.to_string(),
                    format!("{}, {}", m.surname, m.first_name),
                    m.absent.to_string(),
                    if m.late_minutes > 0 {
                        format!("{} ({} Min.)", m.late, m.late_minutes)
                    } else {
                        m.late.to_string()
                    },
                    m.left_early.to_string(),
                    m.note.clone(),
                ]
            })
            .collect();
        w.table(
            &[
                Col("Nr.", 10.0),
                Col("Name", 56.0),
                Col("Fehlstunden", 24.0),
                Col("Verspätungen", 28.0),
                Col("früher gegangen", 32.0),
                Col("Bemerkung", 30.0),
            ],
            &rows,
        );
    }

    w.page_break();
    w.heading(16.0, "Stundenplan");
    let t = &reg.timetable;
    if t.rows.is_empty() {
        w.paragraph(
            Face::Regular,
            10.0,
            "Für den Zeitraum ist kein Stundenplan eingetragen.",
        );
    } else {
        let day_w = (180.0 - 22.0) / t.weekdays.len() as f32;
        let mut cols = vec![Col("Stunde", 22.0)];
        cols.extend(t.weekdays.iter().map(|d| Col(d, day_w)));
        let rows: Vec<Vec<String>> = t
            .rows
            .iter()
            .map(|r| {
                let mut row = vec![match &r.time {
                    Some(time) => format!("{}.\n{time}", r.period),
                    None => format!("{}.", r.period),
                }];
                row.extend(r.cells.iter().map(|cell| {
                    cell.iter()
                        .map(|s| {
                            let mut text = format!("{}\n{}", s.subject, s.teacher);
                            if !s.room.is_empty() {
                                text.push_str(&format!("\n{}", s.room));
                            }
                            if let Some(v) = &s.validity {
                                text.push_str(&format!("\n{v}"));
                            }
                            text
                        })
                        .collect::<Vec<_>>()
                        .join("\n\n")
                }));
                row
            })
            .collect();
        w.table(&cols, &rows);
    }

    w.page_break();
    w.heading(16.0, "Unterricht");
    if reg.days.is_empty() {
        w.paragraph(
            Face::Regular,
            10.0,
            "Im Zeitraum hat kein Unterricht stattgefunden.",
        );
    } else {
        w.table(
            &[
                Col("Tag, Stunde", 30.0),
                Col("Fach, Lehrkraft", 34.0),
                Col("Thema, Hausaufgaben", 66.0),
                Col("Fehlzeiten", 50.0),
            ],
            &lesson_rows(reg),
        );
    }

    w.page_break();
    w.heading(16.0, "Einträge");
    if reg.entries.is_empty() {
        w.paragraph(Face::Regular, 10.0, "Keine Einträge im Zeitraum.");
    } else {
        let rows: Vec<Vec<String>> = reg
            .entries
            .iter()
            .map(|e| {
                vec![
                    e.date.clone(),
                    e.kind.to_owned(),
                    e.text.clone(),
                    e.pupil.clone().unwrap_or_default(),
                    e.author.clone(),
                ]
            })
            .collect();
        w.table(
            &[
                Col("Datum", 22.0),
                Col("Art", 26.0),
                Col("Eintrag", 72.0),
                Col("Schülerin/Schüler", 30.0),
                Col("von", 30.0),
            ],
            &rows,
        );
    }
}

/// Renders the register as a PDF document; `now` is its creation date.
pub fn render(reg: &PrintedRegister, now: DateTime<Utc>) -> Result<Vec<u8>, PdfError> {
    let title = format!("Klassenbuch {} – {}", reg.class_name, reg.range.name);
    let footer = format!("Klassenbuch {} · {}", reg.class_name, reg.range.name);
    document(&title, &reg.school, now, &footer, |w| body(w, reg))
}

/// A PDF document laid out by `body` on A4 pages with the fonts of the register: `author`
/// goes into the metadata and the right of every footer, `footer` to its left.
pub(crate) fn document(
    title: &str,
    author: &str,
    now: DateTime<Utc>,
    footer: &str,
    body: impl FnOnce(&mut Writer<'_>),
) -> Result<Vec<u8>, PdfError> {
    let (regular, bold) = FONTS.as_ref().ok_or(PdfError::Font)?;
    let mut doc = PdfDocument::new(title);
    if let Ok(created) = OffsetDateTime::from_unix_timestamp(now.timestamp()) {
        doc.metadata.info.creation_date = created;
        doc.metadata.info.modification_date = created;
        doc.metadata.info.metadata_date = created;
    }
    doc.metadata.info.creator = "Klassenbuch".to_owned();
    doc.metadata.info.author = author.to_owned();
    let regular_id = doc.add_font(regular);
    let bold_id = doc.add_font(bold);
    let mut w = Writer {
        regular: (regular, regular_id),
        bold: (bold, bold_id),
        pages: Vec::new(),
        ops: Vec::new(),
        y: TOP,
    };
    body(&mut w);
    let pages = w.finish(footer, author);
    let bytes = doc
        .with_pages(pages)
        .save(&PdfSaveOptions::default(), &mut Vec::new());
    Ok(bytes)
}
