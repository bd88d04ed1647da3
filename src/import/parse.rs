//! From bytes to a table: size and content checks, decoding (UTF-8 with or without byte
//! order mark, else Windows-1252 as Excel writes it), separator detection (`;`, `,` or
//! tab, from the header line) and CSV splitting with the line of every row. Never panics;
//! every refusal is a [`Problem`] naming the file and, where there is one, the line.

use super::{MAX_BYTES, MAX_ROWS, Problem};

/// A parsed file: the header cells and the data rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
}

/// A data row with the line of the file it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub line: u64,
    pub cells: Vec<String>,
}

/// Signatures of files that are certainly not CSV.
const MAGIC: &[(&[u8], &str)] = &[
    (b"MZ", "ein Windows-Programm"),
    (b"\x7fELF", "ein Programm"),
    (
        b"PK\x03\x04",
        "ein ZIP-Archiv oder eine Excel-Arbeitsmappe (.xlsx)",
    ),
    (
        b"\xd0\xcf\x11\xe0",
        "eine alte Excel- oder Word-Datei (.xls)",
    ),
    (b"%PDF", "ein PDF-Dokument"),
    (b"\x89PNG", "ein Bild"),
    (b"\xff\xd8\xff", "ein Bild"),
    (b"\x1f\x8b", "ein gzip-Archiv"),
    (b"#!", "ein Skript"),
];

const SAVE_AS: &str = "Bitte in der Schulverwaltung oder in Excel als »CSV (Trennzeichen-getrennt)« \
                       oder »CSV UTF-8« speichern.";

/// Decodes the file: refuses empty, oversized, binary and UTF-16 files; takes UTF-8 (a
/// byte order mark is dropped) and otherwise Windows-1252. A file that mixes UTF-8 and
/// Windows-1252 is refused with the first line that shows it.
pub fn decode(file: &str, bytes: &[u8]) -> Result<String, Problem> {
    if bytes.len() > MAX_BYTES {
        return Err(Problem::file(
            file,
            format!(
                "Die Datei ist zu groß ({} MB); erlaubt sind höchstens {} MB.",
                bytes.len().div_ceil(1024 * 1024),
                MAX_BYTES / (1024 * 1024)
            ),
        ));
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Problem::file(file, "Die Datei ist leer."));
    }
    if bytes.starts_with(b"\xff\xfe") || bytes.starts_with(b"\xfe\xff") {
        return Err(Problem::file(
            file,
            format!("Die Datei ist in UTF-16 kodiert (»Unicode-Text«), nicht als CSV. {SAVE_AS}"),
        ));
    }
    if let Some((_, what)) = MAGIC.iter().find(|(magic, _)| bytes.starts_with(magic)) {
        return Err(Problem::file(
            file,
            format!("Die Datei ist keine CSV-Datei, sondern {what}. {SAVE_AS}"),
        ));
    }
    if let Some(pos) = bytes.iter().position(|&b| b == 0) {
        return Err(Problem::line(
            file,
            line_of(bytes, pos),
            format!("Die Datei ist keine CSV-Textdatei (sie enthält Binärdaten). {SAVE_AS}"),
        ));
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(e) => windows_1252(file, bytes, e.valid_up_to())?,
    };
    if let Some((line, c)) = text.lines().enumerate().find_map(|(i, l)| {
        l.chars()
            .find(|c| c.is_control() && *c != '\t' && *c != '\r')
            .map(|c| (i, c))
    }) {
        return Err(Problem::line(
            file,
            line as u64 + 1,
            format!(
                "Die Datei enthält das Steuerzeichen U+{:04X}; sie ist keine CSV-Textdatei oder \
                 falsch kodiert. {SAVE_AS}",
                c as u32
            ),
        ));
    }
    Ok(text)
}

/// The 1-based line of byte `pos`.
fn line_of(bytes: &[u8], pos: usize) -> u64 {
    bytes[..pos.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u64
        + 1
}

/// Decodes Windows-1252, after making sure the file is not UTF-8 with a few stray bytes.
fn windows_1252(file: &str, bytes: &[u8], first_bad: usize) -> Result<String, Problem> {
    // A valid multi-byte UTF-8 sequence anywhere means the file was UTF-8 to begin with.
    if let Some(pos) = utf8_sequence(bytes) {
        let line = line_of(bytes, pos.max(first_bad));
        return Err(Problem::line(
            file,
            line_of(bytes, first_bad).min(line),
            format!(
                "Die Datei mischt die Kodierungen UTF-8 und Windows-1252 (Umlaute sind \
                 uneinheitlich gespeichert). {SAVE_AS}"
            ),
        ));
    }
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
    Ok(text.into_owned())
}

/// The position of the first well-formed multi-byte UTF-8 sequence, if any.
fn utf8_sequence(bytes: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let len = match b {
            0xc2..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf4 => 4,
            _ => {
                i += 1;
                continue;
            }
        };
        if let Some(seq) = bytes.get(i..i + len)
            && std::str::from_utf8(seq).is_ok()
        {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// The separator of the file: the most frequent of `;`, `,` and tab in the header line
/// (outside quotes); `;` when there is none.
pub fn separator(text: &str) -> u8 {
    let header = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut counts = [(b';', 0usize), (b',', 0), (b'\t', 0)];
    let mut quoted = false;
    for c in header.bytes() {
        if c == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(entry) = counts.iter_mut().find(|(s, _)| *s == c) {
            entry.1 += 1;
        }
    }
    counts
        .iter()
        .max_by_key(|(s, n)| (*n, *s == b';'))
        .filter(|(_, n)| *n > 0)
        .map_or(b';', |(s, _)| *s)
}

/// Splits decoded text into header and rows. Every row must have as many cells as the
/// header; empty lines are skipped; cells are trimmed.
pub fn table(file: &str, text: &str) -> Result<Table, Vec<Problem>> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator(text))
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    // The csv reader does not count skipped empty lines; lines come from byte offsets.
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_at = |byte: u64| {
        // A record's position may point at the empty lines before it.
        let mut byte = usize::try_from(byte).unwrap_or(usize::MAX);
        while matches!(text.as_bytes().get(byte), Some(b'\n' | b'\r')) {
            byte += 1;
        }
        starts.partition_point(|&s| s <= byte) as u64
    };
    let mut headers: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| line_at(p.byte()));
                problems.push(Problem::line(
                    file,
                    line,
                    "Die Zeile ist kein gültiges CSV (Anführungszeichen prüfen).",
                ));
                break;
            }
        };
        let line = record.position().map_or(0, |p| line_at(p.byte()));
        let cells: Vec<String> = record.iter().map(|c| c.trim().to_owned()).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        match &headers {
            None => headers = Some(cells),
            Some(h) => {
                if cells.len() != h.len() {
                    problems.push(Problem::line(
                        file,
                        line,
                        format!(
                            "Die Zeile hat {} Spalten, die Kopfzeile {}.",
                            cells.len(),
                            h.len()
                        ),
                    ));
                }
                if rows.len() >= MAX_ROWS {
                    problems.push(Problem::line(
                        file,
                        line,
                        format!("Die Datei hat mehr als {MAX_ROWS} Datenzeilen; bitte aufteilen."),
                    ));
                    break;
                }
                rows.push(Row { line, cells });
            }
        }
        if problems.len() >= 200 {
            break;
        }
    }
    let Some(headers) = headers else {
        return Err(vec![Problem::file(file, "Die Datei hat keine Kopfzeile.")]);
    };
    if problems.is_empty() && rows.is_empty() {
        // A header alone would read as »everybody left«.
        problems.push(Problem::file(file, "Die Datei enthält keine Datenzeilen."));
    }
    if problems.is_empty() {
        Ok(Table { headers, rows })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_umlauts_are_read() {
        let text = decode("a.csv", b"Nachname;Vorname\nM\xfcller;J\xf6rg\n").unwrap_or_default();
        assert_eq!(text, "Nachname;Vorname\nMüller;Jörg\n");
    }

    #[test]
    fn the_separator_is_taken_from_the_header_line() {
        assert_eq!(separator("a,b,c\n1;2,3"), b',');
        assert_eq!(separator("a;b;c\n"), b';');
        assert_eq!(separator("\"a;x\",b,c\n"), b',');
        assert_eq!(separator("a\tb\n"), b'\t');
    }

    #[test]
    fn a_row_with_a_wrong_number_of_cells_is_named_by_its_line() {
        let err = table("a.csv", "a;b\n1;2\n\n1;2;3\n")
            .err()
            .unwrap_or_default();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].line, Some(4));
    }

    #[test]
    fn more_rows_than_the_limit_are_refused_and_a_header_alone_too() {
        let mut text = String::from("a;b\n");
        for i in 0..=MAX_ROWS {
            text.push_str(&format!("{i};x\n"));
        }
        let err = table("a.csv", &text).err().unwrap_or_default();
        assert!(
            err.iter()
                .any(|p| p.message.contains("mehr als 20000 Datenzeilen"))
        );
        let err = table("a.csv", "a;b\n").err().unwrap_or_default();
        assert_eq!(err[0].message, "Die Datei enthält keine Datenzeilen.");
    }
}
