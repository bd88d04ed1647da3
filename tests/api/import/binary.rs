//! `klassenbuch import` as a program: exit code 0 and the report on success; a non-zero
//! exit code, the located message and an unchanged database on a broken file.

use super::{dump, sample};
use crate::helpers::spawn_app;
use klassenbuch::crypto::Keyring;
use std::process::{Command, Output};

fn import(db_url: &str, school_id: i64, kind: &str, path: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_klassenbuch"))
        .args(["import", "--school", &school_id.to_string(), "--kind", kind])
        .arg(path)
        .arg("--apply")
        .env_remove("KLASSENBUCH_CONFIG")
        .env("KLASSENBUCH__DATABASE__URL", db_url)
        .env("KLASSENBUCH__KEYS__INLINE", Keyring::generate_line("cli"))
        .output()
        .unwrap()
}

#[tokio::test]
async fn the_import_command_exits_non_zero_on_a_broken_file_and_zero_on_a_good_one() {
    // Arrange
    let app = spawn_app().await;
    let school_id = app.create_school("Schule am Kanal");
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("personal.csv");
    std::fs::write(&good, sample("personal.csv")).unwrap();
    let broken = dir.path().join("personal-kaputt.csv");
    std::fs::write(&broken, "Kürzel;Nachname;Vorname\nABC;Thomsen\n").unwrap();
    let before = dump(&app, &[]);

    // Act
    let refused = import(&app.db_url, school_id, "personal", &broken);
    let after_refusal = dump(&app, &[]);
    let accepted = import(&app.db_url, school_id, "personal", &good);

    // Assert
    let out = String::from_utf8_lossy(&refused.stdout);
    assert!(!refused.status.success());
    assert!(
        out.contains("personal-kaputt.csv: Zeile 2: Die Zeile hat 2 Spalten, die Kopfzeile 3."),
        "{out}"
    );
    assert_eq!(after_refusal, before);
    let out = String::from_utf8_lossy(&accepted.stdout);
    assert!(
        accepted.status.success(),
        "{out} {}",
        String::from_utf8_lossy(&accepted.stderr)
    );
    assert!(
        out.contains("5 neu, 0 geändert, 0 nicht mehr in der Datei"),
        "{out}"
    );
    assert!(out.contains("Übernommen."), "{out}");
}
