//! The pupil photo: the type is decided by the content, metadata never survives, the size is
//! limited, the file is stored encrypted and served only to elevated users who may see it.

use crate::helpers::{TestClient, attr_of, header};
use crate::pupils_access::Fixture;
use diesel::prelude::*;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use klassenbuch::db::schema::pupil_photos;
use reqwest::header::CONTENT_TYPE;
use std::io::Cursor;

const PNG_SECRET: &str = "GEHEIMER-PNG-KOMMENTAR-4711";
const EXIF_SECRET: &str = "EXIF-KAMERA-SERIENNUMMER-0815";

/// CRC-32 (ISO-HDLC), as PNG chunks need it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for b in bytes {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    let mut typed = kind.to_vec();
    typed.extend_from_slice(data);
    out.extend_from_slice(&typed);
    out.extend_from_slice(&crc32(&typed).to_be_bytes());
    out
}

fn picture(width: u32, height: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    }))
}

/// A real PNG of 900 × 700 pixels with a text chunk and an EXIF chunk after the header.
fn png_with_metadata() -> Vec<u8> {
    let mut png = Cursor::new(Vec::new());
    picture(900, 700)
        .write_to(&mut png, ImageFormat::Png)
        .unwrap();
    let png = png.into_inner();
    // Signature (8) + IHDR chunk (4 + 4 + 13 + 4).
    let (head, tail) = png.split_at(33);
    let mut out = head.to_vec();
    out.extend(chunk(b"tEXt", format!("Comment\0{PNG_SECRET}").as_bytes()));
    out.extend(chunk(
        b"eXIf",
        format!("MM\0*\0\0\0\x08\0\0{EXIF_SECRET}").as_bytes(),
    ));
    out.extend_from_slice(tail);
    out
}

/// A real JPEG with an APP1 EXIF segment right after the start marker.
fn jpeg_with_exif() -> Vec<u8> {
    let mut jpeg = Cursor::new(Vec::new());
    picture(320, 240)
        .write_to(&mut jpeg, ImageFormat::Jpeg)
        .unwrap();
    let jpeg = jpeg.into_inner();
    let mut payload = b"Exif\0\0MM\0*\0\0\0\x08\0\0".to_vec();
    payload.extend_from_slice(EXIF_SECRET.as_bytes());
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Posts `bytes` as the file field `foto` named `filename`, as a browser would, to the upload
/// form's action (which carries the CSRF token).
async fn upload(
    b: &TestClient,
    f: &Fixture,
    filename: &str,
    content_type: &str,
    bytes: &[u8],
) -> reqwest::Response {
    let page = b.get(&f.page(f.albers)).await.text().await.unwrap();
    let action = attr_of(&page, "section#foto form", "action").expect("the upload form");
    let boundary = "----klassenbuchtest7MA4YWxkTrZu0gW";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"foto\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    b.client
        .post(format!("{}{action}", b.address))
        .header(
            CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
}

fn photo_count(f: &Fixture) -> i64 {
    pupil_photos::table
        .count()
        .get_result(&mut f.app.conn())
        .unwrap()
}

#[tokio::test]
async fn an_executable_or_a_text_file_named_png_is_refused_with_a_german_message() {
    // Arrange
    let f = Fixture::new().await;
    let ct = f.elevated(&f.class_teacher).await;
    let executable = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00This program cannot be run in DOS mode.";

    // Act
    let exe = upload(&ct, &f, "bild.png", "image/png", executable).await;
    let text = upload(&ct, &f, "foto.png", "image/png", b"#!/bin/sh\nrm -rf /\n").await;

    // Assert
    for resp in [exe, text] {
        assert_eq!(resp.status().as_u16(), 422);
        let body = resp.text().await.unwrap();
        assert!(body.contains("Foto: Die Datei ist kein Bild im Format PNG oder JPEG."));
    }
    assert_eq!(photo_count(&f), 0);
}

#[tokio::test]
async fn a_png_with_text_and_exif_chunks_is_stored_encrypted_and_served_re_encoded_without_them() {
    // Arrange
    let f = Fixture::new().await;
    let ct = f.elevated(&f.class_teacher).await;
    let original = png_with_metadata();
    assert!(contains(&original, PNG_SECRET) && image::load_from_memory(&original).is_ok());

    // Act
    let resp = upload(&ct, &f, "urlaub-2026.png", "image/png", &original).await;
    let served = ct.get(&format!("/schueler/{}/foto", f.albers)).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(served.status().as_u16(), 200);
    assert_eq!(
        header(&served, "content-type").as_deref(),
        Some("image/png")
    );
    assert_eq!(
        header(&served, "cache-control").as_deref(),
        Some("no-store")
    );
    let disposition = header(&served, "content-disposition").unwrap();
    assert_eq!(
        disposition,
        format!("inline; filename=\"schueler-{}.png\"", f.albers)
    );
    let bytes = served.bytes().await.unwrap();
    let img = image::load_from_memory(&bytes).unwrap();
    assert_eq!(img.width(), 600);
    assert!((466..=467).contains(&img.height()), "{}", img.height());
    assert!(!contains(&bytes, PNG_SECRET));
    assert!(!contains(&bytes, EXIF_SECRET));
    assert!(!contains(&bytes, "tEXt") && !contains(&bytes, "eXIf"));
    let stored: String = pupil_photos::table
        .select(pupil_photos::data_enc)
        .first(&mut f.app.conn())
        .unwrap();
    // Not the image as plain base64 (that starts with the PNG signature, »iVBORw0KGgo«); a
    // shorter needle such as »PNG« turns up in random ciphertext.
    assert!(
        !stored.contains("iVBORw0KGgo"),
        "the photo is stored in plain base64"
    );
    let photo_reads = f
        .read_groups(f.albers)
        .into_iter()
        .filter(|g| g == "foto")
        .count();
    assert_eq!(photo_reads, 1, "each delivery of the photo is recorded");
}

#[tokio::test]
async fn a_jpeg_with_exif_is_served_as_a_jpeg_without_the_exif_data() {
    // Arrange
    let f = Fixture::new().await;
    let ct = f.elevated(&f.class_teacher).await;
    let original = jpeg_with_exif();
    assert!(contains(&original, EXIF_SECRET));

    // Act: a JPEG sent with a misleading name and type is still judged by its content.
    let resp = upload(&ct, &f, "scan.gif", "image/gif", &original).await;
    let served = ct.get(&format!("/schueler/{}/foto", f.albers)).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(
        header(&served, "content-type").as_deref(),
        Some("image/jpeg")
    );
    let bytes = served.bytes().await.unwrap();
    assert_eq!(image::guess_format(&bytes).unwrap(), ImageFormat::Jpeg);
    assert!(!contains(&bytes, EXIF_SECRET));
    assert!(!contains(&bytes, "Exif"));
}

#[tokio::test]
async fn a_photo_over_2_mb_is_refused_with_413() {
    // Arrange
    let f = Fixture::new().await;
    let ct = f.elevated(&f.class_teacher).await;
    let mut big = png_with_metadata();
    big.resize(2 * 1024 * 1024 + 100, 0);

    // Act
    let resp = upload(&ct, &f, "gross.png", "image/png", &big).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 413);
    assert_eq!(photo_count(&f), 0);
}

#[tokio::test]
async fn only_elevated_users_who_may_see_photos_get_one() {
    // Arrange
    let f = Fixture::new().await;
    let ct = f.elevated(&f.class_teacher).await;
    upload(&ct, &f, "a.png", "image/png", &png_with_metadata()).await;
    let path = format!("/schueler/{}/foto", f.albers);

    // Act
    let teacher = f.elevated(&f.teacher).await.get(&path).await;
    let outsider = f.elevated(&f.outsider).await.get(&path).await;
    let office = f.elevated(&f.office).await.get(&path).await;
    let aal1 = f.app.browser_for(&f.teacher).await.get(&path).await;

    // Assert
    assert_eq!(teacher.status().as_u16(), 200);
    assert_eq!(outsider.status().as_u16(), 404);
    assert_eq!(office.status().as_u16(), 404);
    assert_eq!(aal1.status().as_u16(), 303);
    assert!(aal1.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_subject_teacher_cannot_upload_a_photo() {
    // Arrange
    let f = Fixture::new().await;
    let teacher = f.elevated(&f.teacher).await;
    let token = crate::helpers::csrf_of(&teacher.get("/konto").await.text().await.unwrap());
    let boundary = "xyz";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"foto\"; filename=\"a.png\"\r\n\r\n"
    )
    .into_bytes();
    body.extend(png_with_metadata());
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());

    // Act
    let resp = teacher
        .client
        .post(format!(
            "{}/schueler/{}/foto?csrf={token}",
            teacher.address, f.albers
        ))
        .header(
            CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();

    // Assert
    assert_eq!(resp.status().as_u16(), 404);
    assert_eq!(photo_count(&f), 0);
}

#[tokio::test]
async fn an_upload_needs_the_csrf_token_and_a_well_formed_body() {
    // Arrange
    let f = Fixture::new().await;
    let ct = f.elevated(&f.class_teacher).await;
    let page = ct.get(&f.page(f.albers)).await.text().await.unwrap();
    let action = attr_of(&page, "section#foto form", "action").expect("the upload form");
    let without_token = action.split('?').next().unwrap().to_owned();
    let boundary = "xyz";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"foto\"; filename=\"a.png\"\r\n\r\n"
    )
    .into_bytes();
    body.extend(png_with_metadata());
    let post = |to: String, body: Vec<u8>| {
        ct.client
            .post(format!("{}{to}", ct.address))
            .header(
                CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
    };

    // Act: the whole form without the token, and a body cut off before its last boundary.
    let mut whole = body.clone();
    whole.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let no_token = post(without_token, whole).await.unwrap();
    let cut_off = post(action, body).await.unwrap();

    // Assert
    assert_eq!(no_token.status().as_u16(), 403);
    assert_eq!(cut_off.status().as_u16(), 400);
    assert!(
        cut_off
            .text()
            .await
            .unwrap()
            .contains("Das Formular kam unvollständig")
    );
    assert_eq!(photo_count(&f), 0);
}
