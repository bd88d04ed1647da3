//! Reading an upload form (`multipart/form-data`, parsed by `actix-multipart`) with limits:
//! the whole body and each part have a byte limit, and an upload over either is refused with
//! 413 as soon as the limit is passed (at once when `Content-Length` announces more). The body
//! is streamed; nothing beyond the limits is kept. The parts are found by their field name,
//! never by a file name.
//!
//! The CSRF token of an upload form travels in the `csrf` query parameter of the form's
//! action (the session middleware does not read multipart bodies).

use crate::error::{AppError, AppResult};
use actix_multipart::{Multipart, MultipartError};
use actix_web::error::PayloadError;
use actix_web::http::header::{self, HeaderMap};
use actix_web::web::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use std::cell::Cell;
use std::rc::Rc;

const NOT_MULTIPART: &str = "Bitte die Datei über das Formular hochladen (multipart/form-data).";
const MALFORMED: &str = "Das Formular kam unvollständig oder fehlerhaft an. Bitte die Seite neu \
                         laden und die Datei noch einmal senden.";

/// The byte limits of one upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest part (the file).
    pub part: usize,
    /// The whole body: the file plus room for the framing and the text fields.
    pub total: usize,
}

impl Limits {
    /// At most `file` bytes per part, and `room` bytes more for the whole body.
    pub const fn new(file: usize, room: usize) -> Self {
        Limits {
            part: file,
            total: file.saturating_add(room),
        }
    }
}

/// One part of an upload: a text field or a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The field name (`name` of the part's `Content-Disposition`).
    pub name: String,
    /// The file name the browser sent, if the part is a file.
    pub file_name: Option<String>,
    pub content: Bytes,
}

/// The parts of an upload form, in the order they came.
#[derive(Debug, Clone, Default)]
pub struct Upload {
    parts: Vec<Part>,
}

impl Upload {
    /// The first part with the field name `name`.
    pub fn part(&self, name: &str) -> Option<&Part> {
        self.parts.iter().find(|p| p.name == name)
    }

    /// The text of the first field named `name` (`None` if missing or not UTF-8).
    pub fn text(&self, name: &str) -> Option<&str> {
        self.part(name)
            .and_then(|p| std::str::from_utf8(&p.content).ok())
    }

    pub fn parts(&self) -> &[Part] {
        &self.parts
    }
}

/// Reads the multipart form of a request (`headers`, `payload`) within `limits`.
///
/// Errors: [`AppError::PayloadTooLarge`] when the body or a part passes its limit,
/// [`AppError::BadRequest`] when the body is not a well-formed `multipart/form-data` body.
pub async fn read<S>(headers: &HeaderMap, payload: S, limits: Limits) -> AppResult<Upload>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + 'static,
{
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > limits.total) {
        return Err(AppError::PayloadTooLarge);
    }
    let over = Rc::new(Cell::new(false));
    let mut multipart = Multipart::new(headers, capped(payload, limits.total, over.clone()));
    let mut parts = Vec::new();
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|e| refusal(e, &over))?;
        let Some(name) = field.name().map(str::to_owned) else {
            return Err(AppError::BadRequest(MALFORMED.into()));
        };
        let file_name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_owned);
        let mut content = BytesMut::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| refusal(e, &over))?;
            if content.len().saturating_add(chunk.len()) > limits.part {
                return Err(AppError::PayloadTooLarge);
            }
            content.extend_from_slice(&chunk);
        }
        parts.push(Part {
            name,
            file_name,
            content: content.freeze(),
        });
    }
    Ok(Upload { parts })
}

/// The body stream, ending with an error once more than `limit` bytes have come (and `over`
/// set, so the parser's error can be told apart).
fn capped<S>(
    payload: S,
    limit: usize,
    over: Rc<Cell<bool>>,
) -> impl Stream<Item = Result<Bytes, PayloadError>> + 'static
where
    S: Stream<Item = Result<Bytes, PayloadError>> + 'static,
{
    let mut seen = 0usize;
    payload.map(move |chunk| {
        let chunk = chunk?;
        seen = seen.saturating_add(chunk.len());
        if seen > limit {
            over.set(true);
            return Err(PayloadError::Overflow);
        }
        Ok(chunk)
    })
}

/// The answer to a parser error: 413 if the body passed its limit, otherwise 400.
fn refusal(e: MultipartError, over: &Cell<bool>) -> AppError {
    if over.get() {
        return AppError::PayloadTooLarge;
    }
    tracing::info!(error = %e, "Upload: multipart/form-data nicht lesbar");
    match e {
        MultipartError::ContentTypeMissing
        | MultipartError::ContentTypeParse
        | MultipartError::ContentTypeIncompatible
        | MultipartError::BoundaryMissing => AppError::BadRequest(NOT_MULTIPART.into()),
        _ => AppError::BadRequest(MALFORMED.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;
    use futures_util::stream;

    const BOUNDARY: &str = "xyz";

    fn headers(content_type: &str, length: Option<usize>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static("")),
        );
        if let Some(n) = length {
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(n));
        }
        h
    }

    fn form_headers() -> HeaderMap {
        headers(&format!("multipart/form-data; boundary={BOUNDARY}"), None)
    }

    /// `body` as a stream of chunks of `size` bytes.
    fn chunks(
        body: &[u8],
        size: usize,
    ) -> impl Stream<Item = Result<Bytes, PayloadError>> + 'static {
        let chunks: Vec<_> = body
            .chunks(size)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        stream::iter(chunks)
    }

    fn body(file: &[u8]) -> Vec<u8> {
        let mut body = b"--xyz\r\nContent-Disposition: form-data; name=\"art\"\r\n\r\nschueler\r\n--xyz\r\nContent-Disposition: form-data; name=\"foto\"; filename=\"name.png\"\r\nContent-Type: image/png\r\n\r\n".to_vec();
        body.extend_from_slice(file);
        body.extend_from_slice(b"\r\n--xyz--\r\n");
        body
    }

    async fn read_all(body: &[u8], limits: Limits) -> AppResult<Upload> {
        read(&form_headers(), chunks(body, 7), limits).await
    }

    #[actix_web::test]
    async fn the_file_part_is_found_by_its_field_name_not_by_its_file_name() {
        let form = read_all(&body(b"A;B\r\n1;2"), Limits::new(100, 1000)).await;

        let Ok(form) = form else {
            panic!("not read: {form:?}");
        };
        assert_eq!(form.text("art"), Some("schueler"));
        let file = form
            .part("foto")
            .map(|p| (p.file_name.as_deref(), &p.content[..]));
        assert_eq!(file, Some((Some("name.png"), &b"A;B\r\n1;2"[..])));
        assert!(form.part("name").is_none() && form.part("name.png").is_none());
        assert_eq!(form.parts().len(), 2);
    }

    #[actix_web::test]
    async fn a_part_over_its_limit_is_413() {
        let form = read_all(&body(&[b'x'; 101]), Limits::new(100, 1000)).await;

        assert!(matches!(form, Err(AppError::PayloadTooLarge)), "{form:?}");
    }

    #[actix_web::test]
    async fn a_part_at_its_limit_is_read() {
        let form = read_all(&body(&[b'x'; 100]), Limits::new(100, 1000)).await;

        assert!(form.is_ok_and(|f| f.part("foto").is_some_and(|p| p.content.len() == 100)));
    }

    #[actix_web::test]
    async fn a_body_over_its_limit_is_413_without_reading_on() {
        // An endless body with small parts: the reader must stop once the whole limit is
        // passed, though no part passes its own.
        let part = Bytes::from_static(
            b"--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\neins\r\n",
        );
        let polled = Rc::new(Cell::new(0usize));
        let counter = polled.clone();
        let endless = stream::iter(std::iter::repeat(part)).map(move |b| {
            counter.set(counter.get() + b.len());
            Ok(b)
        });

        let limits = Limits {
            part: 100,
            total: 100_000,
        };

        let form = read(&form_headers(), endless, limits).await;

        assert!(matches!(form, Err(AppError::PayloadTooLarge)), "{form:?}");
        assert!(polled.get() <= 100_000 + 64, "read {} bytes", polled.get());
    }

    #[actix_web::test]
    async fn a_declared_length_over_the_limit_is_413_before_reading() {
        let polled = Rc::new(Cell::new(false));
        let flag = polled.clone();
        let body = chunks(&body(b"x"), 7).map(move |c| {
            flag.set(true);
            c
        });
        let h = headers(
            &format!("multipart/form-data; boundary={BOUNDARY}"),
            Some(1001),
        );

        let form = read(&h, body, Limits::new(100, 900)).await;

        assert!(matches!(form, Err(AppError::PayloadTooLarge)), "{form:?}");
        assert!(!polled.get());
    }

    #[actix_web::test]
    async fn a_body_that_is_not_multipart_or_is_cut_off_is_a_bad_request_in_german() {
        let limits = Limits::new(100, 1000);
        let urlencoded = read(
            &headers("application/x-www-form-urlencoded", None),
            chunks(b"art=schueler", 7),
            limits,
        )
        .await;
        let full = body(b"abc");
        let cut = read_all(&full[..full.len() - 12], limits).await;
        let garbage = read_all(b"das ist kein Formular", limits).await;

        for form in [urlencoded, cut, garbage] {
            match form {
                Err(AppError::BadRequest(msg)) => {
                    assert!(msg.contains("Formular"), "{msg}");
                }
                other => panic!("expected 400: {other:?}"),
            }
        }
    }
}
