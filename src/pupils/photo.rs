//! The pupil photo: upload by the class teacher (`POST /schueler/{id}/foto`, multipart, CSRF
//! token in the `csrf` query parameter), at most [`PHOTO_MAX_BYTES`]. The type is decided by
//! the content, never by name or header: only what decodes as PNG or JPEG is taken, then
//! re-encoded without any metadata and scaled to at most [`PHOTO_MAX_SIDE`] pixels, and stored
//! encrypted. `GET /schueler/{id}/foto` serves it to elevated users who may read photos, with a
//! server-chosen name and `Cache-Control: no-store`, and audits each delivery.

use super::page::{self, Ctx};
use super::scope::{self, PupilAccess};
use super::{Submitted, audit_change, audit_read, flash, object, pupil_path, refuse};
use crate::auth::CurrentUser;
use crate::auth::extract::Elevation;
use crate::db::pupils::{self, PupilChange};
use crate::error::{AppError, AppResult};
use crate::permissions::DataGroup;
use crate::startup::AppState;
use crate::web::page::FlashKind;
use crate::web::{see_other, upload};
use actix_web::http::header;
use actix_web::web::{Data, Path, Payload};
use actix_web::{HttpRequest, HttpResponse};
use maud::{Markup, html};

mod codec;

use codec::mime_of;
pub use codec::{PHOTO_MAX_SIDE, PhotoError, Reencoded, reencode};

const GROUP: DataGroup = DataGroup::Photo;

/// The largest photo file accepted (2 MB); larger uploads get 413.
pub const PHOTO_MAX_BYTES: usize = 2 * 1024 * 1024;

/// The photo, plus room for the multipart framing around it.
const LIMITS: upload::Limits = upload::Limits::new(PHOTO_MAX_BYTES, 16 * 1024);
const NOT_AN_IMAGE: &str = "Foto: Die Datei ist kein Bild im Format PNG oder JPEG.";

/// The pupil page again, with `message` at the upload field (422).
async fn refused(
    state: &AppState,
    proof: &Elevation,
    user: &CurrentUser,
    access: &PupilAccess,
    message: &str,
) -> AppResult<HttpResponse> {
    let mut sub = Submitted::default();
    sub.error("foto", message);
    page::invalid(state, proof, user, access, sub).await
}

/// `POST /schueler/{id}/foto`.
pub async fn upload_photo(
    state: Data<AppState>,
    user: CurrentUser,
    req: HttpRequest,
    path: Path<i64>,
    payload: Payload,
) -> AppResult<HttpResponse> {
    let pupil_id = path.into_inner();
    let next = pupil_path(pupil_id);
    let (proof, access) = scope::gate_write(&state, &user, pupil_id, GROUP, &next).await?;
    let form = upload::read(req.headers(), payload, LIMITS).await?;
    let Some(file) = form.part("foto").filter(|p| !p.content.is_empty()) else {
        return refused(
            &state,
            &proof,
            &user,
            &access,
            "Foto: Bitte eine Bilddatei auswählen.",
        )
        .await;
    };
    let file = file.content.clone();
    let reencoded = actix_web::web::block(move || reencode(&file))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let photo = match reencoded {
        Ok(p) => p,
        Err(PhotoError::NotAnImage) => {
            return refused(&state, &proof, &user, &access, NOT_AN_IMAGE).await;
        }
        Err(e) => return Err(AppError::Internal(e.into())),
    };
    let purpose = super::column_purpose("pupil_photos", "data_enc", pupil_id)?;
    let data_enc = state
        .keys
        .encrypt(&purpose, &photo.bytes)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let (school_id, now) = (user.school_id(), user.now.naive_utc());
    let mut history = PupilChange {
        school_id,
        pupil_id,
        user_id: user.user.id,
        assurance: user.assurance().to_owned(),
        at: now,
        group: GROUP.key(),
        had_value: false,
        has_value: true,
    };
    state
        .db
        .run(move |c| {
            crate::db::write_transaction(c, |c| {
                history.had_value = pupils::save_photo(c, school_id, pupil_id, &data_enc, now)?;
                pupils::record_change(c, &history)
            })
        })
        .await?;
    audit_change(&state, &user, pupil_id, GROUP, "hochgeladen").await?;
    flash(&state, &user, FlashKind::Success, "Foto gespeichert.").await?;
    Ok(see_other(&format!("{next}#{}", GROUP.key())))
}

/// `GET /schueler/{id}/foto`.
pub async fn serve_photo(
    state: Data<AppState>,
    user: CurrentUser,
    path: Path<i64>,
) -> AppResult<HttpResponse> {
    let pupil_id = path.into_inner();
    let next = format!("{}/foto", pupil_path(pupil_id));
    let proof = scope::gate(&state, &user, &[GROUP], false, object(pupil_id), &next).await?;
    let access = scope::resolve(&state, &user, &proof, pupil_id, &[GROUP]).await?;
    if access.read(GROUP).is_none() {
        return Err(refuse(&state, &user, object(pupil_id)).await);
    }
    let (school_id, proof2) = (user.school_id(), proof.clone());
    let stored = state
        .db
        .run(move |c| pupils::photo(c, &proof2, school_id, pupil_id))
        .await?
        .ok_or(AppError::NotFound)?;
    let purpose = super::column_purpose("pupil_photos", "data_enc", pupil_id)?;
    let bytes = state
        .keys
        .decrypt(&purpose, &stored)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("Foto {pupil_id}: {e}")))?;
    audit_read(&state, &proof, &user, pupil_id, GROUP).await?;
    let mime = mime_of(&bytes);
    let ext = if mime == "image/png" { "png" } else { "jpg" };
    Ok(HttpResponse::Ok()
        .content_type(mime)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"schueler-{pupil_id}.{ext}\""),
        ))
        .body(bytes))
}

pub fn section(ctx: &Ctx<'_>, access: &PupilAccess, has_photo: bool) -> Markup {
    let id = access.pupil.id;
    html! {
        section id=(GROUP.key()) {
            h2 { "Foto" }
            @if access.read(GROUP).is_some() {
                @if has_photo {
                    img.photo src={ (pupil_path(id)) "/foto" } width="240" alt={ "Foto von " (access.pupil.first_name) " " (access.pupil.surname) };
                } @else {
                    p { "Kein Foto hinterlegt." }
                }
            }
            @if access.may_write(GROUP) {
                form.stack method="post" enctype="multipart/form-data"
                    action={ (pupil_path(id)) "/foto?csrf=" (urlencoding::encode(ctx.csrf)) } {
                    label for="foto" { "Foto hochladen (PNG oder JPEG, höchstens 2 MB)" }
                    input #foto type="file" name="foto" accept="image/png,image/jpeg" required
                        aria-invalid=[ctx.sub.aria_invalid("foto")] aria-describedby=[ctx.sub.described("foto")];
                    (ctx.sub.messages("foto"))
                    button type="submit" { "Foto speichern" }
                }
            }
        }
    }
}
