//! The page frame: German layout, navigation by role, flash messages, and the footer with
//! the legal documents on every page. Views are small `fn(..) -> Markup`; they never query.

use crate::auth::roles::Role;
use crate::web::middleware::current_request_id;
use maud::{DOCTYPE, Markup, html};

/// What the frame needs to know about the signed-in user.
#[derive(Debug, Clone)]
pub struct NavContext {
    pub school_name: String,
    pub user_name: String,
    pub roles: Vec<Role>,
    pub csrf: String,
    pub elevated: bool,
}

/// A flash message shown once at the top of the next page.
#[derive(Debug, Clone)]
pub struct Flash {
    pub kind: FlashKind,
    pub text: String,
}

#[derive(Debug, Clone, Copy)]
pub enum FlashKind {
    Success,
    Error,
}

impl Flash {
    /// Stored form: `ok:text` or `err:text`.
    pub fn encode(&self) -> String {
        match self.kind {
            FlashKind::Success => format!("ok:{}", self.text),
            FlashKind::Error => format!("err:{}", self.text),
        }
    }

    pub fn decode(s: &str) -> Flash {
        match s.split_once(':') {
            Some(("err", t)) => Flash {
                kind: FlashKind::Error,
                text: t.to_owned(),
            },
            Some((_, t)) => Flash {
                kind: FlashKind::Success,
                text: t.to_owned(),
            },
            None => Flash {
                kind: FlashKind::Success,
                text: s.to_owned(),
            },
        }
    }
}

/// Builds a full HTML page.
#[derive(Debug, Default)]
pub struct Page {
    title: String,
    nav: Option<NavContext>,
    flash: Option<Flash>,
    scripts: Vec<&'static str>,
}

impl Page {
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            ..Default::default()
        }
    }

    pub fn nav(mut self, nav: NavContext) -> Self {
        self.nav = Some(nav);
        self
    }

    pub fn flash(mut self, flash: Option<Flash>) -> Self {
        self.flash = flash;
        self
    }

    /// Adds a script from `static/` (CSP allows only same-origin scripts).
    pub fn script(mut self, path: &'static str) -> Self {
        self.scripts.push(path);
        self
    }

    pub fn render(self, body: Markup) -> Markup {
        html! {
            (DOCTYPE)
            html lang="de" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    meta name="referrer" content="no-referrer";
                    title { (self.title) " – Klassenbuch" }
                    link rel="stylesheet" href="/static/app.css";
                    @for s in &self.scripts { script src=(s) defer {} }
                }
                body {
                    a.skip href="#inhalt" { "Zum Inhalt springen" }
                    header.site {
                        a.brand href="/" { "Klassenbuch" }
                        @if let Some(nav) = &self.nav { (nav_bar(nav)) }
                    }
                    main id="inhalt" {
                        @if let Some(f) = &self.flash {
                            @match f.kind {
                                FlashKind::Success => p.flash.ok role="status" { (f.text) },
                                FlashKind::Error => p.flash.err role="alert" { (f.text) },
                            }
                        }
                        h1 { (self.title) }
                        (body)
                    }
                    (footer())
                }
            }
        }
    }
}

fn nav_bar(nav: &NavContext) -> Markup {
    let teaches = nav
        .roles
        .iter()
        .any(|r| matches!(r, Role::Lehrkraft | Role::Klassenlehrkraft));
    let administers = nav.roles.iter().any(|r| r.administers());
    let heads = nav.roles.contains(&Role::Schulleitung);
    html! {
        nav aria-label="Hauptnavigation" {
            ul {
                @if teaches { li { a href="/" { "Heute" } } }
                @if teaches { li { a href="/offen" { "Offene Stunden" } } }
                @if teaches { li { a href="/notizbuch" { "Notizbuch" } } }
                @if nav.roles.iter().any(|r| matches!(r, Role::Klassenlehrkraft | Role::Sekretariat | Role::Schulleitung)) { li { a href="/klassen" { "Klassen" } } }
                @if administers { li { a href="/verwaltung/vertretungen" { "Vertretungen" } } }
                @if administers { li { a href="/verwaltung/benutzer" { "Benutzer" } } }
                @if administers { li { a href="/schule" { "Schule" } } }
                @if administers { li { a href="/verwaltung/import" { "Import" } } }
                @if heads { li { a href="/verwaltung/einstellungen" { "Einstellungen" } } }
                @if heads { li { a href="/verwaltung/sozialarbeit" { "Sozialarbeit" } } }
                @if heads { li { a href="/verwaltung/dienstanweisung" { "Dienstanweisung" } } }
                @if nav.roles.contains(&Role::Schulsozialarbeit) { li { a href="/sozialarbeit" { "Schulsozialarbeit" } } }
                li { a href="/konto" { "Konto" } }
            }
            div.who {
                span.school { (nav.school_name) }
                " · "
                span.user { (nav.user_name) }
                @if nav.elevated { " · " span.badge title="Zweiter Faktor bestätigt" { "2FA" } }
                form method="post" action="/abmelden" {
                    input type="hidden" name="csrf" value=(nav.csrf);
                    button.link type="submit" { "Abmelden" }
                }
            }
        }
    }
}

fn footer() -> Markup {
    html! {
        footer.site {
            a href="/datenschutz" { "Datenschutzhinweise" }
            a href="/nutzungsbedingungen" { "Nutzungsbedingungen" }
            a href="/dienstanweisung" { "Dienstanweisung" }
            a href="/barrierefreiheit" { "Barrierefreiheit" }
        }
    }
}

/// The generic German error page with the request id.
pub fn error_page(title: &str, text: &str, detail: Option<&str>) -> Markup {
    let id = current_request_id();
    Page::new(title).render(html! {
        p { (text) }
        @if let Some(d) = detail { p.detail { (d) } }
        @if let Some(id) = id {
            p.request-id { "Vorgangsnummer: " code { (id) } }
        }
        p { a href="/" { "Zur Startseite" } }
    })
}

/// A hidden CSRF field for forms.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}
