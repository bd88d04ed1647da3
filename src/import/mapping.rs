//! Which column holds which field: the header names of the school software, matched
//! without regard to case, spaces and a byte order mark. A school may name its own header
//! for any field (`import_mappings`, page `/verwaltung/import/zuordnung`); that name wins
//! over the defaults in [`super::Kind::fields`]. Columns we do not know are ignored.

use super::parse::Table;
use super::{FieldSpec, Kind, Problem};
use std::collections::HashMap;

/// The school's own header names of one kind, by field key.
pub type Overrides = HashMap<String, String>;

/// The columns of our fields in one file.
#[derive(Debug, Clone)]
pub struct Columns {
    /// Field key → (column index, header as written in the file).
    found: HashMap<&'static str, (usize, String)>,
}

impl Columns {
    /// The cell of `key` in `cells` (trimmed; empty when the column is absent).
    pub fn get<'a>(&self, key: &str, cells: &'a [String]) -> &'a str {
        self.found
            .get(key)
            .and_then(|(i, _)| cells.get(*i))
            .map_or("", String::as_str)
    }

    /// The header of `key` as the file writes it (for messages), or our default.
    pub fn header(&self, kind: Kind, key: &str) -> String {
        self.found
            .get(key)
            .map(|(_, h)| h.clone())
            .or_else(|| kind.field(key).map(|f| f.header.to_owned()))
            .unwrap_or_else(|| key.to_owned())
    }

    pub fn has(&self, key: &str) -> bool {
        self.found.contains_key(key)
    }
}

/// A header for comparison: lower case, inner whitespace collapsed, no byte order mark.
pub fn normal(header: &str) -> String {
    header
        .trim_start_matches('\u{feff}')
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The names a field answers to: the school's own name if it has one, else the defaults.
pub fn names(field: &FieldSpec, overrides: &Overrides) -> Vec<String> {
    match overrides.get(field.key) {
        Some(own) => vec![normal(own)],
        None => std::iter::once(field.header)
            .chain(field.aliases.iter().copied())
            .map(normal)
            .collect(),
    }
}

/// Finds the column of every field; a missing required column or a field named by two
/// columns is a problem of the header line.
pub fn resolve(
    file: &str,
    kind: Kind,
    table: &Table,
    overrides: &Overrides,
) -> Result<Columns, Vec<Problem>> {
    let headers: Vec<String> = table.headers.iter().map(|h| normal(h)).collect();
    let mut found = HashMap::new();
    let mut problems = Vec::new();
    for field in kind.fields() {
        let names = names(field, overrides);
        let hits: Vec<usize> = headers
            .iter()
            .enumerate()
            .filter(|(_, h)| names.contains(h))
            .map(|(i, _)| i)
            .collect();
        match hits.as_slice() {
            [] if field.required => problems.push(Problem::line(
                file,
                1,
                format!(
                    "Die Pflichtspalte »{}« fehlt (erkannt werden: {}).",
                    field.header,
                    display_names(field, overrides)
                ),
            )),
            [] => {}
            [i] => {
                found.insert(field.key, (*i, table.headers[*i].trim().to_owned()));
            }
            [a, b, ..] => problems.push(Problem::line(
                file,
                1,
                format!(
                    "Die Spalten »{}« und »{}« bezeichnen beide »{}«; bitte eine entfernen.",
                    table.headers[*a].trim(),
                    table.headers[*b].trim(),
                    field.header
                ),
            )),
        }
    }
    if problems.is_empty() {
        Ok(Columns { found })
    } else {
        Err(problems)
    }
}

/// The accepted header names of a field, for messages and the documentation page.
pub fn display_names(field: &FieldSpec, overrides: &Overrides) -> String {
    match overrides.get(field.key) {
        Some(own) => format!("»{own}«"),
        None => std::iter::once(field.header)
            .chain(field.aliases.iter().copied())
            .map(|n| format!("»{n}«"))
            .collect::<Vec<_>>()
            .join(", "),
    }
}
