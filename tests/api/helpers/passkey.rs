//! Passkeys in tests: the real software authenticator of webauthn-authenticator-rs
//! (`SoftPasskey`) talks to the server over the JSON contract of `static/webauthn.js`.

use super::{TestApp, TestClient, TestUser, attr_of, location};
use data_encoding::BASE64URL_NOPAD;
use diesel::prelude::*;
use klassenbuch::db::factors::{self, WebauthnCredential};
use klassenbuch::db::schema::webauthn_credentials;
use serde_json::{Value, json};
use url::Url;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::error::WebauthnCError;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_rs::prelude::{
    CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse,
};

/// One software authenticator, bound to the app's origin (`http://localhost:PORT`).
pub struct SoftKey {
    authenticator: SoftPasskey,
    origin: Url,
}

impl SoftKey {
    /// A new authenticator without credentials. `SoftPasskey::new(true)` sets `falsify_uv`:
    /// the soft token then reports user verification (flag UV), as a passkey with PIN or
    /// biometrics does; the server requires it for registration and authentication.
    pub fn new(app: &TestApp) -> Self {
        Self {
            authenticator: SoftPasskey::new(true),
            origin: Url::parse(&app.address).expect("the app's origin"),
        }
    }

    /// `navigator.credentials.create` with the server's options.
    pub fn try_register(
        &mut self,
        options: CreationChallengeResponse,
    ) -> Result<RegisterPublicKeyCredential, WebauthnCError> {
        self.authenticator
            .do_registration(self.origin.clone(), options)
    }

    pub fn register(&mut self, options: CreationChallengeResponse) -> RegisterPublicKeyCredential {
        self.try_register(options)
            .expect("the soft passkey registers")
    }

    /// `navigator.credentials.get` with the server's options.
    pub fn try_authenticate(
        &mut self,
        options: RequestChallengeResponse,
    ) -> Result<PublicKeyCredential, WebauthnCError> {
        self.authenticator
            .do_authentication(self.origin.clone(), options)
    }

    pub fn authenticate(&mut self, options: RequestChallengeResponse) -> PublicKeyCredential {
        self.try_authenticate(options)
            .expect("the soft passkey signs")
    }
}

/// The credential id as the server stores it (base64url without padding).
pub fn credential_id_of(reg: &RegisterPublicKeyCredential) -> String {
    BASE64URL_NOPAD.encode(&reg.raw_id)
}

/// The credential ids an options object offers (`allowCredentials`).
pub fn allowed_ids(options: &RequestChallengeResponse) -> Vec<String> {
    options
        .public_key
        .allow_credentials
        .iter()
        .map(|c| BASE64URL_NOPAD.encode(&c.id))
        .collect()
}

/// The credential ids an options object excludes (`excludeCredentials`).
pub fn excluded_ids(options: &CreationChallengeResponse) -> Vec<String> {
    options
        .public_key
        .exclude_credentials
        .iter()
        .flatten()
        .map(|c| BASE64URL_NOPAD.encode(&c.id))
        .collect()
}

/// A registration response for an already registered credential, answering a new
/// challenge: same authenticator data (credential id and public key) under attestation
/// format `none`, with fresh client data. This is what an authenticator that ignores
/// `excludeCredentials` (or a client replaying a registration) could send.
/// `SoftPasskey` always makes a new key, so the duplicate is assembled here.
pub fn reregistration_of(
    previous: &RegisterPublicKeyCredential,
    options: &CreationChallengeResponse,
    origin: &str,
) -> Value {
    let auth_data = cbor_byte_string_after(&previous.response.attestation_object, b"\x68authData")
        .expect("authData in the attestation object");
    let mut object = Vec::with_capacity(auth_data.len() + 32);
    object.push(0xa3); // map of 3
    object.extend_from_slice(b"\x63fmt\x64none");
    object.extend_from_slice(b"\x67attStmt\xa0");
    object.extend_from_slice(b"\x68authData");
    match auth_data.len() {
        n if n < 24 => object.push(0x40 | u8::try_from(n).expect("small")),
        n if n < 256 => object.extend_from_slice(&[0x58, u8::try_from(n).expect("u8")]),
        n => {
            object.push(0x59);
            object.extend_from_slice(&u16::try_from(n).expect("u16").to_be_bytes());
        }
    }
    object.extend_from_slice(auth_data);
    let client_data = json!({
        "type": "webauthn.create",
        "challenge": BASE64URL_NOPAD.encode(&options.public_key.challenge),
        "origin": origin,
        "crossOrigin": false,
    })
    .to_string();
    let id = credential_id_of(previous);
    json!({
        "id": id,
        "rawId": id,
        "type": "public-key",
        "response": {
            "attestationObject": BASE64URL_NOPAD.encode(&object),
            "clientDataJSON": BASE64URL_NOPAD.encode(client_data.as_bytes()),
            "transports": [],
        },
        "extensions": {},
    })
}

/// The CBOR byte string that follows the first occurrence of `key` in `cbor`.
fn cbor_byte_string_after<'a>(cbor: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let at = cbor.windows(key.len()).position(|w| w == key)? + key.len();
    let head = *cbor.get(at)?;
    let (len, start) = match head {
        0x40..=0x57 => (usize::from(head - 0x40), at + 1),
        0x58 => (usize::from(*cbor.get(at + 1)?), at + 2),
        0x59 => (
            usize::from(u16::from_be_bytes([*cbor.get(at + 1)?, *cbor.get(at + 2)?])),
            at + 3,
        ),
        _ => return None,
    };
    cbor.get(start..start + len)
}

/// The signature counter inside a stored passkey (JSON of `webauthn_rs::prelude::Passkey`).
pub fn stored_counter(passkey_json: &str) -> u64 {
    fn find(v: &Value) -> Option<u64> {
        match v {
            Value::Object(map) => map
                .get("counter")
                .and_then(Value::as_u64)
                .or_else(|| map.values().find_map(find)),
            Value::Array(items) => items.iter().find_map(find),
            _ => None,
        }
    }
    let value: Value = serde_json::from_str(passkey_json).expect("stored passkey is JSON");
    find(&value).expect("a counter in the stored passkey")
}

/// The passkey side of one browser: what `static/webauthn.js` sends.
#[allow(async_fn_in_trait)]
pub trait PasskeyClient {
    /// A `fetch` as the script sends it: JSON, the CSRF header, same origin.
    async fn post_webauthn(
        &self,
        path: &str,
        csrf: &str,
        body: &impl serde::Serialize,
    ) -> reqwest::Response;

    /// The `data-csrf` of the passkey form on the page at `path`.
    async fn passkey_csrf(&self, path: &str) -> String;

    /// `POST /webauthn/registrierung/start`, expecting the options.
    async fn registration_options(&self, csrf: &str, label: &str) -> CreationChallengeResponse;

    /// `POST /webauthn/anmeldung/start`, expecting the options.
    async fn authentication_options(&self, csrf: &str) -> RequestChallengeResponse;

    /// `POST /webauthn/anmeldung/ende?next=…` with an assertion.
    async fn finish_authentication(
        &self,
        csrf: &str,
        next: &str,
        credential: &impl serde::Serialize,
    ) -> reqwest::Response;

    /// A whole registration: start, the authenticator, finish. Returns the authenticator's
    /// response and the server's answer to it.
    async fn register_passkey(
        &self,
        csrf: &str,
        key: &mut SoftKey,
        label: &str,
    ) -> (RegisterPublicKeyCredential, reqwest::Response);

    /// A whole authentication: start, the authenticator, finish.
    async fn authenticate_with_passkey(
        &self,
        csrf: &str,
        key: &mut SoftKey,
        next: &str,
    ) -> reqwest::Response;

    /// True if the session may read class B data (a headteacher's audit log) now; false
    /// if it is sent to the step-up.
    async fn sees_audit_log(&self) -> bool;
}

impl PasskeyClient for TestClient {
    async fn post_webauthn(
        &self,
        path: &str,
        csrf: &str,
        body: &impl serde::Serialize,
    ) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.address))
            .header("X-CSRF-Token", csrf)
            .header(reqwest::header::ORIGIN, &self.address)
            .json(body)
            .send()
            .await
            .expect("POST JSON")
    }

    async fn passkey_csrf(&self, path: &str) -> String {
        let resp = self.get(path).await;
        assert_eq!(resp.status().as_u16(), 200, "GET {path}");
        let body = resp.text().await.expect("body");
        attr_of(&body, "form[data-csrf]", "data-csrf")
            .unwrap_or_else(|| panic!("{path} has a passkey form"))
    }

    async fn registration_options(&self, csrf: &str, label: &str) -> CreationChallengeResponse {
        let resp = self
            .post_webauthn(
                "/webauthn/registrierung/start",
                csrf,
                &json!({ "label": label }),
            )
            .await;
        assert_eq!(resp.status().as_u16(), 200, "registration start");
        resp.json().await.expect("CreationChallengeResponse")
    }

    async fn authentication_options(&self, csrf: &str) -> RequestChallengeResponse {
        let resp = self
            .post_webauthn("/webauthn/anmeldung/start", csrf, &json!({}))
            .await;
        assert_eq!(resp.status().as_u16(), 200, "authentication start");
        resp.json().await.expect("RequestChallengeResponse")
    }

    async fn finish_authentication(
        &self,
        csrf: &str,
        next: &str,
        credential: &impl serde::Serialize,
    ) -> reqwest::Response {
        let path = format!(
            "/webauthn/anmeldung/ende?next={}",
            urlencoding::encode(next)
        );
        self.post_webauthn(&path, csrf, credential).await
    }

    async fn register_passkey(
        &self,
        csrf: &str,
        key: &mut SoftKey,
        label: &str,
    ) -> (RegisterPublicKeyCredential, reqwest::Response) {
        let options = self.registration_options(csrf, label).await;
        let credential = key.register(options);
        let resp = self
            .post_webauthn("/webauthn/registrierung/ende", csrf, &credential)
            .await;
        (credential, resp)
    }

    async fn authenticate_with_passkey(
        &self,
        csrf: &str,
        key: &mut SoftKey,
        next: &str,
    ) -> reqwest::Response {
        let options = self.authentication_options(csrf).await;
        let credential = key.authenticate(options);
        self.finish_authentication(csrf, next, &credential).await
    }

    async fn sees_audit_log(&self) -> bool {
        let resp = self.get("/verwaltung/protokoll").await;
        match resp.status().as_u16() {
            200 => true,
            303 => {
                assert!(
                    location(&resp).starts_with("/step-up?next="),
                    "sent to the step-up, not to {}",
                    location(&resp)
                );
                false
            }
            other => panic!("GET /verwaltung/protokoll answered {other}"),
        }
    }
}

/// Passkey set-up and inspection on the app.
#[allow(async_fn_in_trait)]
pub trait PasskeyApp {
    /// Signs `client` in, steps up with the user's current TOTP code and confirms the
    /// password for factor changes (`POST /konto/freigabe`).
    async fn release_factor_changes(&self, client: &TestClient, user: &TestUser);

    /// Registers a new soft passkey for `user` through the account page, using `client`
    /// (which stays signed in, elevated and released). Uses the user's TOTP code of the
    /// current time step.
    async fn enrol_passkey(&self, client: &TestClient, user: &TestUser) -> SoftKey;

    /// The stored passkeys of a user.
    fn passkeys_of(&self, user: &TestUser) -> Vec<WebauthnCredential>;

    /// How many stored passkeys, of any user, carry `credential_id`.
    fn credential_id_count(&self, credential_id: &str) -> i64;
}

impl PasskeyApp for TestApp {
    async fn release_factor_changes(&self, client: &TestClient, user: &TestUser) {
        client.sign_in_elevated(user, &self.totp_now(user)).await;
        let csrf = client.csrf_from("/konto/faktoren").await;
        let resp = client
            .post_form(
                "/konto/freigabe",
                &[("csrf", &csrf), ("password", &user.password)],
            )
            .await;
        assert_eq!(resp.status().as_u16(), 303, "release");
        assert_eq!(location(&resp), "/konto/faktoren");
    }

    async fn enrol_passkey(&self, client: &TestClient, user: &TestUser) -> SoftKey {
        self.release_factor_changes(client, user).await;
        let csrf = client.passkey_csrf("/konto/faktoren").await;
        let mut key = SoftKey::new(self);
        let (_, resp) = client
            .register_passkey(&csrf, &mut key, "Testschlüssel")
            .await;
        assert_eq!(resp.status().as_u16(), 200, "passkey registration");
        let body: Value = resp.json().await.expect("JSON");
        assert_eq!(body["weiter"], "/konto/faktoren");
        key
    }

    fn passkeys_of(&self, user: &TestUser) -> Vec<WebauthnCredential> {
        factors::webauthn_of(&mut self.conn(), user.school_id, user.user_id).expect("load passkeys")
    }

    fn credential_id_count(&self, credential_id: &str) -> i64 {
        webauthn_credentials::table
            .filter(webauthn_credentials::credential_id.eq(credential_id))
            .count()
            .get_result(&mut *self.conn())
            .expect("count credentials")
    }
}
