//! The German documents of `templates/` (privacy notice, terms of use, Dienstanweisung,
//! the documentation pack): placeholders filled from the live configuration, a small
//! Markdown subset turned into blocks for HTML and PDF, and the acknowledgement gate.
//!
//! Versions: the privacy notice and the terms are versioned by the hash of their template
//! text (the school's contact data are filled in when shown and need no new
//! acknowledgement). The Dienstanweisung is versioned per school: each issued version is
//! stored with its full text, and the latest one must be acknowledged.

use crate::db::{DbConnection, acks, documents};
use chrono::NaiveDateTime;
use diesel::QueryResult;
use maud::{Markup, html};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    Datenschutz,
    Nutzungsbedingungen,
    Dienstanweisung,
    Barrierefreiheit,
}

impl Document {
    pub fn title(self) -> &'static str {
        match self {
            Document::Datenschutz => "Datenschutzhinweise",
            Document::Nutzungsbedingungen => "Nutzungsbedingungen",
            Document::Dienstanweisung => "Dienstanweisung",
            Document::Barrierefreiheit => "Erklärung zur Barrierefreiheit",
        }
    }

    /// Key stored with an acknowledgement, and the path of the document (`/<key>`).
    pub fn key(self) -> &'static str {
        match self {
            Document::Datenschutz => "datenschutz",
            Document::Nutzungsbedingungen => "nutzungsbedingungen",
            Document::Dienstanweisung => "dienstanweisung",
            Document::Barrierefreiheit => "barrierefreiheit",
        }
    }

    /// The template text, with its placeholders.
    pub fn template(self) -> &'static str {
        match self {
            Document::Datenschutz => include_str!("../templates/datenschutzhinweise.md"),
            Document::Nutzungsbedingungen => include_str!("../templates/nutzungsbedingungen.md"),
            Document::Dienstanweisung => include_str!("../templates/dienstanweisung.md"),
            Document::Barrierefreiheit => include_str!("../templates/barrierefreiheit.md"),
        }
    }
}

/// The version of a template: the start of the hash of its text, so that any change to the
/// text requires a new acknowledgement. The templates are compiled in, so each hash is taken
/// once per process (it was taken twice per document on every signed-in request, about a
/// quarter of the lesson page's instructions).
pub fn version(doc: Document) -> String {
    static VERSIONS: std::sync::LazyLock<[String; 4]> = std::sync::LazyLock::new(|| {
        [
            Document::Datenschutz,
            Document::Nutzungsbedingungen,
            Document::Dienstanweisung,
            Document::Barrierefreiheit,
        ]
        .map(|d| crate::crypto::sha256_hex(d.template().as_bytes())[..12].to_owned())
    });
    VERSIONS[doc as usize].clone()
}

/// Renders a template with only `{{schule}}` filled in (the accessibility statement).
pub fn render(doc: Document, school: Option<&str>) -> Markup {
    let vars = [("schule", school.unwrap_or("Ihre Schule").to_owned())];
    to_html(&parse(&fill(doc.template(), &vars)))
}

// ---------------------------------------------------------------------------------------
// Text: placeholders, editable sections, blocks.

/// Replaces every `{{name}}` of `vars` in `text`. Unknown placeholders stay as they are
/// (a unit test checks that the templates use none).
pub fn fill(text: &str, vars: &[(&str, String)]) -> String {
    let mut out = text.to_owned();
    for (name, value) in vars {
        out = out.replace(&format!("{{{{{name}}}}}"), value);
    }
    out
}

/// An editable section of a template: `{{abschnitt:key|Label}}` default text
/// `{{/abschnitt}}`. The school may replace the default with its own text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub key: String,
    pub label: String,
    pub default: String,
}

const SECTION_OPEN: &str = "{{abschnitt:";
const SECTION_CLOSE: &str = "{{/abschnitt}}";

/// The editable sections of a template, in order.
pub fn sections(template: &str) -> Vec<Section> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find(SECTION_OPEN) {
        let after = &rest[start + SECTION_OPEN.len()..];
        let Some(head_end) = after.find("}}") else {
            break;
        };
        let (key, label) = after[..head_end]
            .split_once('|')
            .unwrap_or((&after[..head_end], &after[..head_end]));
        let body = &after[head_end + 2..];
        let Some(end) = body.find(SECTION_CLOSE) else {
            break;
        };
        out.push(Section {
            key: key.trim().to_owned(),
            label: label.trim().to_owned(),
            default: body[..end].trim().to_owned(),
        });
        rest = &body[end + SECTION_CLOSE.len()..];
    }
    out
}

/// Replaces each editable section by the school's text for it (`own`: key → text) or by
/// its default.
pub fn expand_sections(template: &str, own: &[(String, String)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find(SECTION_OPEN) {
        out.push_str(&rest[..start]);
        let after = &rest[start + SECTION_OPEN.len()..];
        let (Some(head_end), Some(end)) = (after.find("}}"), after.find(SECTION_CLOSE)) else {
            out.push_str(&rest[start..]);
            return out;
        };
        let key = after[..head_end].split('|').next().unwrap_or("").trim();
        let default = after[head_end + 2..end].trim();
        let text = own
            .iter()
            .find(|(k, _)| k == key)
            .map_or(default, |(_, t)| t.trim());
        out.push_str(text);
        rest = &after[end + SECTION_CLOSE.len()..];
    }
    out.push_str(rest);
    out
}

/// A block of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// `#` is level 1 (the document's title), `##` level 2, `###` level 3.
    Heading(u8, String),
    Paragraph(String),
    List(Vec<String>),
    /// A table; `id` comes from a `{#id}` line before it.
    Table {
        id: Option<String>,
        head: Vec<String>,
        rows: Vec<Vec<String>>,
    },
}

fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(|c| c.trim().to_owned()).collect()
}

fn is_separator(line: &str) -> bool {
    line.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '))
}

/// Parses the Markdown subset of the templates: headings, paragraphs (split by blank
/// lines), `- ` lists and `|` tables (optionally preceded by a `{#id}` line).
pub fn parse(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let normalized = text.replace("\r\n", "\n");
    for raw in normalized.split("\n\n") {
        let block = raw.trim();
        if block.is_empty() {
            continue;
        }
        let mut lines: Vec<&str> = block.lines().collect();
        let mut id = None;
        if let Some(first) = lines.first()
            && first.starts_with("{#")
            && first.ends_with('}')
        {
            id = Some(first[2..first.len() - 1].to_owned());
            lines.remove(0);
        }
        let Some(first) = lines.first() else {
            continue;
        };
        if first.trim_start().starts_with('|') {
            let mut rows: Vec<Vec<String>> = lines
                .iter()
                .filter(|l| !is_separator(l))
                .map(|l| cells(l))
                .collect();
            let head = if rows.is_empty() {
                Vec::new()
            } else {
                rows.remove(0)
            };
            blocks.push(Block::Table { id, head, rows });
        } else if let Some(h) = first.strip_prefix("### ") {
            blocks.push(Block::Heading(3, h.trim().to_owned()));
            push_rest(&mut blocks, &lines[1..]);
        } else if let Some(h) = first.strip_prefix("## ") {
            blocks.push(Block::Heading(2, h.trim().to_owned()));
            push_rest(&mut blocks, &lines[1..]);
        } else if let Some(h) = first.strip_prefix("# ") {
            blocks.push(Block::Heading(1, h.trim().to_owned()));
            push_rest(&mut blocks, &lines[1..]);
        } else {
            push_rest(&mut blocks, &lines);
        }
    }
    blocks
}

/// Paragraph and list lines of a block.
fn push_rest(blocks: &mut Vec<Block>, lines: &[&str]) {
    let mut para: Vec<&str> = Vec::new();
    let mut items: Vec<String> = Vec::new();
    for line in lines {
        let line = line.trim();
        if let Some(item) = line.strip_prefix("- ") {
            if !para.is_empty() {
                blocks.push(Block::Paragraph(para.join(" ")));
                para.clear();
            }
            items.push(item.trim().to_owned());
        } else if let Some(last) = items.last_mut() {
            last.push(' ');
            last.push_str(line);
        } else {
            para.push(line);
        }
    }
    if !para.is_empty() {
        blocks.push(Block::Paragraph(para.join(" ")));
    }
    if !items.is_empty() {
        blocks.push(Block::List(items));
    }
}

/// The blocks as HTML. A level-1 heading becomes an `h2` (the page's `h1` is its title).
pub fn to_html(blocks: &[Block]) -> Markup {
    html! {
        div.document {
            @for block in blocks {
                @match block {
                    Block::Heading(1, h) => h2 { (h) },
                    Block::Heading(2, h) => h3 { (h) },
                    Block::Heading(_, h) => h4 { (h) },
                    Block::Paragraph(p) => p { (p) },
                    Block::List(items) => ul { @for i in items { li { (i) } } },
                    Block::Table { id, head, rows } => {
                        div.table-wrap {
                            table id=[id.as_deref()] {
                                thead { tr { @for h in head { th scope="col" { (h) } } } }
                                tbody { @for row in rows { tr {
                                    @for (i, c) in row.iter().enumerate() {
                                        @if i == 0 { th scope="row" { (c) } } @else { td { (c) } }
                                    }
                                } } }
                            }
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The acknowledgement gate.

/// A document version every user of the school must have acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Required {
    pub document: Document,
    pub version: String,
    /// How the version is named to the user ("Fassung 3, gilt ab 01.12.2026").
    pub label: String,
}

/// The documents of the school every user must acknowledge before the register opens: the
/// privacy notice and the terms of use, and the Dienstanweisung once the headteacher has
/// issued one (before that, the gate asks for the first two only).
pub fn required(conn: &mut DbConnection, school_id: i64) -> QueryResult<Vec<Required>> {
    let mut out: Vec<Required> = [Document::Datenschutz, Document::Nutzungsbedingungen]
        .into_iter()
        .map(|d| Required {
            document: d,
            version: version(d),
            label: format!("Fassung {}", version(d)),
        })
        .collect();
    if let Some(issued) = documents::current(conn, school_id, Document::Dienstanweisung.key())? {
        out.push(Required {
            document: Document::Dienstanweisung,
            label: format!(
                "Fassung {}, gilt ab {}",
                issued.version_no,
                issued.effective_from.format("%d.%m.%Y")
            ),
            version: issued.version,
        });
    }
    Ok(out)
}

/// The required documents the user has not acknowledged yet (two queries).
pub fn missing(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
) -> QueryResult<Vec<Required>> {
    let required = required(conn, school_id)?;
    let pairs: Vec<(&str, &str)> = required
        .iter()
        .map(|r| (r.document.key(), r.version.as_str()))
        .collect();
    let open: Vec<(String, String)> = acks::missing(conn, user_id, &pairs)?
        .into_iter()
        .map(|(d, v)| (d.to_owned(), v.to_owned()))
        .collect();
    Ok(required
        .into_iter()
        .filter(|r| {
            open.iter()
                .any(|(d, v)| d == r.document.key() && *v == r.version)
        })
        .collect())
}

/// Whether the user has acknowledged every required document.
pub fn all_acknowledged(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
) -> QueryResult<bool> {
    Ok(missing(conn, school_id, user_id)?.is_empty())
}

/// Records the acknowledgement of every currently required document; returns them.
pub fn acknowledge_all(
    conn: &mut DbConnection,
    school_id: i64,
    user_id: i64,
    now: NaiveDateTime,
) -> QueryResult<Vec<Required>> {
    let required = required(conn, school_id)?;
    for r in &required {
        acks::record(conn, school_id, user_id, r.document.key(), &r.version, now)?;
    }
    Ok(required)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_is_the_start_of_the_hash_of_each_template() {
        for d in [
            Document::Datenschutz,
            Document::Nutzungsbedingungen,
            Document::Dienstanweisung,
            Document::Barrierefreiheit,
        ] {
            let hash = crate::crypto::sha256_hex(d.template().as_bytes());
            assert_eq!(version(d), hash[..12]);
        }
    }

    #[test]
    fn a_section_is_replaced_by_the_schools_text_or_its_default() {
        let t = "A\n\n{{abschnitt:x|Titel X}}\nStandard\n{{/abschnitt}}\n\nB";
        assert_eq!(
            sections(t),
            vec![Section {
                key: "x".into(),
                label: "Titel X".into(),
                default: "Standard".into()
            }]
        );
        assert_eq!(expand_sections(t, &[]), "A\n\nStandard\n\nB");
        assert_eq!(
            expand_sections(t, &[("x".into(), "Eigen".into())]),
            "A\n\nEigen\n\nB"
        );
    }

    #[test]
    fn tables_lists_and_headings_are_parsed() {
        let blocks = parse("# T\n\nText\n- a\n- b\n\n{#m}\n| A | B |\n|---|---|\n| 1 | 2 |");
        assert_eq!(
            blocks,
            vec![
                Block::Heading(1, "T".into()),
                Block::Paragraph("Text".into()),
                Block::List(vec!["a".into(), "b".into()]),
                Block::Table {
                    id: Some("m".into()),
                    head: vec!["A".into(), "B".into()],
                    rows: vec![vec!["1".into(), "2".into()]],
                },
            ]
        );
    }
}
