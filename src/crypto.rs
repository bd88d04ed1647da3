//! Randomness, hashing of tokens, and authenticated encryption of values at rest.
//!
//! Encrypted values are stored as `<key-id>$<base64url(nonce ‖ ciphertext)>` with
//! XChaCha20-Poly1305; the key id lets keys rotate. A purpose string is bound in as
//! associated data, so a ciphertext copied into another column does not decrypt.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use data_encoding::{BASE64URL_NOPAD, HEXLOWER};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Fills a fresh buffer from the operating system's random number generator.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // getrandom only fails if the OS has no entropy source at all; then nothing is safe.
    if let Err(e) = getrandom::fill(&mut buf) {
        panic!("Betriebssystem liefert keine Zufallszahlen: {e}");
    }
    buf
}

/// A URL-safe random token with `N` bytes of entropy.
pub fn random_token<const N: usize>() -> String {
    BASE64URL_NOPAD.encode(&random_bytes::<N>())
}

/// SHA-256 of a token, hex encoded. Used to store session ids and setup tokens.
pub fn sha256_hex(data: &[u8]) -> String {
    HEXLOWER.encode(&Sha256::digest(data))
}

/// Compares two byte strings in constant time.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The data encryption keys, loaded from outside the database.
pub struct Keyring {
    current: String,
    keys: HashMap<String, XChaCha20Poly1305>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut ids: Vec<_> = self.keys.keys().collect();
        ids.sort();
        f.debug_struct("Keyring")
            .field("current", &self.current)
            .field("key_ids", &ids)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("{0}")]
    Format(String),
    #[error("Wert wurde mit dem unbekannten Schlüssel »{0}« verschlüsselt")]
    UnknownKey(String),
    #[error("Wert ist beschädigt oder gehört nicht hierher")]
    Corrupt,
}

impl Keyring {
    /// Parses `key-id base64url-key` lines (comments with `#`). The last key is the current one.
    pub fn parse(text: &str) -> Result<Self, CryptoError> {
        let mut keys = HashMap::new();
        let mut current = None;
        for (no, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (id, key) = line.split_once(char::is_whitespace).ok_or_else(|| {
                CryptoError::Format(format!(
                    "Zeile {}: erwartet »Schlüssel-ID Schlüssel«",
                    no + 1
                ))
            })?;
            let id = id.trim();
            if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return Err(CryptoError::Format(format!(
                    "Zeile {}: Schlüssel-ID darf nur Buchstaben, Ziffern und - enthalten",
                    no + 1
                )));
            }
            let raw = BASE64URL_NOPAD.decode(key.trim().as_bytes()).map_err(|_| {
                CryptoError::Format(format!("Zeile {}: Schlüssel ist kein Base64url", no + 1))
            })?;
            if raw.len() != 32 {
                return Err(CryptoError::Format(format!(
                    "Zeile {}: Schlüssel muss 32 Byte lang sein, hat {}",
                    no + 1,
                    raw.len()
                )));
            }
            let cipher = XChaCha20Poly1305::new_from_slice(&raw).map_err(|_| {
                CryptoError::Format(format!("Zeile {}: ungültiger Schlüssel", no + 1))
            })?;
            keys.insert(id.to_owned(), cipher);
            current = Some(id.to_owned());
        }
        let current =
            current.ok_or_else(|| CryptoError::Format("enthält keinen Schlüssel".into()))?;
        Ok(Self { current, keys })
    }

    /// A new key line for a key file: `<id> <base64url key>`.
    pub fn generate_line(id: &str) -> String {
        format!("{id} {}", BASE64URL_NOPAD.encode(&random_bytes::<32>()))
    }

    pub fn current_id(&self) -> &str {
        &self.current
    }

    /// Encrypts `plaintext` under the current key, binding `purpose` as associated data.
    pub fn encrypt(&self, purpose: &str, plaintext: &[u8]) -> Result<String, CryptoError> {
        let cipher = self
            .keys
            .get(&self.current)
            .ok_or_else(|| CryptoError::UnknownKey(self.current.clone()))?;
        let nonce_bytes = random_bytes::<24>();
        let nonce = XNonce::from_slice(&nonce_bytes);
        let ct = cipher
            .encrypt(
                nonce,
                Payload {
                    msg: plaintext,
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Corrupt)?;
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&ct);
        Ok(format!("{}${}", self.current, BASE64URL_NOPAD.encode(&out)))
    }

    /// Decrypts a value produced by [`Keyring::encrypt`] with the same `purpose`.
    pub fn decrypt(&self, purpose: &str, stored: &str) -> Result<Vec<u8>, CryptoError> {
        let (id, body) = stored.split_once('$').ok_or(CryptoError::Corrupt)?;
        let cipher = self
            .keys
            .get(id)
            .ok_or_else(|| CryptoError::UnknownKey(id.to_owned()))?;
        let raw = BASE64URL_NOPAD
            .decode(body.as_bytes())
            .map_err(|_| CryptoError::Corrupt)?;
        if raw.len() < 24 {
            return Err(CryptoError::Corrupt);
        }
        let (nonce, ct) = raw.split_at(24);
        cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Corrupt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_decrypts_only_with_its_purpose_and_survives_rotation() {
        let old = Keyring::generate_line("k1");
        let ring = Keyring::parse(&old).unwrap();
        let sealed = ring.encrypt("totp:1", b"geheim").unwrap();
        assert!(!sealed.contains("geheim"));
        assert!(ring.decrypt("totp:2", &sealed).is_err());
        let rotated = Keyring::parse(&format!("{old}\n{}", Keyring::generate_line("k2"))).unwrap();
        assert_eq!(rotated.current_id(), "k2");
        assert_eq!(rotated.decrypt("totp:1", &sealed).unwrap(), b"geheim");
    }
}
