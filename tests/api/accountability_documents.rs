//! The school's accountability documents: the Dienstanweisung generated from the live
//! configuration, issued in versions that every user acknowledges before the register
//! opens; and the documentation pack for the data protection officer (HTML and PDF), whose
//! role × data matrix is the permission table the code enforces.

use crate::helpers::{
    TestApp, TestClient, TestUser, attr_of, count_of, csrf_of, location, spawn_app, text_of,
};
use klassenbuch::auth::roles::Role;
use klassenbuch::permissions::{DataGroup, RULES, Scope};
use scraper::{Html, Selector};

const DRAFT: &str = "/verwaltung/dienstanweisung";

/// A school with an elevated headteacher.
struct School {
    app: TestApp,
    school_id: i64,
    head: TestUser,
    head_browser: TestClient,
}

async fn school() -> School {
    let app = spawn_app().await;
    let school_id = app.create_school("Gymnasium an der Förde");
    let head = app.create_user_in(school_id, Role::Schulleitung);
    let head_browser = app.elevated_browser_for(&head).await;
    School {
        app,
        school_id,
        head,
        head_browser,
    }
}

fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn texts(html: &str, selector: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(selector).unwrap();
    doc.select(&sel)
        .map(|e| squeeze(&e.text().collect::<String>()))
        .collect()
}

async fn body(b: &TestClient, path: &str) -> String {
    let resp = b.get(path).await;
    assert_eq!(resp.status().as_u16(), 200, "GET {path}");
    resp.text().await.unwrap()
}

/// The draft's text as the headteacher sees it.
async fn draft_text(s: &School) -> String {
    squeeze(&text_of(&body(&s.head_browser, DRAFT).await, "#entwurf").expect("the draft"))
}

/// The headteacher issues the current draft, effective today.
async fn issue(s: &School) {
    let page = body(&s.head_browser, DRAFT).await;
    let hash = attr_of(&page, "input[name=entwurf]", "value").expect("the draft's hash");
    let today = s.app.school_today().to_string();
    let resp = s
        .head_browser
        .post_form(
            "/verwaltung/dienstanweisung/erlassen",
            &[
                ("csrf", &csrf_of(&page)),
                ("gilt_ab", &today),
                ("geprueft", "ja"),
                ("entwurf", &hash),
            ],
        )
        .await;
    assert_eq!(resp.status().as_u16(), 303, "issuing the Dienstanweisung");
    assert_eq!(location(&resp), DRAFT);
}

/// The headteacher sets the school's second-factor policy through the settings page.
async fn set_policy(s: &School, policy: &str) {
    let csrf = s.head_browser.csrf_from("/verwaltung/einstellungen").await;
    let resp = s
        .head_browser
        .post_form(
            "/verwaltung/einstellungen",
            &[("csrf", &csrf), ("second_factor", policy)],
        )
        .await;
    assert_eq!(resp.status().as_u16(), 303, "saving the policy");
}

/// Acknowledges everything the acknowledgement page asks for; returns what it asked for.
async fn acknowledge(b: &TestClient) -> Vec<String> {
    let page = body(b, "/bestaetigen?next=%2F").await;
    let doc = Html::parse_document(&page);
    let sel = Selector::parse("form[action='/bestaetigen'] input[type=checkbox]").unwrap();
    let boxes: Vec<(String, String)> = doc
        .select(&sel)
        .map(|e| {
            (
                e.value().attr("name").unwrap().to_owned(),
                e.value().attr("value").unwrap().to_owned(),
            )
        })
        .collect();
    let csrf = csrf_of(&page);
    let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf), ("next", "/")];
    form.extend(boxes.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let resp = b.post_form("/bestaetigen", &form).await;
    assert_eq!(resp.status().as_u16(), 303, "acknowledging");
    assert_eq!(location(&resp), "/");
    boxes.into_iter().map(|(k, _)| k).collect()
}

#[tokio::test]
async fn the_dienstanweisung_changes_when_the_school_policy_changes() {
    // Arrange
    let s = school().await;
    let before = draft_text(&s).await;

    // Act
    set_policy(&s, "always").await;
    let after = draft_text(&s).await;

    // Assert
    assert!(before.contains("»Unterrichtsmodus«"), "{before}");
    assert!(!after.contains("»Unterrichtsmodus«"), "{after}");
    assert!(
        after.contains("»Immer« – bei jeder Anmeldung ist der zweite Faktor nötig."),
        "{after}"
    );
}

#[tokio::test]
async fn the_dienstanweisung_states_the_configured_timeouts_and_names_the_administrators() {
    // Arrange
    let s = school().await;
    let admin = s.app.create_user_in(s.school_id, Role::Verwaltung);

    // Act
    let text = draft_text(&s).await;

    // Assert
    let session = &s.app.state.settings.session;
    assert!(
        text.contains(&format!(
            "Eine Sitzung endet nach {} Minuten ohne Nutzung und spätestens nach {} Stunden.",
            session.idle_timeout_minutes, session.absolute_timeout_hours
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "gilt {} Minuten ohne Nutzung und höchstens {} Minuten",
            session.elevation_idle_minutes, session.elevation_absolute_minutes
        )),
        "{text}"
    );
    assert!(text.contains(&admin.display_name), "{text}");
    assert!(text.contains(&s.head.display_name), "{text}");
    assert!(text.contains("Vier-Augen-Prinzip"), "{text}");
}

#[tokio::test]
async fn before_a_dienstanweisung_is_issued_the_register_opens_and_the_headteacher_is_asked_to_issue_one()
 {
    // Arrange
    let s = school().await;
    let teacher = s.app.create_user_in(s.school_id, Role::Lehrkraft);
    let b = s.app.browser_for(&teacher).await;

    // Act
    let teacher_home = b.get("/").await;
    let head_home = body(&s.head_browser, "/").await;

    // Assert
    assert_eq!(teacher_home.status().as_u16(), 200);
    assert_eq!(
        count_of(
            &head_home,
            ".dienstanweisung-hinweis a[href='/verwaltung/dienstanweisung']"
        ),
        1
    );
}

#[tokio::test]
async fn a_user_must_acknowledge_each_issued_version_before_the_register_opens() {
    // Arrange
    let s = school().await;
    let teacher = s.app.create_user_in(s.school_id, Role::Lehrkraft);
    issue(&s).await;
    let b = s.app.browser_for(&teacher).await;

    // Act: the register is closed until the teacher acknowledges.
    let refused = b.get("/").await;
    let asked = acknowledge(&b).await;
    let opened = b.get("/").await;

    // Assert
    assert_eq!(refused.status().as_u16(), 303);
    assert!(
        location(&refused).starts_with("/bestaetigen?next="),
        "{}",
        location(&refused)
    );
    assert_eq!(asked, vec!["dienstanweisung".to_owned()]);
    assert_eq!(opened.status().as_u16(), 200);

    // Act: a new version asks again.
    set_policy(&s, "always").await;
    issue(&s).await;
    let refused_again = b.get("/").await;

    // Assert
    assert_eq!(refused_again.status().as_u16(), 303);
    assert!(location(&refused_again).starts_with("/bestaetigen?next="));
    let list = body(
        &s.head_browser,
        "/verwaltung/dienstanweisung/bestaetigungen",
    )
    .await;
    let row_of = |name: &str| -> Vec<String> {
        let doc = Html::parse_document(&list);
        let rows = Selector::parse("#bestaetigungen tbody tr").unwrap();
        let cells = Selector::parse("th, td").unwrap();
        doc.select(&rows)
            .map(|r| {
                r.select(&cells)
                    .map(|c| squeeze(&c.text().collect::<String>()))
                    .collect::<Vec<_>>()
            })
            .find(|cells| cells[0] == name)
            .unwrap_or_else(|| panic!("a row for {name}"))
    };
    let t = row_of(&teacher.display_name);
    let h = row_of(&s.head.display_name);
    assert_eq!((t[2].as_str(), t[4].as_str()), ("1", "ausstehend"));
    assert_eq!((h[2].as_str(), h[4].as_str()), ("2", "aktuell"));

    // Act: after acknowledging version 2 the register opens again.
    acknowledge(&b).await;
    assert_eq!(b.get("/").await.status().as_u16(), 200);
}

#[tokio::test]
async fn an_issued_version_keeps_its_text_and_a_changed_configuration_asks_for_a_new_one() {
    // Arrange
    let s = school().await;
    issue(&s).await;

    // Act
    set_policy(&s, "always").await;
    let in_force = body(&s.head_browser, "/dienstanweisung").await;
    let manage = body(&s.head_browser, DRAFT).await;
    let home = body(&s.head_browser, "/").await;

    // Assert
    let text = squeeze(&text_of(&in_force, "main").unwrap());
    assert!(text.contains("Fassung 1"), "{text}");
    assert!(text.contains("»Unterrichtsmodus«"), "{text}");
    assert_eq!(count_of(&manage, ".status.drift"), 1);
    assert_eq!(count_of(&home, ".dienstanweisung-hinweis"), 1);
}

#[tokio::test]
async fn the_school_sections_of_the_dienstanweisung_are_the_headteachers_text() {
    // Arrange
    let s = school().await;
    let csrf = s.head_browser.csrf_from(DRAFT).await;

    // Act
    let resp = s
        .head_browser
        .post_form(
            "/verwaltung/dienstanweisung/abschnitte",
            &[
                ("csrf", &csrf),
                (
                    "geraete",
                    "Dienstliche iPads werden im Lehrerzimmer geladen.",
                ),
            ],
        )
        .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 303);
    let text = draft_text(&s).await;
    assert!(
        text.contains("Dienstliche iPads werden im Lehrerzimmer geladen."),
        "{text}"
    );
}

#[tokio::test]
async fn an_effective_date_in_the_past_is_refused() {
    // Arrange
    let s = school().await;
    let page = body(&s.head_browser, DRAFT).await;
    let hash = attr_of(&page, "input[name=entwurf]", "value").unwrap();
    let yesterday = (s.app.school_today() - chrono::Duration::days(1)).to_string();

    // Act
    let resp = s
        .head_browser
        .post_form(
            "/verwaltung/dienstanweisung/erlassen",
            &[
                ("csrf", &csrf_of(&page)),
                ("gilt_ab", &yesterday),
                ("geprueft", "ja"),
                ("entwurf", &hash),
            ],
        )
        .await;

    // Assert
    assert_eq!(resp.status().as_u16(), 400);
    let teacher = s.app.create_user_in(s.school_id, Role::Lehrkraft);
    let b = s.app.browser_for(&teacher).await;
    assert_eq!(
        b.get("/").await.status().as_u16(),
        200,
        "nothing was issued"
    );
}

/// The expected text of a matrix cell, as the documentation states it.
fn expected_cell(group: DataGroup, role: Role) -> String {
    match RULES.iter().find(|r| r.group == group && r.role == role) {
        None => "–".to_owned(),
        Some(r) if r.write == Scope::None => format!("lesen: {}", r.read.label()),
        Some(r) => format!("lesen: {}; ändern: {}", r.read.label(), r.write.label()),
    }
}

#[tokio::test]
async fn the_role_matrix_of_the_documentation_pack_is_the_permission_table_the_code_enforces() {
    // Arrange
    let s = school().await;

    // Act
    let page = body(&s.head_browser, "/verwaltung/dokumentation").await;

    // Assert
    let head = texts(&page, "#rollenmatrix thead th");
    let mut want_head = vec!["Daten".to_owned(), "2FA".to_owned()];
    want_head.extend(Role::ALL.iter().map(|r| r.label().to_owned()));
    assert_eq!(head, want_head);
    let doc = Html::parse_document(&page);
    let rows = Selector::parse("#rollenmatrix tbody tr").unwrap();
    let cells = Selector::parse("th, td").unwrap();
    let table: Vec<Vec<String>> = doc
        .select(&rows)
        .map(|r| {
            r.select(&cells)
                .map(|c| squeeze(&c.text().collect::<String>()))
                .collect()
        })
        .collect();
    let want: Vec<Vec<String>> = DataGroup::ALL
        .iter()
        .map(|g| {
            let mut row = vec![
                g.label().to_owned(),
                if g.needs_second_factor() {
                    "ja"
                } else {
                    "nein"
                }
                .to_owned(),
            ];
            row.extend(Role::ALL.iter().map(|r| expected_cell(*g, *r)));
            row
        })
        .collect();
    assert_eq!(table, want);
}

#[tokio::test]
async fn the_documentation_pack_has_every_part_and_names_the_data_protection_officer() {
    // Arrange
    let s = school().await;
    let csrf = s.head_browser.csrf_from("/verwaltung/schulangaben").await;
    let saved = s
        .head_browser
        .post_form(
            "/verwaltung/schulangaben",
            &[
                ("csrf", &csrf),
                ("school_address", "Fördeweg 1, 24103 Kiel"),
                ("dpo_name", "Dr. Hanna Petersen"),
                ("dpo_email", "datenschutz@foerde.example"),
                ("dpo_phone", ""),
                ("operator", "Schulträger Kiel, Rechenzentrum Kiel"),
            ],
        )
        .await;
    assert_eq!(saved.status().as_u16(), 303);

    // Act
    let page = body(&s.head_browser, "/verwaltung/dokumentation").await;

    // Assert
    let headings = texts(&page, "main section h2");
    for h in [
        "Verzeichnis von Verarbeitungstätigkeiten (Art. 30 DSGVO)",
        "Technische und organisatorische Maßnahmen (Art. 32 DSGVO)",
        "Rollen- und Berechtigungsmatrix",
        "Löschkonzept",
        "Auftragsverarbeitung und Hosting",
        "Datenschutz-Folgenabschätzung (Art. 35 DSGVO) – Entwurf",
    ] {
        assert!(headings.iter().any(|x| x == h), "{h} in {headings:?}");
    }
    let text = squeeze(&text_of(&page, "main").unwrap());
    assert!(text.contains("Dr. Hanna Petersen, datenschutz@foerde.example"));
    assert!(text.contains("Schulträger Kiel, Rechenzentrum Kiel"));
    assert!(!text.contains("{{"), "every placeholder is filled");
}

fn pdf_text(bytes: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(bytes).expect("a PDF that lopdf can read");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    squeeze(&doc.extract_text(&pages).expect("the PDF's text"))
}

#[tokio::test]
async fn the_documentation_pack_as_pdf_holds_every_heading() {
    // Arrange
    let s = school().await;

    // Act
    let resp = s.head_browser.get("/verwaltung/dokumentation.pdf").await;

    // Assert
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        crate::helpers::header(&resp, "content-type").as_deref(),
        Some("application/pdf")
    );
    let bytes = resp.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF"), "a PDF file");
    let text = pdf_text(&bytes);
    for h in [
        "Dokumentation für den Datenschutz",
        "Verzeichnis von Verarbeitungstätigkeiten",
        "Technische und organisatorische Maßnahmen",
        "Rollen- und Berechtigungsmatrix",
        "Löschkonzept",
        "Auftragsverarbeitung und Hosting",
        "Datenschutz-Folgenabschätzung",
    ] {
        assert!(text.contains(h), "»{h}« in the PDF");
    }
    assert!(text.contains("Gymnasium an der Förde"));
}

#[tokio::test]
async fn only_the_headteacher_after_step_up_gets_the_documentation_pack() {
    // Arrange
    let s = school().await;
    let admin = s.app.create_user_in(s.school_id, Role::Verwaltung);
    let admin_browser = s.app.elevated_browser_for(&admin).await;
    let head_without_step_up = s.app.browser_for(&s.head).await;

    for path in ["/verwaltung/dokumentation", "/verwaltung/dokumentation.pdf"] {
        // Act
        let refused = admin_browser.get(path).await;
        let step_up = head_without_step_up.get(path).await;

        // Assert
        assert_eq!(refused.status().as_u16(), 403, "{path}");
        assert_eq!(step_up.status().as_u16(), 303, "{path}");
        assert!(location(&step_up).starts_with("/step-up?next="), "{path}");
    }
}

#[tokio::test]
async fn a_new_colleague_acknowledges_the_issued_dienstanweisung_after_the_setup() {
    // Arrange: a school with an issued Dienstanweisung and a setup link for a newcomer.
    let app = spawn_app().await;
    let path = app.school_with_setup_link("Schule am Watt", "n.neu", "Nina Neu");
    let school_id = klassenbuch::db::users::find_by_login(&mut app.conn(), "n.neu")
        .unwrap()
        .expect("the newcomer")
        .school_id;
    let head = app.create_user_in(school_id, Role::Schulleitung);
    let s = School {
        head_browser: app.elevated_browser_for(&head).await,
        app,
        school_id,
        head,
    };
    issue(&s).await;
    let newcomer = s.app.new_browser();

    // Act
    crate::auth_setup::complete_setup(&s.app, &newcomer, &path).await;
    let refused = newcomer.get("/").await;
    let asked = acknowledge(&newcomer).await;
    let opened = newcomer.get("/").await;

    // Assert
    assert_eq!(refused.status().as_u16(), 303);
    assert!(location(&refused).starts_with("/bestaetigen?next="));
    assert_eq!(asked, vec!["dienstanweisung".to_owned()]);
    assert_eq!(opened.status().as_u16(), 200);
}
