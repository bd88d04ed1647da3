//! CSV files that spreadsheets open safely: `;`-separated (what German Excel expects), every
//! cell that a spreadsheet would run as a formula neutralised (security.md). One writer for
//! every export: class statistics, master data, and the Art. 20 export.

/// Makes a cell safe for spreadsheets: a cell starting with `=`, `+`, `-`, `@`, tab or
/// carriage return would be read as a formula, so it gets a leading `'`.
pub fn neutralise(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

/// The CSV bytes of `header` and `rows`, every row's cells neutralised. With `bom`, the file
/// starts with a UTF-8 byte order mark, so that Excel reads the umlauts when it opens the
/// file directly.
pub fn csv<R: AsRef<[String]>>(
    header: &[&str],
    rows: impl IntoIterator<Item = R>,
    bom: bool,
) -> Result<Vec<u8>, csv::Error> {
    let start = if bom { "\u{feff}".as_bytes() } else { &[] };
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::from(start));
    w.write_record(header)?;
    for row in rows {
        w.write_record(row.as_ref().iter().map(|c| neutralise(c)))?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_spreadsheets_would_run_as_formulas_get_a_quote() {
        for cell in ["=1+1", "+1", "-2", "@x", "\tx", "\rx"] {
            assert_eq!(neutralise(cell), format!("'{cell}"));
        }
        assert_eq!(neutralise("Müller"), "Müller");
        assert_eq!(neutralise("12"), "12");
    }

    #[test]
    fn a_file_has_the_header_then_the_neutralised_rows_and_a_bom_only_when_asked() {
        let rows = vec![vec!["=SUMME(A1)".to_owned(), "Müller".to_owned()]];
        let with = csv(&["Wert", "Name"], &rows, true).unwrap();
        let without = csv(&["Wert", "Name"], &rows, false).unwrap();
        assert_eq!(with, "\u{feff}Wert;Name\n'=SUMME(A1);Müller\n".as_bytes());
        assert_eq!(without, "Wert;Name\n'=SUMME(A1);Müller\n".as_bytes());
    }
}
