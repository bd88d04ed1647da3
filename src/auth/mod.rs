//! Authentication and authorization: who the user is (session → user → roles), how they
//! prove it (password, TOTP, WebAuthn, recovery codes), and the proof of elevation that
//! every class B handler must hold.

pub mod account;
pub mod admin;
pub mod extract;
pub mod factor;
pub mod login;
pub mod password;
pub mod recovery;
pub mod roles;
pub mod second;
pub mod setup;
pub mod throttle;
pub mod totp;
pub mod webauthn;

pub use extract::{CurrentUser, Elevated};

/// Enrols an active TOTP factor for a demo account and records the acknowledgements, so the
/// account can sign in at once. Returns the base32 seed for `demo-accounts.json`.
pub fn demo_enrol(
    conn: &mut crate::db::DbConnection,
    school_id: i64,
    user_id: i64,
    now: chrono::NaiveDateTime,
    keys: &crate::crypto::Keyring,
) -> anyhow::Result<Option<String>> {
    let secret = totp::new_secret();
    let sealed = totp::seal(keys, user_id, &secret).map_err(|e| anyhow::anyhow!("{e}"))?;
    crate::db::factors::create_totp(conn, school_id, user_id, "Demo-App", &sealed, true, now)?;
    crate::legal::acknowledge_all(conn, school_id, user_id, now)?;
    Ok(Some(data_encoding::BASE32_NOPAD.encode(&secret)))
}
