//! One simulated browser (a client with its own cookie jar) and the helpers that read
//! responses: HTML through CSS selectors, headers, cookies.

use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::{HeaderName, HeaderValue};
use scraper::{Html, Selector};
use std::sync::Arc;

/// The session cookie of the application.
pub const SESSION_COOKIE: &str = "__Host-klassenbuch";

/// One browser: a client with its own cookie jar that follows no redirects.
pub struct TestClient {
    pub address: String,
    pub client: reqwest::Client,
    pub jar: Arc<Jar>,
}

impl TestClient {
    pub fn new(address: &str) -> Self {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("HTTP client");
        Self {
            address: address.to_owned(),
            client,
            jar,
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("GET request")
    }

    /// Opens a one-time setup link like a person would: the GET shows a confirmation page
    /// (and does not use the link up); the button POSTs it. Returns the GET's answer if it
    /// is not a page (e.g. 410 for a spent link), else the POST's.
    pub async fn redeem(&self, path: &str) -> reqwest::Response {
        let page = self.get(path).await;
        if page.status().as_u16() != 200 {
            return page;
        }
        let csrf = csrf_of(&page.text().await.expect("setup confirmation page"));
        self.post_form(path, &[("csrf", &csrf)]).await
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.post_form_with_headers(path, form, &[]).await
    }

    /// A form POST with extra request headers (e.g. `Origin`, `Sec-Fetch-Site`).
    pub async fn post_form_with_headers(
        &self,
        path: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(format!("{}{path}", self.address))
            .form(form);
        for (name, value) in headers {
            req = req.header(
                HeaderName::from_bytes(name.as_bytes()).expect("header name"),
                HeaderValue::from_str(value).expect("header value"),
            );
        }
        req.send().await.expect("POST request")
    }

    /// Opens the sign-in form (anonymous session and CSRF token), then submits it.
    pub async fn login(&self, login: &str, password: &str) -> reqwest::Response {
        let form = self.get("/anmelden").await;
        assert_eq!(form.status().as_u16(), 200, "sign-in form");
        let csrf = csrf_of(&form.text().await.expect("body"));
        self.post_form(
            "/anmelden",
            &[
                ("csrf", &csrf),
                ("login", login),
                ("password", password),
                ("next", "/"),
            ],
        )
        .await
    }

    /// The CSRF token of the page at `path` (its first form).
    pub async fn csrf_from(&self, path: &str) -> String {
        let resp = self.get(path).await;
        assert_eq!(resp.status().as_u16(), 200, "GET {path} for its CSRF token");
        csrf_of(&resp.text().await.expect("body"))
    }

    /// The value of the session cookie this client currently holds.
    pub fn session_cookie(&self) -> Option<String> {
        let url = reqwest::Url::parse(&self.address).expect("address");
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .ok()?
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == SESSION_COOKIE)
            .map(|(_, value)| value.to_owned())
    }
}

/// A client without cookie jar that follows no redirects.
pub fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("HTTP client")
}

/// The value of the first `input[name=csrf]` of a page.
pub fn csrf_of(html: &str) -> String {
    attr_of(html, "input[name=csrf]", "value").expect("the page has a CSRF field")
}

/// The attribute `attr` of the first element matching `selector`.
pub fn attr_of(html: &str, selector: &str, attr: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(selector).expect("valid selector");
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr(attr))
        .map(str::to_owned)
}

/// The trimmed text of the first element matching `selector`.
pub fn text_of(html: &str, selector: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(selector).expect("valid selector");
    doc.select(&sel)
        .next()
        .map(|e| e.text().collect::<String>().trim().to_owned())
}

/// How many elements match `selector`.
pub fn count_of(html: &str, selector: &str) -> usize {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(selector).expect("valid selector");
    doc.select(&sel).count()
}

/// The `Location` header of a redirect.
pub fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// A response header as text.
pub fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Every `Set-Cookie` header of a response.
pub fn set_cookies(resp: &reqwest::Response) -> Vec<String> {
    resp.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect()
}
