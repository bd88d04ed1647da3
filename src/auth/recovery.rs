//! Recovery codes: 10 per user, 80 bits each, shown once, stored as SHA-256 hashes, each
//! usable once.

use crate::crypto::{random_bytes, sha256_hex};

pub const COUNT: usize = 10;

/// Normal form: upper case base32 without separators.
pub fn normalize(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

pub fn hash(code: &str) -> String {
    sha256_hex(format!("wiederherstellung:{}", normalize(code)).as_bytes())
}

/// True if the input has the shape of a recovery code rather than a TOTP code.
pub fn looks_like_code(input: &str) -> bool {
    normalize(input).len() == 16
}

/// Fresh codes (`ABCD-EFGH-JKLM-NPQR`) and their hashes.
pub fn generate() -> (Vec<String>, Vec<String>) {
    let codes: Vec<String> = (0..COUNT)
        .map(|_| {
            let raw = data_encoding::BASE32_NOPAD.encode(&random_bytes::<10>());
            raw.as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect();
    let hashes = codes.iter().map(|c| hash(c)).collect();
    (codes, hashes)
}
