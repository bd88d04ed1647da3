//! Resolving a user's [`Scope`] for one pupil: which data groups of `permissions::RULES` the
//! user may read or change for this pupil today. The rules stay in `permissions`; this module
//! only decides whether a scope holds (own class, own pupils, own entries, whole school).

use super::refuse;
use crate::auth::CurrentUser;
use crate::auth::extract::{Elevation, require_elevation};
use crate::auth::roles::Role;
use crate::clock::school_today;
use crate::db::pupils::{self, PupilHead};
use crate::db::register;
use crate::error::AppResult;
use crate::permissions::{DataGroup, Scope, read_scopes, write_scopes};
use crate::startup::AppState;
use chrono::NaiveDate;

/// How much of a readable group the user sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Every row of the group for this pupil.
    All,
    /// Only the rows the user wrote.
    OwnEntries,
}

/// What is true of the user and the pupil today; the scopes of `RULES` are decided from it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Facts {
    /// The user is class teacher of the pupil's class today (and the pupil is enrolled).
    pub own_class: bool,
    /// The pupil is in a class or group of one of the user's timetable slots valid today.
    pub own_pupil: bool,
    /// The user wrote conduct notes about the pupil.
    pub own_conduct_notes: bool,
}

fn holds(scope: Scope, group: DataGroup, facts: Facts, reading: bool) -> bool {
    match scope {
        Scope::None | Scope::Assigned => false,
        Scope::OwnPupils => facts.own_pupil,
        Scope::OwnClass => facts.own_class,
        Scope::School => true,
        // Reading own entries needs entries to read; writing them is the point of the rule.
        Scope::OwnEntries => {
            !reading || (group == DataGroup::ConductNotes && facts.own_conduct_notes)
        }
    }
}

/// The reach of `roles` over `group` given `facts`; `None` if no scope holds.
pub fn read_reach(roles: &[Role], group: DataGroup, facts: Facts) -> Option<Reach> {
    let held: Vec<Scope> = read_scopes(roles, group)
        .into_iter()
        .filter(|s| holds(*s, group, facts, true))
        .collect();
    if held.iter().any(|s| *s != Scope::OwnEntries) {
        Some(Reach::All)
    } else if held.is_empty() {
        None
    } else {
        Some(Reach::OwnEntries)
    }
}

/// Whether `roles` may change `group` given `facts`.
pub fn may_write(roles: &[Role], group: DataGroup, facts: Facts) -> bool {
    write_scopes(roles, group)
        .into_iter()
        .any(|s| holds(s, group, facts, false))
}

/// Whether any of `roles` has any rule (read, or write with `writing`) for one of `groups`,
/// whatever the pupil. Decided before step-up so that a role without any such rule gets 404,
/// not a step-up prompt.
pub fn roles_reach(roles: &[Role], groups: &[DataGroup], writing: bool) -> bool {
    groups.iter().any(|g| {
        if writing {
            !write_scopes(roles, *g).is_empty()
        } else {
            !read_scopes(roles, *g).is_empty()
        }
    })
}

/// A user's access to one pupil of the school, resolved for today.
#[derive(Debug, Clone)]
pub struct PupilAccess {
    pub school_id: i64,
    pub pupil: PupilHead,
    pub user_id: i64,
    pub roles: Vec<Role>,
    pub facts: Facts,
    pub today: NaiveDate,
    /// Subjects in which the user teaches the pupil (for notebook entries).
    pub subjects: Vec<i64>,
}

impl PupilAccess {
    pub fn read(&self, group: DataGroup) -> Option<Reach> {
        read_reach(&self.roles, group, self.facts)
    }

    pub fn may_write(&self, group: DataGroup) -> bool {
        may_write(&self.roles, group, self.facts)
    }

    /// A section of the group appears on the page: the user may read it or change it.
    pub fn shows(&self, group: DataGroup) -> bool {
        self.read(group).is_some() || self.may_write(group)
    }
}

/// The role check before step-up, then the step-up: a user none of whose roles has a rule
/// for `groups` gets 404 (audited); one who has gets the step-up prompt, or the proof.
pub async fn gate(
    state: &AppState,
    user: &CurrentUser,
    groups: &[DataGroup],
    writing: bool,
    object: String,
    next: &str,
) -> AppResult<Elevation> {
    if !roles_reach(&user.roles, groups, writing) {
        return Err(refuse(state, user, object).await);
    }
    require_elevation(state, user, next).await
}

/// [`gate`] and [`resolve`] for a change of one data group of pupil `pupil_id`: a user who
/// may see the group but not change it gets 403 (audited). `next` is where the step-up
/// returns to.
pub async fn gate_write(
    state: &AppState,
    user: &CurrentUser,
    pupil_id: i64,
    group: DataGroup,
    next: &str,
) -> AppResult<(Elevation, PupilAccess)> {
    let proof = gate(state, user, &[group], true, super::object(pupil_id), next).await?;
    let access = resolve(state, user, &proof, pupil_id, &[group]).await?;
    if !access.may_write(group) {
        return Err(super::forbid(state, user, super::object(pupil_id), group).await);
    }
    Ok((proof, access))
}

/// Resolves `user`'s access to pupil `pupil_id`. A pupil of another school, an unknown id, or
/// a pupil none of whose `groups` the user may read or change is 404 (and audited).
pub async fn resolve(
    state: &AppState,
    user: &CurrentUser,
    _proof: &Elevation,
    pupil_id: i64,
    groups: &[DataGroup],
) -> AppResult<PupilAccess> {
    let (school_id, user_id) = (user.school_id(), user.user.id);
    let today = school_today(user.now);
    let teaches = user.has(Role::Lehrkraft) || user.has(Role::Klassenlehrkraft);
    let found = state
        .db
        .run(move |c| {
            let Some(pupil) = pupils::head(c, school_id, pupil_id)? else {
                return Ok(None);
            };
            let enrolled = pupil.enrolled_on(today);
            let own_class = enrolled
                && register::is_class_teacher(c, school_id, user_id, pupil.class_id, today)?;
            let subjects = if enrolled && teaches {
                pupils::subjects_taught(c, school_id, user_id, &pupil, today)?
            } else {
                Vec::new()
            };
            let own_conduct_notes = pupils::has_own_conduct_notes(c, school_id, user_id, pupil_id)?;
            let facts = Facts {
                own_class,
                own_pupil: !subjects.is_empty(),
                own_conduct_notes,
            };
            Ok(Some((pupil, facts, subjects)))
        })
        .await?;
    let access = found.map(|(pupil, facts, subjects)| PupilAccess {
        school_id,
        pupil,
        user_id,
        roles: user.roles.clone(),
        facts,
        today,
        subjects,
    });
    match access {
        Some(a) if groups.iter().any(|g| a.shows(*g)) => Ok(a),
        _ => Err(refuse(state, user, super::object(pupil_id)).await),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DataGroup as G;

    const TEACHES: Facts = Facts {
        own_class: false,
        own_pupil: true,
        own_conduct_notes: false,
    };

    #[test]
    fn a_subject_teacher_reads_support_but_no_contact_and_only_own_conduct_notes() {
        let r = [Role::Lehrkraft];
        assert_eq!(read_reach(&r, G::Support, TEACHES), Some(Reach::All));
        assert_eq!(read_reach(&r, G::Contact, TEACHES), None);
        assert_eq!(read_reach(&r, G::Guardians, TEACHES), None);
        assert_eq!(read_reach(&r, G::ConductNotes, TEACHES), None);
        let wrote = Facts {
            own_conduct_notes: true,
            ..TEACHES
        };
        assert_eq!(
            read_reach(&r, G::ConductNotes, wrote),
            Some(Reach::OwnEntries)
        );
        assert!(may_write(&r, G::ConductNotes, TEACHES));
        assert!(!may_write(&r, G::ConductNotes, Facts::default()));
    }

    #[test]
    fn a_class_teacher_reaches_the_own_class_only() {
        let r = [Role::Klassenlehrkraft];
        let own = Facts {
            own_class: true,
            ..Facts::default()
        };
        for g in [
            G::PersonalData,
            G::Contact,
            G::Guardians,
            G::Support,
            G::ConductNotes,
        ] {
            assert_eq!(read_reach(&r, g, own), Some(Reach::All), "{g:?}");
            assert_eq!(read_reach(&r, g, Facts::default()), None, "{g:?}");
        }
        assert!(may_write(&r, G::Photo, own));
        assert!(!may_write(&r, G::Contact, own));
    }

    #[test]
    fn the_office_and_the_administration_get_what_the_table_says() {
        let none = Facts::default();
        assert_eq!(
            read_reach(&[Role::Sekretariat], G::Contact, none),
            Some(Reach::All)
        );
        assert_eq!(read_reach(&[Role::Sekretariat], G::Support, none), None);
        assert_eq!(
            read_reach(&[Role::Sekretariat], G::ConductNotes, none),
            None
        );
        assert!(!roles_reach(
            &[Role::Verwaltung],
            &super::super::PAGE_GROUPS,
            false
        ));
        assert!(!roles_reach(
            &[Role::Schulsozialarbeit],
            &super::super::PAGE_GROUPS,
            false
        ));
        assert!(!roles_reach(&[Role::Schulleitung], &[G::Notebook], false));
    }
}
