//! TOTP (RFC 6238: SHA-1, 6 digits, 30 s, ±1 step). Secrets are 160 bits from the OS RNG,
//! stored encrypted; each time step is accepted at most once per factor.

use crate::crypto::{Keyring, random_bytes};
use chrono::{DateTime, Utc};
use qrcodegen::{QrCode, QrCodeEcc};
use totp_rs::{Builder, Totp};

/// Five wrong codes lock the factor for five minutes.
pub const LOCK_AT: i32 = 5;
pub const LOCK_MINUTES: i64 = 5;

/// Associated data binding a sealed secret to its user.
pub fn purpose(user_id: i64) -> String {
    format!("totp-secret:{user_id}")
}

pub fn new_secret() -> [u8; 20] {
    random_bytes::<20>()
}

pub fn build(secret: &[u8], account: &str) -> Result<Totp, String> {
    Builder::new()
        .with_secret(secret.to_vec())
        .with_account_name(account.replace(':', "_"))
        .with_issuer(Some("Klassenbuch"))
        .build()
        .map_err(|e| e.to_string())
}

/// The time step a code matches at `now` (±1 step), if any.
pub fn matching_step(totp: &Totp, code: &str, now: DateTime<Utc>) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let t = u64::try_from(now.timestamp()).ok()?;
    totp.check(&code, t).and_then(|s| i64::try_from(s).ok())
}

/// The current code (for tests and the demo).
pub fn code_at(secret: &[u8], now: DateTime<Utc>) -> Result<String, String> {
    let totp = build(secret, "x")?;
    let t = u64::try_from(now.timestamp()).map_err(|e| e.to_string())?;
    Ok(totp.generate(t).to_string())
}

/// Base32 of a secret, in groups of four for typing into a hardware token or an app.
pub fn manual_key(secret: &[u8]) -> String {
    let b32 = data_encoding::BASE32_NOPAD.encode(secret);
    b32.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn seal(
    keys: &Keyring,
    user_id: i64,
    secret: &[u8],
) -> Result<String, crate::crypto::CryptoError> {
    keys.encrypt(&purpose(user_id), secret)
}

pub fn open(
    keys: &Keyring,
    user_id: i64,
    sealed: &str,
) -> Result<Vec<u8>, crate::crypto::CryptoError> {
    keys.decrypt(&purpose(user_id), sealed)
}

/// The otpauth URI as an inline SVG QR code, drawn on the server.
pub fn qr_svg(totp: &Totp) -> Result<String, String> {
    let url = totp.to_url().map_err(|e| e.to_string())?;
    let qr = QrCode::encode_text(&url, QrCodeEcc::Medium).map_err(|e| format!("{e:?}"))?;
    let border = 4;
    let size = qr.size() + border * 2;
    let mut path = String::new();
    for y in 0..qr.size() {
        for x in 0..qr.size() {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
            }
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" \
         width=\"240\" height=\"240\" role=\"img\" aria-label=\"QR-Code für die Authenticator-App\" \
         shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\
         <path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}
