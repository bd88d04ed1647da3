//! Managing one's own second factors on `/konto/faktoren` (after a fresh second factor and
//! the password): the last factor cannot be removed, a new authenticator can be added, and
//! regenerated recovery codes replace the old ones.

use crate::helpers::{
    TestApp, TestUser, attr_of, count_of, csrf_of, location, spawn_app, text_of, totp_code,
};
use klassenbuch::auth::roles::Role;
use scraper::{Html, Selector};

const FACTORS: &str = "/konto/faktoren";

/// A teacher on the default client, elevated and with the password release for factor
/// changes; returns the factors page.
async fn released_factor_page(app: &TestApp, user: &TestUser) -> String {
    app.browser.sign_in_as(user).await;
    let resp = app.browser.step_up(&app.totp_now(user), FACTORS).await;
    assert_eq!(resp.status().as_u16(), 303, "step-up");
    assert_eq!(location(&resp), FACTORS);
    let page = app.get(FACTORS).await.text().await.unwrap();
    assert_eq!(
        attr_of(&page, "form[action=\"/konto/freigabe\"]", "method").as_deref(),
        Some("post"),
        "no password release form"
    );
    assert_eq!(
        count_of(&page, "table.factors"),
        0,
        "factors shown before the password"
    );
    let resp = app
        .post_form(
            "/konto/freigabe",
            &[("csrf", &csrf_of(&page)), ("password", &user.password)],
        )
        .await;
    assert_eq!(resp.status().as_u16(), 303, "password release");
    let page = app.get(FACTORS).await.text().await.unwrap();
    assert_eq!(
        count_of(&page, "table.factors"),
        1,
        "no factor table after release"
    );
    page
}

/// The ids of the TOTP factors listed with a remove button.
fn totp_ids(page: &str) -> Vec<String> {
    let doc = Html::parse_document(page);
    let forms = Selector::parse("form[action=\"/konto/faktor/entfernen\"]").unwrap();
    let art = Selector::parse("input[name=art]").unwrap();
    let id = Selector::parse("input[name=id]").unwrap();
    doc.select(&forms)
        .filter(|f| f.select(&art).next().and_then(|a| a.value().attr("value")) == Some("totp"))
        .filter_map(|f| {
            f.select(&id)
                .next()?
                .value()
                .attr("value")
                .map(str::to_owned)
        })
        .collect()
}

async fn remove_totp(app: &TestApp, page: &str, id: &str) -> String {
    let csrf = csrf_of(page);
    let resp = app
        .post_form(
            "/konto/faktor/entfernen",
            &[("csrf", &csrf), ("art", "totp"), ("id", id)],
        )
        .await;
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(location(&resp), FACTORS);
    app.get(FACTORS).await.text().await.unwrap()
}

fn codes_of(page: &str) -> Vec<String> {
    let doc = Html::parse_document(page);
    doc.select(&Selector::parse("ol.codes li").unwrap())
        .map(|li| li.text().collect::<String>().trim().to_owned())
        .collect()
}

#[tokio::test]
async fn removing_the_last_second_factor_is_refused_with_a_message() {
    // Arrange
    let app = spawn_app().await;
    let user = app.create_user(Role::Lehrkraft);
    let page = released_factor_page(&app, &user).await;
    let ids = totp_ids(&page);
    assert_eq!(ids.len(), 1, "{ids:?}");

    // Act
    let after = remove_totp(&app, &page, &ids[0]).await;

    // Assert
    assert_eq!(
        text_of(&after, "main p.flash.err").as_deref(),
        Some(
            "Der letzte zweite Faktor kann nicht entfernt werden. Fügen Sie zuerst einen \
             weiteren hinzu."
        )
    );
    assert_eq!(app.active_factor_count(&user), 1);
    assert_eq!(totp_ids(&after), ids);
    assert_eq!(
        app.audit_with("faktor_entfernt", Some("verweigert")).len(),
        1
    );
}

#[tokio::test]
async fn with_a_second_authenticator_added_the_first_can_be_removed() {
    // Arrange
    let app = spawn_app().await;
    let user = app.create_user(Role::Lehrkraft);
    let page = released_factor_page(&app, &user).await;
    let first = totp_ids(&page);
    let csrf = csrf_of(&page);
    let enrol = app.post_form("/konto/totp/neu", &[("csrf", &csrf)]).await;
    assert_eq!(enrol.status().as_u16(), 200);
    let enrol = enrol.text().await.unwrap();
    let key: String = text_of(&enrol, "code.manual-key")
        .expect("manual key")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let secret = data_encoding::BASE32_NOPAD.decode(key.as_bytes()).unwrap();
    let activated = app
        .post_form(
            "/konto/totp/aktivieren",
            &[("csrf", &csrf), ("code", &totp_code(&secret, app.now()))],
        )
        .await;
    assert_eq!(activated.status().as_u16(), 303);
    let page = app.get(FACTORS).await.text().await.unwrap();
    assert_eq!(
        text_of(&page, "main p.flash.ok").as_deref(),
        Some("Der Authenticator wurde hinzugefügt.")
    );
    assert_eq!(app.active_factor_count(&user), 2);

    // Act
    let after = remove_totp(&app, &page, &first[0]).await;

    // Assert
    assert_eq!(
        text_of(&after, "main p.flash.ok").as_deref(),
        Some("Der Faktor wurde entfernt.")
    );
    assert_eq!(app.active_factor_count(&user), 1);
    assert!(!totp_ids(&after).contains(&first[0]));
    let added = app.audit_with("faktor_hinzugefuegt", Some("erfolg"));
    assert_eq!(added.len(), 1);
    assert_eq!(added[0].detail, "typ=totp");
}

#[tokio::test]
async fn regenerating_recovery_codes_invalidates_the_old_ones() {
    // Arrange
    let app = spawn_app().await;
    let user = app.create_user(Role::Lehrkraft);
    let old = app.give_recovery_codes(&user);
    let page = released_factor_page(&app, &user).await;
    let csrf = csrf_of(&page);

    // Act
    let resp = app.post_form("/konto/codes", &[("csrf", &csrf)]).await;

    // Assert
    assert_eq!(resp.status().as_u16(), 200);
    let new = codes_of(&resp.text().await.unwrap());
    assert_eq!(new.len(), 10, "{new:?}");
    assert!(new.iter().all(|c| !old.contains(c)));
    let other = app.new_browser();
    other.sign_in_as(&user).await;
    let refused = other.step_up(&old[0], "/").await;
    assert_eq!(refused.status().as_u16(), 401, "an old code still works");
    let accepted = other.step_up(&new[0], "/").await;
    assert_eq!(accepted.status().as_u16(), 303, "a new code is refused");
    assert_eq!(location(&accepted), "/");
}
