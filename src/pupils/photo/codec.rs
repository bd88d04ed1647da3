//! Taking an upload as a photo by its content: decode PNG or JPEG only (with limits against
//! decompression bombs), apply the EXIF orientation, scale down, encode again without any
//! metadata.

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// The longest side of a stored photo, in pixels.
pub const PHOTO_MAX_SIDE: u32 = 600;
/// The largest image (per side) the decoder is allowed to open, against decompression bombs.
const DECODE_MAX_SIDE: u32 = 12_000;
const DECODE_MAX_ALLOC: u64 = 256 * 1024 * 1024;
const JPEG_QUALITY: u8 = 85;

/// Why an upload was not taken as a photo.
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    #[error("kein Bild im Format PNG oder JPEG")]
    NotAnImage,
    #[error("Bild kann nicht neu kodiert werden: {0}")]
    Encode(String),
}

/// A re-encoded photo.
#[derive(Debug, Clone)]
pub struct Reencoded {
    pub bytes: Vec<u8>,
    pub mime: &'static str,
}

pub fn mime_of(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else {
        "image/jpeg"
    }
}

/// Decodes `bytes` by their content (PNG or JPEG only), applies the EXIF orientation, scales
/// to at most [`PHOTO_MAX_SIDE`] and encodes again (PNG stays PNG, JPEG stays JPEG). The
/// encoders write pixels only: no EXIF, no text chunks, no colour profile comments.
pub fn reencode(bytes: &[u8]) -> Result<Reencoded, PhotoError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| PhotoError::NotAnImage)?;
    let format = match reader.format() {
        Some(f @ (ImageFormat::Png | ImageFormat::Jpeg)) => f,
        _ => return Err(PhotoError::NotAnImage),
    };
    let mut limits = Limits::default();
    limits.max_image_width = Some(DECODE_MAX_SIDE);
    limits.max_image_height = Some(DECODE_MAX_SIDE);
    limits.max_alloc = Some(DECODE_MAX_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| PhotoError::NotAnImage)?;
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(|_| PhotoError::NotAnImage)?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    if img.width() > PHOTO_MAX_SIDE || img.height() > PHOTO_MAX_SIDE {
        img = img.resize(
            PHOTO_MAX_SIDE,
            PHOTO_MAX_SIDE,
            image::imageops::FilterType::Lanczos3,
        );
    }
    let mut out = Cursor::new(Vec::new());
    let encoded = match format {
        ImageFormat::Png => {
            let img = if img.color().has_alpha() {
                DynamicImage::ImageRgba8(img.to_rgba8())
            } else {
                DynamicImage::ImageRgb8(img.to_rgb8())
            };
            img.write_to(&mut out, ImageFormat::Png)
        }
        _ => {
            let rgb = img.to_rgb8();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
                .encode_image(&rgb)
        }
    };
    encoded.map_err(|e| PhotoError::Encode(e.to_string()))?;
    let bytes = out.into_inner();
    Ok(Reencoded {
        mime: mime_of(&bytes),
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_no_image() {
        assert!(matches!(
            reencode(b"#!/bin/sh\necho hallo\n"),
            Err(PhotoError::NotAnImage)
        ));
        assert!(matches!(
            reencode(b"MZ\x90\x00\x03\x00\x00\x00"),
            Err(PhotoError::NotAnImage)
        ));
    }

    #[test]
    fn a_large_png_is_scaled_down_and_stays_a_png() {
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            1200,
            800,
            image::Rgb([10, 120, 200]),
        ));
        let mut png = Cursor::new(Vec::new());
        img.write_to(&mut png, ImageFormat::Png).unwrap();
        let out = reencode(png.get_ref()).unwrap();
        assert_eq!(out.mime, "image/png");
        let back = image::load_from_memory(&out.bytes).unwrap();
        assert_eq!((back.width(), back.height()), (600, 400));
    }
}
