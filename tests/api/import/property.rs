//! Random CSV fed to the parser: it never panics, and every file is either read cleanly or
//! refused with problems that name the file and, below the file level, the line.

use super::{cli, dump, import_samples};
use crate::helpers::spawn_app;
use klassenbuch::import::mapping::{self, Overrides};
use klassenbuch::import::validate::{self, Context};
use klassenbuch::import::{Kind, parse};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

/// Cells that are likely to hit the checks: dates, ids, classes, quotes, separators,
/// umlauts in both encodings, control bytes.
fn cell() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"1001".to_vec()),
        Just(b"5a".to_vec()),
        Just(b"9z".to_vec()),
        Just(b"31.02.2015".to_vec()),
        Just(b"01.08.2025".to_vec()),
        Just(b"2025-08-01".to_vec()),
        Just(b"".to_vec()),
        Just(b"\"a;b\"".to_vec()),
        Just(b"\"".to_vec()),
        Just("Kähler".as_bytes().to_vec()),
        Just(b"K\xe4hler".to_vec()),
        Just(b"\x00".to_vec()),
        Just(b"=1+1".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..12),
        "[a-zA-Z0-9 .,;-]{0,12}".prop_map(String::into_bytes),
    ]
}

fn header() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just("Schüler-ID".as_bytes().to_vec()),
        Just(b"Nachname".to_vec()),
        Just(b"Vorname".to_vec()),
        Just(b"Klasse".to_vec()),
        Just(b"Geburtsdatum".to_vec()),
        Just(b"Eintrittsdatum".to_vec()),
        Just(b"Austrittsdatum".to_vec()),
        Just(b"Unbekannt".to_vec()),
    ]
}

/// A CSV-like file: a header and rows of random cells joined by a random separator.
fn file() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![Just(b';'), Just(b','), Just(b'\t')],
        proptest::collection::vec(header(), 1..8),
        proptest::collection::vec(proptest::collection::vec(cell(), 0..9), 0..12),
        prop_oneof![Just(&b"\n"[..]), Just(&b"\r\n"[..])],
    )
        .prop_map(|(sep, headers, rows, newline)| {
            let mut out = headers.join(&sep);
            for row in rows {
                out.extend_from_slice(newline);
                out.extend_from_slice(&row.join(&sep));
            }
            out
        })
}

fn context() -> Context {
    let mut ctx = Context::default();
    ctx.classes.insert("5a".into(), 1);
    ctx
}

proptest! {
    #![proptest_config(Config::with_cases(2000))]

    #[test]
    fn random_csv_is_read_cleanly_or_refused_with_located_problems(
        bytes in prop_oneof![file(), proptest::collection::vec(any::<u8>(), 0..300)]
    ) {
        let outcome = parse::decode("zufall.csv", &bytes)
            .map_err(|p| vec![p])
            .and_then(|text| parse::table("zufall.csv", &text))
            .and_then(|table| {
                mapping::resolve("zufall.csv", Kind::Pupils, &table, &Overrides::new())
                    .and_then(|cols| {
                        validate::records("zufall.csv", Kind::Pupils, &table, &cols, &context(), &|_| {})
                    })
            });
        if let Err(problems) = outcome {
            prop_assert!(!problems.is_empty());
            for p in &problems {
                prop_assert_eq!(&p.file, "zufall.csv");
                prop_assert!(!p.message.is_empty());
                let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
                if let Some(line) = p.line {
                    prop_assert!(line >= 1 && line <= lines, "line {line} of {lines}: {p}");
                }
                if p.column.is_some() {
                    prop_assert!(p.line.is_some(), "a column without a line: {p}");
                }
            }
        }
    }
}

#[tokio::test]
async fn random_files_through_the_whole_import_either_apply_or_change_nothing() {
    // Arrange
    let app = spawn_app().await;
    let user = app.create_user(klassenbuch::auth::roles::Role::Schulleitung);
    import_samples(&app, user.school_id);
    let mut runner = TestRunner::new(Config::with_cases(40));

    // Act and assert
    for _ in 0..40 {
        let bytes = file().new_tree(&mut runner).unwrap().current();
        let before = dump(&app, &["audit_log"]);
        let (result, out) = cli(&app, user.school_id, "schueler", "zufall.csv", &bytes, true);
        match result {
            Ok(_) => assert!(out.contains("Übernommen."), "{out}"),
            Err(_) => {
                assert!(out.contains("zufall.csv"), "a located error: {out}");
                assert_eq!(dump(&app, &["audit_log"]), before, "nothing written: {out}");
            }
        }
    }
}
