//! `GET /schueler/{id}`, the pupil page: name and class, then only the sections whose data
//! group the user may read (or change) for this pupil. What a role may not see is not loaded,
//! not decrypted and not rendered. Also `GET /klassen/{id}/schueler`, the class pupil list
//! that links to the pupil pages.

use super::conduct::{self, NoteView};
use super::guardians::{self, GuardianView};
use super::profile::{self, ProfileView};
use super::scope::{self, PupilAccess, Reach};
use super::support::{self, SupportView};
use super::{PAGE_GROUPS, Submitted, audit_read, object, photo, pupil_path};
use crate::auth::CurrentUser;
use crate::auth::extract::{Elevation, RoleRule, require_elevation};
use crate::auth::roles::Role;
use crate::db::absences::{self as absence_db, ClassPupil};
use crate::db::pupils;
use crate::error::AppResult;
use crate::permissions::DataGroup;
use crate::register::absences::{ClassAccess, ClassStaff, open_class};
use crate::startup::AppState;
use crate::web::html;
use crate::web::page::Page;
use crate::web::session;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{Data, Path};
use maud::{Markup, html};

/// What every section view gets besides its own data.
pub struct Ctx<'a> {
    pub csrf: &'a str,
    pub sub: &'a Submitted,
}

/// Everything the page shows, decrypted; empty where the user may not read.
#[derive(Debug, Default)]
pub struct PageData {
    pub profile: ProfileView,
    pub has_photo: bool,
    pub guardians: Vec<GuardianView>,
    pub support: SupportView,
    pub conduct: Vec<NoteView>,
}

/// Loads and opens what `access` may read. Reads class B data, hence the proof.
async fn load(state: &AppState, proof: &Elevation, access: &PupilAccess) -> AppResult<PageData> {
    let (school_id, pupil_id, user_id) = (access.school_id, access.pupil.id, access.user_id);
    let profile_groups: Vec<DataGroup> = profile::GROUPS
        .into_iter()
        .filter(|g| access.read(*g).is_some())
        .collect();
    let photo = access.shows(DataGroup::Photo);
    let guardians = access.read(DataGroup::Guardians).is_some();
    let support_read = access.read(DataGroup::Support).is_some();
    let support_write = access.may_write(DataGroup::Support);
    let conduct_reach = access.read(DataGroup::ConductNotes);
    let proof2 = proof.clone();
    let loaded = state
        .db
        .run(move |c| {
            let p = &proof2;
            let profile = if profile_groups.is_empty() {
                None
            } else {
                pupils::profile(c, p, school_id, pupil_id)?
            };
            let has_photo = photo && pupils::has_photo(c, school_id, pupil_id)?;
            let guardians = if guardians {
                pupils::guardians_of(c, p, school_id, pupil_id)?
            } else {
                Vec::new()
            };
            let (codes, measures) = if support_read {
                (
                    pupils::codes_of_pupil(c, p, school_id, pupil_id)?,
                    pupils::measures_of(c, p, school_id, pupil_id)?,
                )
            } else {
                (Vec::new(), Vec::new())
            };
            let school_codes = if support_write {
                pupils::health_codes(c, p, school_id)?
            } else {
                Vec::new()
            };
            let notes = match conduct_reach {
                Some(Reach::All) => pupils::conduct_notes_of(c, p, school_id, pupil_id, None)?,
                Some(Reach::OwnEntries) => {
                    pupils::conduct_notes_of(c, p, school_id, pupil_id, Some(user_id))?
                }
                None => Vec::new(),
            };
            Ok((
                profile,
                has_photo,
                guardians,
                codes,
                measures,
                school_codes,
                notes,
            ))
        })
        .await?;
    let (profile_row, has_photo, guardian_rows, codes, measures, school_codes, notes) = loaded;
    let keys = &state.keys;
    let readable: Vec<DataGroup> = profile::GROUPS
        .into_iter()
        .filter(|g| access.read(*g).is_some())
        .collect();
    Ok(PageData {
        profile: profile_row
            .map(|row| ProfileView::open(keys, pupil_id, &row, &readable))
            .unwrap_or_default(),
        has_photo,
        guardians: guardians::open_all(keys, pupil_id, &guardian_rows),
        support: support::open(keys, school_id, pupil_id, &codes, &measures, &school_codes),
        conduct: conduct::open_all(keys, pupil_id, &notes),
    })
}

/// The page again with the problems of a form (422).
pub async fn invalid(
    state: &AppState,
    proof: &Elevation,
    user: &CurrentUser,
    access: &PupilAccess,
    sub: Submitted,
) -> AppResult<HttpResponse> {
    render(
        state,
        proof,
        user,
        access,
        sub,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// Loads, audits and renders the pupil page with `status` (422 when a form failed).
pub async fn render(
    state: &AppState,
    proof: &Elevation,
    user: &CurrentUser,
    access: &PupilAccess,
    sub: Submitted,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let data = load(state, proof, access).await?;
    // One record per data group shown. The photo is recorded when its bytes are sent.
    for group in PAGE_GROUPS {
        if group != DataGroup::Photo && access.read(group).is_some() {
            audit_read(state, proof, user, access.pupil.id, group).await?;
        }
    }
    let flash = session::take_flash(state, &user.session).await?;
    let ctx = Ctx {
        csrf: user.session.csrf(),
        sub: &sub,
    };
    let body = view(&ctx, access, &data, class_list_link(user, access));
    let markup = Page::new(access.pupil.name())
        .nav(user.nav())
        .flash(flash)
        .render(body);
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string()))
}

/// The class list is open to the class teacher, the office and the headteacher.
fn class_list_link(user: &CurrentUser, access: &PupilAccess) -> bool {
    access.facts.own_class || user.has(Role::Sekretariat) || user.has(Role::Schulleitung)
}

fn view(ctx: &Ctx<'_>, access: &PupilAccess, data: &PageData, class_link: bool) -> Markup {
    let p = &access.pupil;
    html! {
        p.meta {
            "Klasse " (p.class_name)
            @if let Some(to) = p.enrolled_to.filter(|t| *t < access.today) { " · ausgetreten am " (super::date_de(to)) }
            @if class_link { " · " a href={ "/klassen/" (p.class_id) "/schueler" } { "Schülerliste der Klasse" } }
        }
        (ctx.sub.summary())
        @for group in PAGE_GROUPS {
            @if access.shows(group) {
                @match group {
                    DataGroup::Photo => { (photo::section(ctx, access, data.has_photo)) }
                    DataGroup::PersonalData | DataGroup::Contact | DataGroup::TrainingCompany => {
                        (profile::section(ctx, access, group, &data.profile))
                    }
                    DataGroup::Guardians => { (guardians::section(ctx, access, &data.guardians)) }
                    DataGroup::Support => { (support::section(ctx, access, &data.support)) }
                    _ => { (conduct::section(ctx, access, &data.conduct)) }
                }
            }
        }
    }
}

/// `GET /schueler/{id}`.
pub async fn show(
    state: Data<AppState>,
    user: CurrentUser,
    path: Path<i64>,
) -> AppResult<HttpResponse> {
    let pupil_id = path.into_inner();
    let proof = scope::gate(
        &state,
        &user,
        &PAGE_GROUPS,
        false,
        object(pupil_id),
        &pupil_path(pupil_id),
    )
    .await?;
    let access = scope::resolve(&state, &user, &proof, pupil_id, &PAGE_GROUPS).await?;
    render(
        &state,
        &proof,
        &user,
        &access,
        Submitted::default(),
        StatusCode::OK,
    )
    .await
}

/// `GET /klassen/{class_id}/schueler`: the pupils enrolled today, linked to their pages
/// (class teacher of the class, office, headteacher; class B, so after step-up).
pub async fn class_list(
    state: Data<AppState>,
    user: CurrentUser,
    path: Path<i64>,
) -> AppResult<HttpResponse> {
    let class_id = path.into_inner();
    let acc = open_class(
        &state,
        &user,
        class_id,
        ClassAccess::may_open,
        ClassStaff::DESCRIPTION,
    )
    .await?;
    let _proof = require_elevation(&state, &user, &format!("/klassen/{class_id}/schueler")).await?;
    let (school_id, today) = (user.school_id(), acc.today);
    let pupils = state
        .db
        .run(move |c| absence_db::pupils_of_class_in(c, school_id, class_id, today, today))
        .await?;
    user.event("klassenliste_angezeigt")
        .object(format!("klasse:{class_id}"))
        .detail(format!("schueler={}", pupils.len()))
        .record(&state)
        .await?;
    Ok(html(
        Page::new(format!("Schülerinnen und Schüler {}", acc.class.name))
            .nav(user.nav())
            .render(class_view(&pupils)),
    ))
}

fn class_view(pupils: &[ClassPupil]) -> Markup {
    html! {
        @if pupils.is_empty() {
            p { "In dieser Klasse ist heute niemand eingeschrieben." }
        } @else {
            table.pupils {
                thead { tr { th scope="col" { "Name" } } }
                tbody {
                    @for p in pupils {
                        tr { td { a href=(pupil_path(p.id)) { (p.name()) } } }
                    }
                }
            }
        }
    }
}
