//! The one error type of the web layer. Every variant becomes a German page with the
//! request id, or a redirect; causes go to the log, never to the page.

use crate::db::RunError;
use crate::web::page::error_page;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("nicht gefunden")]
    NotFound,
    #[error("keine Berechtigung")]
    Forbidden,
    #[error("Anmeldung erforderlich")]
    LoginRequired { next: String },
    #[error("zweiter Faktor erforderlich")]
    StepUpRequired { next: String },
    #[error("weiter nach {0}")]
    Redirect(String),
    #[error("CSRF-Prüfung fehlgeschlagen")]
    Csrf,
    #[error("ungültige Eingabe: {0}")]
    BadRequest(String),
    #[error("zu viele Versuche")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("Anfrage zu groß")]
    PayloadTooLarge,
    #[error("Datenbank nicht erreichbar: {0}")]
    Unavailable(String),
    /// The disk of the database is full: nothing of the request was written.
    #[error("Speicher voll: {0}")]
    StorageFull(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl From<RunError> for AppError {
    fn from(e: RunError) -> Self {
        match e {
            RunError::Pool(msg) => AppError::Unavailable(msg),
            RunError::Query(q) => q.into(),
            other => AppError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        if storage_full(&e) {
            AppError::StorageFull(e.to_string())
        } else if database_unavailable(&e) {
            AppError::Unavailable(e.to_string())
        } else {
            AppError::Internal(anyhow::Error::new(e))
        }
    }
}

/// Errors that mean the database as a whole is gone or unusable (connection lost, schema
/// missing, read-only; a full disk is [`storage_full`]), as opposed to a bug in one query: these get the German
/// maintenance page (503), not the generic error page.
pub fn database_unavailable(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(
            DatabaseErrorKind::UnableToSendCommand | DatabaseErrorKind::ClosedConnection,
            _,
        ) => true,
        Error::DatabaseError(_, info) => {
            let m = info.message();
            [
                "no such table",
                "does not exist",
                "readonly database",
                "disk I/O error",
                "unable to open database",
            ]
            .iter()
            .any(|needle| m.contains(needle))
        }
        _ => false,
    }
}

/// The database could not write because its disk is full (SQLite `SQLITE_FULL`,
/// PostgreSQL `disk_full` / `ENOSPC`). The transaction was rolled back.
pub fn storage_full(e: &diesel::result::Error) -> bool {
    match e {
        diesel::result::Error::DatabaseError(_, info) => {
            let m = info.message();
            ["database or disk is full", "No space left on device"]
                .iter()
                .any(|needle| m.contains(needle))
        }
        _ => false,
    }
}

/// `next` targets must be local paths, never another site.
pub fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::LoginRequired { .. }
            | AppError::StepUpRequired { .. }
            | AppError::Redirect(_) => StatusCode::SEE_OTHER,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::StorageFull(_) => StatusCode::INSUFFICIENT_STORAGE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        match self {
            AppError::LoginRequired { next } => {
                let to = format!("/anmelden?next={}", urlencoding::encode(&safe_next(next)));
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, to))
                    .finish();
            }
            AppError::StepUpRequired { next } => {
                let to = format!("/step-up?next={}", urlencoding::encode(&safe_next(next)));
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, to))
                    .finish();
            }
            AppError::Redirect(to) => {
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, safe_next(to)))
                    .finish();
            }
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "interner Fehler");
            }
            AppError::Unavailable(e) => {
                tracing::error!(error = %e, "Datenbank nicht erreichbar");
            }
            AppError::StorageFull(e) => {
                tracing::error!(error = %e, "Speicherplatz der Datenbank erschöpft");
            }
            _ => {}
        }
        let (title, text) = match self {
            AppError::NotFound => (
                "Seite nicht gefunden",
                "Diese Seite gibt es nicht, oder Sie haben keinen Zugriff darauf.",
            ),
            AppError::Forbidden => (
                "Keine Berechtigung",
                "Für diese Seite fehlt Ihnen die nötige Rolle.",
            ),
            AppError::Csrf => (
                "Sicherheitsprüfung fehlgeschlagen",
                "Das Formular war veraltet oder kam nicht von dieser Seite. Bitte laden Sie die \
                 Seite neu und versuchen Sie es noch einmal.",
            ),
            AppError::BadRequest(_) => (
                "Ungültige Anfrage",
                "Die Anfrage konnte nicht verarbeitet werden.",
            ),
            AppError::TooManyRequests { .. } => (
                "Zu viele Versuche",
                "Bitte warten Sie einen Moment und versuchen Sie es dann erneut.",
            ),
            AppError::PayloadTooLarge => (
                "Anfrage zu groß",
                "Die gesendeten Daten überschreiten die erlaubte Größe.",
            ),
            AppError::Unavailable(_) => (
                "Wartung",
                "Das Klassenbuch ist gerade nicht erreichbar. Bitte versuchen Sie es in \
                 wenigen Minuten erneut.",
            ),
            AppError::StorageFull(_) => (
                "Nicht gespeichert: Speicher voll",
                "Ihre Eingaben wurden nicht gespeichert, weil der Speicherplatz des Servers \
                 erschöpft ist. Es wurde nichts halb geschrieben. Bitte informieren Sie die \
                 Administration und senden Sie das Formular später erneut (mit „Zurück“ im \
                 Browser sind Ihre Eingaben meist noch da).",
            ),
            _ => (
                "Interner Fehler",
                "Es ist ein Fehler aufgetreten. Bitte versuchen Sie es erneut; wenn der Fehler \
                 bleibt, nennen Sie der Administration die Vorgangsnummer.",
            ),
        };
        let detail = match self {
            AppError::BadRequest(msg) => Some(msg.as_str()),
            _ => None,
        };
        let mut resp = HttpResponse::build(status);
        resp.insert_header((header::CACHE_CONTROL, "no-store"));
        if let AppError::TooManyRequests { retry_after_secs } = self {
            resp.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        resp.content_type("text/html; charset=utf-8")
            .body(error_page(title, text, detail).into_string())
    }
}
