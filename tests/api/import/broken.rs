//! Broken files: each gets its German message with file, line, column and value, and the
//! database stays exactly as it was (every table compared; only the session row of the
//! browser may change with a request).

use super::{cli, cli_apply, dump, sample, sample_text, school_with_samples, upload};

/// A pupils file of `rows` data rows (classes of the samples), `edit` applied to line
/// `edited` only (1 = header line).
fn pupils_file(rows: usize, edited: u64, edit: impl Fn(String) -> String) -> Vec<u8> {
    let mut out = String::from(
        "Schüler-ID;Nachname;Vorname;Klasse;Geburtsdatum;Eintrittsdatum;Austrittsdatum\n",
    );
    for i in 0..rows {
        let line = i as u64 + 2;
        let row = format!(
            "{};Nachname{i};Vorname{i};5a;01.02.2015;01.08.2025;",
            2000 + i
        );
        out.push_str(&if line == edited { edit(row) } else { row });
        out.push('\n');
    }
    out.into_bytes()
}

/// Uploads the file through the web and through the CLI; asserts the refusal, the message
/// in both, and that nothing in the database changed.
async fn refused_everywhere(kind: &str, file: &str, bytes: &[u8], message: &str) {
    let (app, b, school_id) = school_with_samples().await;
    let before = dump(&app, &["sessions"]);

    let (status, page) = upload(&b, kind, file, bytes).await;
    let (result, out) = cli(&app, school_id, kind, file, bytes, true);

    assert_eq!(status, 422, "{page}");
    let problems = crate::helpers::text_of(&page, "ul.problems").unwrap_or_default();
    assert!(
        problems.contains(message),
        "web: want »{message}« in {problems}"
    );
    assert!(page.contains("Es wurde nichts gespeichert."));
    assert!(result.is_err(), "the CLI fails with a non-zero exit code");
    assert!(out.contains(message), "cli: want »{message}« in {out}");
    assert_eq!(
        dump(&app, &["sessions"]),
        before,
        "the database is unchanged"
    );
}

/// [`refused_everywhere`] for `bytes` as the pupils file `schueler.csv`.
async fn pupils_refused(bytes: &[u8], message: &str) {
    refused_everywhere("schueler", "schueler.csv", bytes, message).await;
}

#[tokio::test]
async fn a_bad_date_at_line_57_is_named_with_line_column_and_value() {
    let bytes = pupils_file(60, 57, |row| row.replace("01.02.2015", "31.02.2015"));
    pupils_refused(
        &bytes,
        "schueler.csv: Zeile 57, Spalte Geburtsdatum: »31.02.2015« ist kein gültiges Datum",
    )
    .await;
}

#[tokio::test]
async fn a_row_with_the_wrong_number_of_columns_is_refused() {
    let bytes = pupils_file(5, 4, |row| format!("{row};zuviel"));
    pupils_refused(
        &bytes,
        "schueler.csv: Zeile 4: Die Zeile hat 8 Spalten, die Kopfzeile 7.",
    )
    .await;
}

#[tokio::test]
async fn a_duplicate_pupil_id_is_refused_with_both_lines() {
    let bytes = pupils_file(5, 5, |row| row.replacen("2003;", "2000;", 1));
    pupils_refused(
        &bytes,
        "Zeile 5, Spalte Schüler-ID: »2000« kommt mehrfach vor (auch in Zeile 2).",
    )
    .await;
}

#[tokio::test]
async fn an_unknown_class_is_refused() {
    let bytes = pupils_file(5, 3, |row| row.replace(";5a;", ";9z;"));
    pupils_refused(
        &bytes,
        "Zeile 3, Spalte Klasse: »9z« ist keine Klasse der Schule",
    )
    .await;
}

#[tokio::test]
async fn a_file_in_utf_16_is_refused() {
    let text = sample_text("schueler.csv");
    let mut bytes = vec![0xff, 0xfe];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    pupils_refused(&bytes, "schueler.csv: Die Datei ist in UTF-16 kodiert").await;
}

#[tokio::test]
async fn a_file_mixing_utf_8_and_windows_1252_is_refused() {
    let mut bytes = sample("schueler.csv");
    // A pupil added in Windows-1252 to a UTF-8 file (»Kähler« is UTF-8 already).
    bytes.extend_from_slice(b"1013;M\xfcller;J\xf6rg;5a;;01.08.2025;\n");
    pupils_refused(
        &bytes,
        "Die Datei mischt die Kodierungen UTF-8 und Windows-1252",
    )
    .await;
}

#[tokio::test]
async fn an_executable_renamed_to_csv_is_refused() {
    let mut bytes = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
    bytes.extend_from_slice(&[0u8; 512]);
    pupils_refused(
        &bytes,
        "schueler.csv: Die Datei ist keine CSV-Datei, sondern ein Windows-Programm.",
    )
    .await;
}

#[tokio::test]
async fn a_binary_file_without_a_known_signature_is_refused() {
    let mut bytes = b"Kuerzel;Nachname;Vorname\n".to_vec();
    bytes.extend_from_slice(&[0u8, 1, 2, 3, 0, 0, 7]);
    refused_everywhere(
        "personal",
        "personal.csv",
        &bytes,
        "personal.csv: Zeile 2: Die Datei ist keine CSV-Textdatei (sie enthält Binärdaten).",
    )
    .await;
}

#[tokio::test]
async fn a_50_mb_file_gets_413_on_the_web_and_a_message_in_the_cli() {
    let (app, b, school_id) = school_with_samples().await;
    let before = dump(&app, &["sessions"]);
    let row = b"2000;Nachname;Vorname;5a;01.02.2015;01.08.2025;\n";
    let mut bytes =
        b"Sch\xc3\xbcler-ID;Nachname;Vorname;Klasse;Geburtsdatum;Eintrittsdatum;Austrittsdatum\n"
            .to_vec();
    while bytes.len() < 50 * 1024 * 1024 {
        bytes.extend_from_slice(row);
    }
    bytes.truncate(50 * 1024 * 1024);

    let (status, _) = upload(&b, "schueler", "gross.csv", &bytes).await;
    let (result, out) = cli(&app, school_id, "schueler", "gross.csv", &bytes, true);

    assert_eq!(status, 413);
    assert!(result.is_err());
    assert!(
        out.contains("gross.csv: Die Datei ist zu groß (50 MB); erlaubt sind höchstens 5 MB."),
        "{out}"
    );
    assert_eq!(dump(&app, &["sessions"]), before);
}

#[tokio::test]
async fn a_file_without_a_required_column_names_the_column() {
    pupils_refused(
        "Schüler-ID;Nachname;Vorname\n1;A;B\n".as_bytes(),
        "schueler.csv: Zeile 1: Die Pflichtspalte »Klasse« fehlt",
    )
    .await;
}

#[tokio::test]
async fn a_preview_whose_data_changed_before_apply_is_checked_again_and_writes_nothing() {
    // Arrange
    let (app, b, school_id) = school_with_samples().await;
    let file = "Schüler-ID;Nachname;Vorname;Klasse\n3000;Neu;Nina;6a\n";
    let (status, preview) = upload(&b, "schueler", "neu.csv", file.as_bytes()).await;
    assert_eq!(status, 200, "{preview}");
    // Meanwhile the class is renamed by another import.
    let renamed = sample_text("klassen.csv").replace("K6A;6a;", "K6A;6c;");
    let (r, out) = cli_apply(&app, school_id, "klassen", &renamed);
    assert!(r.is_ok(), "{out}");
    let before = dump(&app, &["sessions", "pending_imports"]);

    // Act
    let resp = super::apply(&b, &preview).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 422);
    let page = resp.text().await.unwrap();
    assert!(
        page.contains("Zeile 2, Spalte Klasse: »6a« ist keine Klasse der Schule"),
        "{page}"
    );
    assert_eq!(dump(&app, &["sessions", "pending_imports"]), before);
}
