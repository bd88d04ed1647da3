//! The role × data table of `product.md` §§ 2–3, in one place. Handlers ask it which data
//! groups a role may read or change; the generated documentation prints it. Nothing else
//! decides field visibility.

use crate::auth::roles::Role;

/// A group of pupil data with one rule for who may see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataGroup {
    /// Class A: surname, first name and class on the roster of one's own lessons today.
    Roster,
    /// Class A: attendance, topic, homework of one's own lessons today.
    TodaysLesson,
    /// Date of birth, sex.
    PersonalData,
    Photo,
    /// Address, e-mail, phone.
    Contact,
    Guardians,
    TrainingCompany,
    /// Health impairment codes, Nachteilsausgleich, Notenschutz, spelling weighting.
    Support,
    ConductNotes,
    /// Absence cases, excuses, statistics beyond today.
    Absences,
    /// The social worker's view: counts per term, pattern, excused / unexcused.
    AbsenceOverview,
    /// The teacher's own notebook (interim assessments, interim grades). Owner only.
    Notebook,
}

/// Whose data a role may reach for a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Not at all.
    None,
    /// Pupils the user teaches (own lessons / groups).
    OwnPupils,
    /// Pupils of the class the user is class teacher of.
    OwnClass,
    /// Pupils assigned to the user (school social work).
    Assigned,
    /// Only entries the user wrote.
    OwnEntries,
    /// Every pupil of the school.
    School,
}

/// One row of the table: a role's read and write scope for a data group, and whether a
/// second factor is required (class B).
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub group: DataGroup,
    pub role: Role,
    pub read: Scope,
    pub write: Scope,
}

use DataGroup as G;
use Role as R;
use Scope as S;

const fn rule(group: DataGroup, role: Role, read: Scope, write: Scope) -> Rule {
    Rule {
        group,
        role,
        read,
        write,
    }
}

/// The table. Roles and groups not listed have no access.
pub const RULES: &[Rule] = &[
    rule(G::Roster, R::Lehrkraft, S::OwnPupils, S::None),
    rule(G::Roster, R::Klassenlehrkraft, S::OwnClass, S::None),
    rule(G::TodaysLesson, R::Lehrkraft, S::OwnPupils, S::OwnPupils),
    rule(
        G::TodaysLesson,
        R::Klassenlehrkraft,
        S::OwnPupils,
        S::OwnPupils,
    ),
    rule(G::PersonalData, R::Klassenlehrkraft, S::OwnClass, S::None),
    rule(G::PersonalData, R::Sekretariat, S::School, S::School),
    rule(G::PersonalData, R::Schulleitung, S::School, S::School),
    rule(G::Photo, R::Klassenlehrkraft, S::OwnClass, S::OwnClass),
    rule(G::Photo, R::Lehrkraft, S::OwnPupils, S::None),
    rule(G::Photo, R::Schulleitung, S::School, S::None),
    rule(G::Contact, R::Klassenlehrkraft, S::OwnClass, S::None),
    rule(G::Contact, R::Sekretariat, S::School, S::School),
    rule(G::Contact, R::Schulleitung, S::School, S::None),
    rule(G::Guardians, R::Klassenlehrkraft, S::OwnClass, S::None),
    rule(G::Guardians, R::Sekretariat, S::School, S::School),
    rule(G::Guardians, R::Schulleitung, S::School, S::None),
    rule(
        G::TrainingCompany,
        R::Klassenlehrkraft,
        S::OwnClass,
        S::None,
    ),
    rule(G::TrainingCompany, R::Sekretariat, S::School, S::School),
    rule(G::TrainingCompany, R::Schulleitung, S::School, S::None),
    rule(G::Support, R::Lehrkraft, S::OwnPupils, S::None),
    rule(G::Support, R::Klassenlehrkraft, S::OwnClass, S::OwnClass),
    rule(G::Support, R::Schulleitung, S::School, S::School),
    rule(G::ConductNotes, R::Lehrkraft, S::OwnEntries, S::OwnPupils),
    rule(
        G::ConductNotes,
        R::Klassenlehrkraft,
        S::OwnClass,
        S::OwnClass,
    ),
    rule(G::ConductNotes, R::Schulleitung, S::School, S::None),
    rule(G::Absences, R::Klassenlehrkraft, S::OwnClass, S::OwnClass),
    rule(G::Absences, R::Sekretariat, S::School, S::School),
    rule(G::Absences, R::Schulleitung, S::School, S::None),
    rule(
        G::AbsenceOverview,
        R::Schulsozialarbeit,
        S::Assigned,
        S::None,
    ),
    rule(
        G::AbsenceOverview,
        R::Klassenlehrkraft,
        S::OwnClass,
        S::None,
    ),
    rule(G::AbsenceOverview, R::Schulleitung, S::School, S::None),
    rule(G::Notebook, R::Lehrkraft, S::OwnEntries, S::OwnEntries),
    rule(
        G::Notebook,
        R::Klassenlehrkraft,
        S::OwnEntries,
        S::OwnEntries,
    ),
];

impl DataGroup {
    pub const ALL: [DataGroup; 12] = [
        G::Roster,
        G::TodaysLesson,
        G::PersonalData,
        G::Photo,
        G::Contact,
        G::Guardians,
        G::TrainingCompany,
        G::Support,
        G::ConductNotes,
        G::Absences,
        G::AbsenceOverview,
        G::Notebook,
    ];

    /// Class A data needs only the first factor (in `lesson_mode`); all else is class B.
    pub fn needs_second_factor(self) -> bool {
        !matches!(self, G::Roster | G::TodaysLesson)
    }

    /// The German name, as used in audit records and the documentation.
    pub fn label(self) -> &'static str {
        match self {
            G::Roster => "Namensliste der eigenen heutigen Stunden",
            G::TodaysLesson => "Anwesenheit, Thema und Hausaufgaben der eigenen heutigen Stunden",
            G::PersonalData => "Geburtsdatum, Geschlecht",
            G::Photo => "Foto",
            G::Contact => "Anschrift, E-Mail, Telefon",
            G::Guardians => "Erziehungsberechtigte",
            G::TrainingCompany => "Ausbildungsbetrieb",
            G::Support => "Förderdaten (Gesundheitscodes, Nachteilsausgleich, Notenschutz)",
            G::ConductNotes => "Verhaltensnotizen",
            G::Absences => "Fehlzeiten, Entschuldigungen, Statistik",
            G::AbsenceOverview => "Fehlzeiten-Überblick (Schulsozialarbeit)",
            G::Notebook => "Notizbuch der Lehrkraft",
        }
    }

    /// Key for audit records.
    pub fn key(self) -> &'static str {
        match self {
            G::Roster => "namensliste",
            G::TodaysLesson => "heutige_stunde",
            G::PersonalData => "stammdaten",
            G::Photo => "foto",
            G::Contact => "kontakt",
            G::Guardians => "erziehungsberechtigte",
            G::TrainingCompany => "ausbildungsbetrieb",
            G::Support => "foerderung",
            G::ConductNotes => "verhalten",
            G::Absences => "fehlzeiten",
            G::AbsenceOverview => "fehlzeiten_ueberblick",
            G::Notebook => "notizbuch",
        }
    }
}

impl Scope {
    pub fn label(self) -> &'static str {
        match self {
            S::None => "–",
            S::OwnPupils => "eigene Schüler/innen",
            S::OwnClass => "eigene Klasse",
            S::Assigned => "zugewiesene Schüler/innen",
            S::OwnEntries => "nur eigene Einträge",
            S::School => "ganze Schule",
        }
    }
}

/// The read scope of the best rule among `roles` for `group`.
pub fn read_scopes(roles: &[Role], group: DataGroup) -> Vec<Scope> {
    RULES
        .iter()
        .filter(|r| r.group == group && roles.contains(&r.role) && r.read != S::None)
        .map(|r| r.read)
        .collect()
}

/// The write scopes of `roles` for `group`.
pub fn write_scopes(roles: &[Role], group: DataGroup) -> Vec<Scope> {
    RULES
        .iter()
        .filter(|r| r.group == group && roles.contains(&r.role) && r.write != S::None)
        .map(|r| r.write)
        .collect()
}

/// The role × data table as Markdown (for `docs/roles.md` and the documentation pack):
/// one row per data group, one column per role, "lesen / ändern" scopes in each cell.
pub fn markdown_matrix() -> String {
    let mut out = String::from("| Daten | 2FA |");
    for role in Role::ALL {
        out.push_str(&format!(" {} |", role.label()));
    }
    out.push_str("\n|---|---|");
    for _ in Role::ALL {
        out.push_str("---|");
    }
    out.push('\n');
    for g in DataGroup::ALL {
        out.push_str(&format!(
            "| {} | {} |",
            g.label(),
            if g.needs_second_factor() {
                "ja"
            } else {
                "nein"
            }
        ));
        for role in Role::ALL {
            let cell = RULES
                .iter()
                .find(|r| r.group == g && r.role == role)
                .map(|r| match (r.read, r.write) {
                    (read, S::None) => format!("lesen: {}", read.label()),
                    (read, write) => format!("lesen: {}; ändern: {}", read.label(), write.label()),
                })
                .unwrap_or_else(|| "–".to_owned());
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_roles_md_shows_the_table_of_the_code() {
        let doc = include_str!("../docs/roles.md");
        assert!(
            doc.contains(&markdown_matrix()),
            "docs/roles.md is out of date; regenerate the table with permissions::markdown_matrix()"
        );
    }

    #[test]
    fn nobody_but_the_owner_reaches_a_notebook_and_the_office_sees_no_conduct_notes() {
        for r in RULES.iter().filter(|r| r.group == G::Notebook) {
            assert_eq!(r.read, S::OwnEntries, "{:?}", r.role);
        }
        assert!(read_scopes(&[R::Schulleitung], G::Notebook).is_empty());
        assert!(read_scopes(&[R::Sekretariat], G::ConductNotes).is_empty());
        assert!(read_scopes(&[R::Verwaltung], G::PersonalData).is_empty());
        assert_eq!(
            read_scopes(&[R::Schulsozialarbeit], G::AbsenceOverview),
            vec![S::Assigned]
        );
        for g in DataGroup::ALL {
            if g != G::AbsenceOverview {
                assert!(read_scopes(&[R::Schulsozialarbeit], g).is_empty(), "{g:?}");
            }
        }
    }
}
