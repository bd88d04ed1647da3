//! Data protection duties of the school as controller (`product.md` §§ 4.5, 4.6): the
//! access report and data export per pupil (Art. 15 / Art. 20), the retention job with its
//! archive export and deletion records, the breach notification draft (Art. 33), and the
//! filtered audit log viewer. All of it is the headteacher's, after step-up, and audited.

pub mod access_report;
pub mod audit_view;
pub mod breach;
mod export;
pub mod jobs;
pub mod retention;

use crate::permissions::DataGroup;

/// The audit object of a pupil (as `crate::pupils::object` writes it).
pub fn pupil_object(pupil_id: i64) -> String {
    format!("schueler:{pupil_id}")
}

/// Actions whose object is a class and whose page showed class B data of every pupil of
/// that class (absences, statistics, the printed register, the class list).
pub const CLASS_VIEW_ACTIONS: [&str; 4] = [
    "fehlzeiten_angezeigt",
    "statistik_angezeigt",
    "export",
    "klassenliste_angezeigt",
];

/// The data group named in an audit detail (`datengruppe=<key>`), as its German label.
pub fn group_of(detail: &str) -> Option<&'static str> {
    let key = detail
        .split(';')
        .map(str::trim)
        .find_map(|part| part.strip_prefix("datengruppe="))?;
    DataGroup::ALL
        .iter()
        .find(|g| g.key() == key)
        .map(|g| g.label())
        .or(match key {
            "fehlzeitenstatistik" => Some("Fehlzeitenstatistik"),
            _ => None,
        })
}

/// A German label for an audit action.
pub fn action_label(action: &str) -> &str {
    match action {
        "schuelerdaten_angezeigt" => "Schülerdaten angezeigt",
        "schuelerdaten_geaendert" => "Schülerdaten geändert",
        "fehlzeiten_ueberblick_angezeigt" => "Fehlzeiten-Überblick angezeigt",
        "fehlzeiten_angezeigt" => "Fehlzeiten der Klasse angezeigt",
        "statistik_angezeigt" => "Statistik der Klasse angezeigt",
        "klassenliste_angezeigt" => "Klassenliste angezeigt",
        "export" => "Export",
        "auskunft_erstellt" => "Auskunft erstellt",
        "zugriff_verweigert" => "Zugriff verweigert",
        other => other,
    }
}
