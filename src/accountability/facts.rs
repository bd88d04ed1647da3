//! The facts every document states, read from the live configuration (settings, school
//! policy, roles, retention periods, the permission table) so the texts cannot drift from
//! what the application does, and the placeholder values made from them.

use crate::auth::roles::Role;
use crate::auth::{password, recovery, throttle, totp};
use crate::config::SessionSettings;
use crate::db::documents::{self, SchoolDetails};
use crate::db::retention::{self, Periods};
use crate::db::schools::School;
use crate::db::{DbConnection, DbKind};
use crate::legal::Document;
use crate::startup::AppState;
use chrono::NaiveDate;
use diesel::QueryResult;

/// The data protection officer of public schools in Schleswig-Holstein, named when a school
/// has entered none (the schools there do not appoint their own).
pub const CENTRAL_DPO: &str = "Zentraler Datenschutzbeauftragter des Bildungsministeriums für \
    die öffentlichen Schulen in Schleswig-Holstein, DatenschutzbeauftragterSchule@bimi.landsh.de, \
    Telefon +49 431 988 2452";

/// Everything the documents say about the school and the installation.
#[derive(Debug, Clone)]
pub struct Facts {
    pub school_name: String,
    pub details: SchoolDetails,
    pub headteachers: Vec<String>,
    pub administrators: Vec<String>,
    /// `lesson_mode` or `always`.
    pub policy: String,
    pub lock_days: i32,
    pub periods: Periods,
    pub session: SessionSettings,
    pub setup_link_hours: i64,
    pub origin: String,
    pub database: DbKind,
    /// Number and effective date of the Dienstanweisung in force.
    pub dienstanweisung: Option<(i32, NaiveDate)>,
}

impl Facts {
    /// The facts of `school` today, on top of those of the installation (`base`).
    pub fn load(
        conn: &mut DbConnection,
        base: &Facts,
        school: &School,
        today: NaiveDate,
    ) -> QueryResult<Facts> {
        let details = documents::details(conn, school.id)?;
        let headteachers = documents::holders_of(conn, school.id, Role::Schulleitung, today)?;
        let administrators = documents::holders_of(conn, school.id, Role::Verwaltung, today)?;
        let periods = retention::periods(conn, school.id)?;
        let dienstanweisung = documents::current(conn, school.id, Document::Dienstanweisung.key())?
            .map(|i| (i.version_no, i.effective_from));
        Ok(Facts {
            school_name: school.name.clone(),
            details,
            headteachers,
            administrators,
            policy: school.second_factor_policy.clone(),
            lock_days: school.lock_days,
            periods,
            dienstanweisung,
            ..base.clone()
        })
    }

    /// The facts of the installation alone, for a visitor of no school.
    pub fn installation(state: &AppState) -> Facts {
        Facts {
            school_name: "Ihre Schule".to_owned(),
            details: SchoolDetails::default(),
            headteachers: Vec::new(),
            administrators: Vec::new(),
            policy: "lesson_mode".to_owned(),
            lock_days: 7,
            periods: Periods::default(),
            session: state.settings.session.clone(),
            setup_link_hours: state.settings.security.setup_link_valid_hours,
            origin: state.origin.origin().ascii_serialization(),
            database: state.db.kind(),
            dienstanweisung: None,
        }
    }

    pub fn policy_text(&self) -> &'static str {
        if self.policy == "always" {
            "»Immer« – bei jeder Anmeldung ist der zweite Faktor nötig."
        } else {
            "»Unterrichtsmodus« – für den eigenen Unterricht des laufenden Tages (Namensliste, \
             Anwesenheit, Thema, Hausaufgaben) genügt das Passwort; alles andere ist erst nach \
             Bestätigung mit dem zweiten Faktor zugänglich."
        }
    }

    pub fn dpo(&self) -> String {
        let d = &self.details;
        let parts: Vec<String> = [d.dpo_name.trim(), d.dpo_email.trim(), d.dpo_phone.trim()]
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.is_empty())
            .map(|(i, p)| {
                if i == 2 {
                    format!("Telefon {p}")
                } else {
                    (*p).to_owned()
                }
            })
            .collect();
        if parts.is_empty() {
            CENTRAL_DPO.to_owned()
        } else {
            parts.join(", ")
        }
    }

    /// The values of the placeholders of every template.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        let s = &self.session;
        let p = &self.periods;
        let or = |v: &str, fallback: &str| {
            if v.trim().is_empty() {
                fallback.to_owned()
            } else {
                v.trim().to_owned()
            }
        };
        let names = |v: &[String], fallback: &str| {
            if v.is_empty() {
                fallback.to_owned()
            } else {
                v.join(", ")
            }
        };
        vec![
            ("schule", self.school_name.clone()),
            (
                "schulanschrift",
                or(
                    &self.details.school_address,
                    "Anschrift im Sekretariat erhältlich",
                ),
            ),
            (
                "schulleitung",
                names(&self.headteachers, "Schulleitung nicht eingetragen"),
            ),
            (
                "administration",
                names(
                    &self.administrators,
                    "niemand; die Schulleitung nimmt die Aufgaben selbst wahr",
                ),
            ),
            ("dsb", self.dpo()),
            (
                "betreiber",
                or(
                    &self.details.operator,
                    "noch nicht angegeben (die Schulleitung trägt Betrieb und Hosting unter »Angaben der Schule« ein)",
                ),
            ),
            ("adresse", self.origin.clone()),
            (
                "datenbank",
                match self.database {
                    DbKind::Postgres => "PostgreSQL".to_owned(),
                    DbKind::Sqlite => "SQLite (eine Datei auf dem Server)".to_owned(),
                },
            ),
            ("richtlinie", self.policy_text().to_owned()),
            (
                "richtlinie_kurz",
                if self.policy == "always" {
                    "bei jeder Anmeldung".to_owned()
                } else {
                    "Unterrichtsmodus".to_owned()
                },
            ),
            ("passwort_min", password::MIN_CHARS.to_string()),
            (
                "faktoren",
                "eine App oder ein Hardware-Token mit Einmalcodes (TOTP) oder ein \
                 Sicherheitsschlüssel beziehungsweise Passkey (WebAuthn)"
                    .to_owned(),
            ),
            ("wiederherstellungscodes", recovery::COUNT.to_string()),
            ("sitzung_leerlauf", s.idle_timeout_minutes.to_string()),
            ("sitzung_hoechstdauer", s.absolute_timeout_hours.to_string()),
            ("freigabe_leerlauf", s.elevation_idle_minutes.to_string()),
            (
                "freigabe_hoechstdauer",
                s.elevation_absolute_minutes.to_string(),
            ),
            ("einrichtungslink", self.setup_link_hours.to_string()),
            ("sperre_faktor", totp::LOCK_AT.to_string()),
            ("sperre_faktor_minuten", totp::LOCK_MINUTES.to_string()),
            (
                "verzoegerung_konto",
                throttle::ACCOUNT_DELAY_AFTER.to_string(),
            ),
            ("sperre_konto", throttle::ACCOUNT_LOCK_AT.to_string()),
            (
                "sperre_konto_minuten",
                throttle::ACCOUNT_LOCK_MINUTES.to_string(),
            ),
            (
                "sperre_adresse",
                format!(
                    "{} Fehlversuche in {} Minuten",
                    throttle::ADDRESS_LIMIT,
                    throttle::ADDRESS_WINDOW_MINUTES
                ),
            ),
            ("festschreibung", self.lock_days.to_string()),
            (
                "aufbewahrung_klassenbuch",
                format!(
                    "{} nach Ende des Schuljahres, in dem das Klassenbuch geschlossen wurde; danach dem Archiv angeboten und gelöscht.",
                    years(p.register_years)
                ),
            ),
            (
                "aufbewahrung_notizbuch",
                format!(
                    "{} nach dem Datum des Eintrags, dann gelöscht.",
                    years(p.notebook_years)
                ),
            ),
            (
                "aufbewahrung_stammdaten",
                format!(
                    "{} nach dem Verlassen der Schule, wenn sie nicht mehr benötigt werden, spätestens nach 5 Jahren gelöscht.",
                    years(p.profile_years)
                ),
            ),
            (
                "aufbewahrung_protokolle",
                if p.audit_years <= 1 {
                    "am Ende des auf ihre Entstehung folgenden Jahres gelöscht.".to_owned()
                } else {
                    format!(
                        "am Ende des {}. Jahres nach ihrer Entstehung gelöscht.",
                        p.audit_years
                    )
                },
            ),
            (
                "dienstanweisung_stand",
                match self.dienstanweisung {
                    Some((n, from)) => format!(
                        "Geltende Fassung: Nr. {n}, gilt ab {}.",
                        from.format("%d.%m.%Y")
                    ),
                    None => "Die Schulleitung hat noch keine Dienstanweisung erlassen.".to_owned(),
                },
            ),
        ]
    }

    /// Fills the placeholders of `template`, expands the school's sections (`own`) and the
    /// role × data table.
    pub fn expand(&self, template: &str, own: &[(String, String)]) -> String {
        let text = crate::legal::fill(template, &self.vars());
        let text = crate::legal::expand_sections(&text, own);
        text.replace("{{tabelle:rollen}}", &role_matrix())
    }
}

fn years(n: i32) -> String {
    if n == 1 {
        "1 Jahr".to_owned()
    } else {
        format!("{n} Jahre")
    }
}

/// The role × data table of `permissions::RULES` as a Markdown table with the id
/// `rollenmatrix`.
pub fn role_matrix() -> String {
    format!(
        "{{#rollenmatrix}}\n{}",
        crate::permissions::markdown_matrix().trim_end()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Facts {
        let settings = crate::config::Settings::default();
        Facts {
            school_name: "Testschule".to_owned(),
            details: SchoolDetails::default(),
            headteachers: vec!["Frau Schulleiterin".to_owned()],
            administrators: Vec::new(),
            policy: "lesson_mode".to_owned(),
            lock_days: 7,
            periods: Periods::default(),
            session: settings.session.clone(),
            setup_link_hours: settings.security.setup_link_valid_hours,
            origin: "https://klassenbuch.example".to_owned(),
            database: DbKind::Postgres,
            dienstanweisung: None,
        }
    }

    #[test]
    fn every_placeholder_of_every_template_has_a_value() {
        let facts = sample();
        let mut templates: Vec<&str> = [
            Document::Datenschutz,
            Document::Nutzungsbedingungen,
            Document::Dienstanweisung,
            Document::Barrierefreiheit,
        ]
        .iter()
        .map(|d| d.template())
        .collect();
        templates.extend(crate::accountability::pack::templates());
        for t in templates {
            let text = facts.expand(t, &[]);
            assert!(!text.contains("{{"), "unfilled placeholder in:\n{text}");
        }
    }
}
