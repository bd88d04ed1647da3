//! The route table: every route with the least it requires. Registration and the
//! access-walking test both read it, so the table cannot drift from the app.

use crate::accountability;
use crate::auth;
use crate::gdpr;
use crate::pupils;
use crate::register;
use crate::school;
use crate::socialwork;
use crate::web::pages;
use actix_web::web::{self, ServiceConfig};

/// What a route requires of the requester.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, no session needed.
    Public,
    /// Any signed-in user (class A pages and the account).
    SignedIn,
    /// Signed in with one of the named roles.
    Role(&'static str),
    /// Signed in, with the role, and elevated by a second factor (class B, administration).
    Elevated(&'static str),
}

/// One row of the route table.
#[derive(Debug, Clone, Copy)]
pub struct RouteSpec {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

const fn r(method: &'static str, path: &'static str, access: Access) -> RouteSpec {
    RouteSpec {
        method,
        path,
        access,
    }
}

/// Every route of the application. Paths with `{…}` take ids.
pub const ROUTES: &[RouteSpec] = &[
    r("GET", "/healthz", Access::Public),
    r("GET", "/readyz", Access::Public),
    r("GET", "/metrics", Access::Public),
    r("GET", "/datenschutz", Access::Public),
    r("GET", "/nutzungsbedingungen", Access::Public),
    r("GET", "/dienstanweisung", Access::Public),
    r("GET", "/barrierefreiheit", Access::Public),
    r("GET", "/anmelden", Access::Public),
    r("POST", "/anmelden", Access::Public),
    r("POST", "/abmelden", Access::Public),
    r("GET", "/einrichtung/fertig", Access::Public),
    r("GET", "/einrichtung/{token}", Access::Public),
    r("POST", "/einrichtung/{token}", Access::Public),
    r("GET", "/einrichtung", Access::Public),
    r("POST", "/einrichtung/passwort", Access::Public),
    r("POST", "/einrichtung/totp", Access::Public),
    r("POST", "/einrichtung/codes", Access::Public),
    r("POST", "/einrichtung/bestaetigen", Access::Public),
    r("GET", "/anmelden/faktor", Access::Public),
    r("POST", "/anmelden/faktor", Access::Public),
    r("POST", "/webauthn/registrierung/start", Access::Public),
    r("POST", "/webauthn/registrierung/ende", Access::Public),
    r("POST", "/webauthn/anmeldung/start", Access::Public),
    r("POST", "/webauthn/anmeldung/ende", Access::Public),
    r("GET", "/", Access::SignedIn),
    r("GET", "/offen", Access::Role("Lehrkraft")),
    r(
        "GET",
        "/unterricht/{slot}/{date}",
        Access::Role("Lehrkraft"),
    ),
    r(
        "POST",
        "/unterricht/{slot}/{date}",
        Access::Role("Lehrkraft"),
    ),
    r(
        "POST",
        "/unterricht/{slot}/{date}/eintrag",
        Access::Role("Lehrkraft"),
    ),
    r(
        "GET",
        "/unterricht/{slot}/{date}/verlauf",
        Access::Elevated("Lehrkraft, Klassenlehrkraft oder Schulleitung"),
    ),
    r(
        "GET",
        "/klassen/{class_id}/klassenbuch",
        Access::Elevated("Klassenlehrkraft der Klasse oder Schulleitung"),
    ),
    r(
        "GET",
        "/klassen/{class_id}/klassenbuch.pdf",
        Access::Elevated("Klassenlehrkraft der Klasse oder Schulleitung"),
    ),
    r(
        "GET",
        "/klassen",
        Access::Role("Klassenlehrkraft, Sekretariat oder Schulleitung"),
    ),
    r(
        "GET",
        "/klassen/{class_id}/fehlzeiten",
        Access::Elevated("Klassenlehrkraft, Sekretariat oder Schulleitung"),
    ),
    r(
        "POST",
        "/klassen/{class_id}/fehlzeiten",
        Access::Elevated("Klassenlehrkraft oder Sekretariat"),
    ),
    r(
        "POST",
        "/klassen/{class_id}/attestpflicht",
        Access::Elevated("Klassenlehrkraft"),
    ),
    r(
        "POST",
        "/fehlzeiten/{case_id}/entschuldigung",
        Access::Elevated("Klassenlehrkraft"),
    ),
    r(
        "GET",
        "/klassen/{class_id}/statistik",
        Access::Elevated("Klassenlehrkraft oder Schulleitung"),
    ),
    r(
        "GET",
        "/klassen/{class_id}/statistik.csv",
        Access::Elevated("Klassenlehrkraft oder Schulleitung"),
    ),
    r(
        "GET",
        "/klassen/{class_id}/schueler",
        Access::Elevated("Klassenlehrkraft der Klasse, Sekretariat oder Schulleitung"),
    ),
    r(
        "GET",
        "/schueler/{pupil_id}",
        Access::Elevated("Lehrkraft, Sekretariat oder Schulleitung"),
    ),
    r(
        "POST",
        "/schueler/{pupil_id}/stammdaten",
        Access::Elevated("Sekretariat oder Schulleitung"),
    ),
    r(
        "POST",
        "/schueler/{pupil_id}/erziehungsberechtigte",
        Access::Elevated("Sekretariat"),
    ),
    r(
        "POST",
        "/schueler/{pupil_id}/foerderung",
        Access::Elevated("Klassenlehrkraft der Klasse oder Schulleitung"),
    ),
    r(
        "POST",
        "/schueler/{pupil_id}/verhalten",
        Access::Elevated("Lehrkraft"),
    ),
    r(
        "GET",
        "/schueler/{pupil_id}/foto",
        Access::Elevated("Lehrkraft oder Schulleitung"),
    ),
    r(
        "POST",
        "/schueler/{pupil_id}/foto",
        Access::Elevated("Klassenlehrkraft der Klasse"),
    ),
    r("GET", "/notizbuch", Access::Elevated("Lehrkraft")),
    r("POST", "/notizbuch", Access::Elevated("Lehrkraft")),
    r(
        "POST",
        "/notizbuch/{entry_id}/loeschen",
        Access::Elevated("Lehrkraft"),
    ),
    r(
        "GET",
        "/schule/gesundheitscodes",
        Access::Elevated("Schulleitung"),
    ),
    r(
        "POST",
        "/schule/gesundheitscodes",
        Access::Elevated("Schulleitung"),
    ),
    r("GET", "/bestaetigen", Access::SignedIn),
    r("POST", "/bestaetigen", Access::SignedIn),
    r(
        "GET",
        "/verwaltung/dienstanweisung",
        Access::Elevated("Schulleitung"),
    ),
    r(
        "POST",
        "/verwaltung/dienstanweisung/abschnitte",
        Access::Elevated("Schulleitung"),
    ),
    r(
        "POST",
        "/verwaltung/dienstanweisung/erlassen",
        Access::Elevated("Schulleitung"),
    ),
    r(
        "GET",
        "/verwaltung/dienstanweisung/bestaetigungen",
        Access::Elevated("Schulleitung"),
    ),
    r(
        "GET",
        "/verwaltung/dokumentation",
        Access::Elevated("Schulleitung"),
    ),
    r(
        "GET",
        "/verwaltung/dokumentation.pdf",
        Access::Elevated("Schulleitung"),
    ),
    r(
        "GET",
        "/verwaltung/schulangaben",
        Access::Elevated("Schulleitung"),
    ),
    r(
        "POST",
        "/verwaltung/schulangaben",
        Access::Elevated("Schulleitung"),
    ),
    r("GET", "/step-up", Access::SignedIn),
    r("POST", "/step-up", Access::SignedIn),
    r("GET", "/konto", Access::SignedIn),
    r("POST", "/konto/passwort", Access::SignedIn),
    r("POST", "/konto/sitzungen/beenden", Access::SignedIn),
    r("GET", "/konto/faktoren", Access::Elevated("angemeldet")),
    r("POST", "/konto/freigabe", Access::Elevated("angemeldet")),
    r("POST", "/konto/totp/neu", Access::Elevated("angemeldet")),
    r(
        "POST",
        "/konto/totp/aktivieren",
        Access::Elevated("angemeldet"),
    ),
    r(
        "POST",
        "/konto/faktor/entfernen",
        Access::Elevated("angemeldet"),
    ),
    r("POST", "/konto/codes", Access::Elevated("angemeldet")),
    r(
        "GET",
        "/verwaltung/benutzer",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "POST",
        "/verwaltung/benutzer/neu",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "POST",
        "/verwaltung/benutzer/{id}/deaktivieren",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "POST",
        "/verwaltung/benutzer/{id}/zuruecksetzen",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "GET",
        "/verwaltung/vertretungen",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "POST",
        "/verwaltung/vertretungen",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "GET",
        "/verwaltung/einstellungen",
        Access::Elevated("Schulleitung"),
    ),
    r(
        "POST",
        "/verwaltung/einstellungen",
        Access::Elevated("Schulleitung"),
    ),
    r(
        "GET",
        "/verwaltung/protokoll",
        Access::Elevated("Schulleitung"),
    ),
    r(
        "GET",
        "/verwaltung/auskunft",
        Access::Elevated("Schulleitung"),
    ),
    r(
        "GET",
        "/verwaltung/auskunft/{pupil_id}",
        Access::Elevated("Schulleitung"),
    ),
    r(
        "GET",
        "/verwaltung/auskunft/{pupil_id}/export.zip",
        Access::Elevated("Schulleitung"),
    ),
    r(
        "GET",
        "/verwaltung/loeschung",
        Access::Elevated("Schulleitung"),
    ),
    r(
        "POST",
        "/verwaltung/loeschung",
        Access::Elevated("Schulleitung"),
    ),
    r(
        "POST",
        "/verwaltung/loeschung/fristen",
        Access::Elevated("Schulleitung"),
    ),
    r(
        "GET",
        "/verwaltung/datenpanne",
        Access::Elevated("Schulleitung"),
    ),
    r(
        "GET",
        "/verwaltung/sozialarbeit",
        Access::Elevated("Schulleitung"),
    ),
    r(
        "POST",
        "/verwaltung/sozialarbeit",
        Access::Elevated("Schulleitung"),
    ),
    r(
        "POST",
        "/verwaltung/sozialarbeit/beenden",
        Access::Elevated("Schulleitung"),
    ),
    r(
        "GET",
        "/sozialarbeit",
        Access::Elevated("Schulsozialarbeit"),
    ),
    r(
        "GET",
        "/sozialarbeit/{pupil_id}",
        Access::Elevated("Schulsozialarbeit"),
    ),
    r(
        "GET",
        "/schule",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "GET",
        "/schule/schuljahre",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "POST",
        "/schule/schuljahre",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "POST",
        "/schule/schuljahre/abschnitte",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "POST",
        "/schule/schuljahre/abschliessen",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "POST",
        "/schule/ferien",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "GET",
        "/schule/zeitraster",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "POST",
        "/schule/zeitraster",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "GET",
        "/schule/klassen",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "POST",
        "/schule/klassen",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "POST",
        "/schule/klassenleitungen",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "POST",
        "/schule/klassenleitungen/beenden",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "GET",
        "/schule/faecher",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "POST",
        "/schule/faecher",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "GET",
        "/schule/raeume",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "POST",
        "/schule/raeume",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "GET",
        "/schule/kurse",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "POST",
        "/schule/kurse",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "POST",
        "/schule/kurse/mitglieder",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "POST",
        "/schule/kurse/mitglieder/beenden",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "GET",
        "/schule/schueler",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "POST",
        "/schule/schueler",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "POST",
        "/schule/schueler/austritt",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "POST",
        "/schule/schueler/klassenwechsel",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "GET",
        "/schule/stundenplan",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "POST",
        "/schule/stundenplan",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "POST",
        "/schule/stundenplan/beenden",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "GET",
        "/verwaltung/import",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "POST",
        "/verwaltung/import",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "POST",
        "/verwaltung/import/anwenden",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "GET",
        "/verwaltung/import/zuordnung",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "POST",
        "/verwaltung/import/zuordnung",
        Access::Elevated("Schulleitung oder Administration"),
    ),
    r(
        "GET",
        "/verwaltung/export",
        Access::Elevated("Schulleitung oder Administration"),
    ),
];

/// Registers every route and the static files.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.route("/healthz", web::get().to(pages::healthz))
        .route("/readyz", web::get().to(pages::readyz))
        .route("/metrics", web::get().to(crate::ops::metrics::endpoint))
        .route(
            "/datenschutz",
            web::get().to(accountability::public::privacy),
        )
        .route(
            "/nutzungsbedingungen",
            web::get().to(accountability::public::terms),
        )
        .route(
            "/dienstanweisung",
            web::get().to(accountability::public::dienstanweisung),
        )
        .route("/barrierefreiheit", web::get().to(pages::accessibility))
        .route("/anmelden", web::get().to(auth::login::form))
        .route("/anmelden", web::post().to(auth::login::submit))
        .route("/abmelden", web::post().to(auth::login::logout))
        .route("/einrichtung/fertig", web::get().to(auth::setup::complete))
        .route("/einrichtung", web::get().to(auth::setup::show))
        .route(
            "/einrichtung/passwort",
            web::post().to(auth::setup::set_password),
        )
        .route(
            "/einrichtung/totp",
            web::post().to(auth::setup::activate_totp),
        )
        .route(
            "/einrichtung/codes",
            web::post().to(auth::setup::create_codes),
        )
        .route(
            "/einrichtung/bestaetigen",
            web::post().to(auth::setup::acknowledge),
        )
        // After the fixed /einrichtung/… paths, which the token pattern would also match.
        .route("/einrichtung/{token}", web::get().to(auth::setup::confirm))
        .route("/einrichtung/{token}", web::post().to(auth::setup::redeem))
        .route("/anmelden/faktor", web::get().to(auth::second::login_form))
        .route(
            "/anmelden/faktor",
            web::post().to(auth::second::login_submit),
        )
        .route(
            "/webauthn/registrierung/start",
            web::post().to(auth::webauthn::register_start),
        )
        .route(
            "/webauthn/registrierung/ende",
            web::post().to(auth::webauthn::register_finish),
        )
        .route(
            "/webauthn/anmeldung/start",
            web::post().to(auth::webauthn::auth_start),
        )
        .route(
            "/webauthn/anmeldung/ende",
            web::post().to(auth::webauthn::auth_finish),
        )
        .route("/", web::get().to(register::today::page))
        .route("/offen", web::get().to(register::today::open_lessons))
        .route(
            "/unterricht/{slot}/{date}",
            web::get().to(register::lesson::show),
        )
        .route(
            "/unterricht/{slot}/{date}",
            web::post().to(register::lesson::save),
        )
        .route(
            "/unterricht/{slot}/{date}/eintrag",
            web::post().to(register::lesson::add_entry),
        )
        .route(
            "/unterricht/{slot}/{date}/verlauf",
            web::get().to(register::lesson::history),
        )
        .route(
            "/klassen/{class_id}/klassenbuch",
            web::get().to(register::print::page),
        )
        .route(
            "/klassen/{class_id}/klassenbuch.pdf",
            web::get().to(register::print::pdf_file),
        )
        .route("/klassen", web::get().to(register::absences::overview))
        .route(
            "/klassen/{class_id}/fehlzeiten",
            web::get().to(register::absences::page),
        )
        .route(
            "/klassen/{class_id}/fehlzeiten",
            web::post().to(register::absences::record),
        )
        .route(
            "/klassen/{class_id}/attestpflicht",
            web::post().to(register::absences::attest),
        )
        .route(
            "/fehlzeiten/{case_id}/entschuldigung",
            web::post().to(register::absences::decide),
        )
        .route(
            "/klassen/{class_id}/statistik",
            web::get().to(register::stats::page),
        )
        .route(
            "/klassen/{class_id}/statistik.csv",
            web::get().to(register::stats::export),
        )
        .route(
            "/klassen/{class_id}/schueler",
            web::get().to(pupils::class_list),
        )
        .route("/schueler/{pupil_id}", web::get().to(pupils::show))
        .route(
            "/schueler/{pupil_id}/stammdaten",
            web::post().to(pupils::save_master_data),
        )
        .route(
            "/schueler/{pupil_id}/erziehungsberechtigte",
            web::post().to(pupils::change_guardians),
        )
        .route(
            "/schueler/{pupil_id}/foerderung",
            web::post().to(pupils::change_support),
        )
        .route(
            "/schueler/{pupil_id}/verhalten",
            web::post().to(pupils::add_note),
        )
        .route(
            "/schueler/{pupil_id}/foto",
            web::get().to(pupils::serve_photo),
        )
        .route(
            "/schueler/{pupil_id}/foto",
            web::post().to(pupils::upload_photo),
        )
        .route("/notizbuch", web::get().to(pupils::notebook_page))
        .route("/notizbuch", web::post().to(pupils::add_entry))
        .route(
            "/notizbuch/{entry_id}/loeschen",
            web::post().to(pupils::delete_entry),
        )
        .route(
            "/schule/gesundheitscodes",
            web::get().to(pupils::codes_page),
        )
        .route("/schule/gesundheitscodes", web::post().to(pupils::add_code))
        .route("/bestaetigen", web::get().to(accountability::ack::form))
        .route("/bestaetigen", web::post().to(accountability::ack::submit))
        .route(
            "/verwaltung/dienstanweisung",
            web::get().to(accountability::dienstanweisung::page),
        )
        .route(
            "/verwaltung/dienstanweisung/abschnitte",
            web::post().to(accountability::dienstanweisung::save_sections),
        )
        .route(
            "/verwaltung/dienstanweisung/erlassen",
            web::post().to(accountability::dienstanweisung::issue),
        )
        .route(
            "/verwaltung/dienstanweisung/bestaetigungen",
            web::get().to(accountability::dienstanweisung::acknowledgements),
        )
        .route(
            "/verwaltung/dokumentation",
            web::get().to(accountability::pack::page),
        )
        .route(
            "/verwaltung/dokumentation.pdf",
            web::get().to(accountability::pack::pdf_file),
        )
        .route(
            "/verwaltung/schulangaben",
            web::get().to(accountability::details::page),
        )
        .route(
            "/verwaltung/schulangaben",
            web::post().to(accountability::details::save),
        )
        .route("/step-up", web::get().to(auth::second::stepup_form))
        .route("/step-up", web::post().to(auth::second::stepup_submit))
        .route("/konto", web::get().to(auth::account::overview))
        .route(
            "/konto/passwort",
            web::post().to(auth::account::change_password),
        )
        .route(
            "/konto/sitzungen/beenden",
            web::post().to(auth::account::end_session),
        )
        .route(
            "/konto/faktoren",
            web::get().to(auth::account::factors_page),
        )
        .route("/konto/freigabe", web::post().to(auth::account::release))
        .route("/konto/totp/neu", web::post().to(auth::account::totp_new))
        .route(
            "/konto/totp/aktivieren",
            web::post().to(auth::account::totp_activate),
        )
        .route(
            "/konto/faktor/entfernen",
            web::post().to(auth::account::remove_factor),
        )
        .route(
            "/konto/codes",
            web::post().to(auth::account::regenerate_codes),
        )
        .route("/verwaltung/benutzer", web::get().to(auth::admin::list))
        .route(
            "/verwaltung/benutzer/neu",
            web::post().to(auth::admin::create),
        )
        .route(
            "/verwaltung/benutzer/{id}/deaktivieren",
            web::post().to(auth::admin::deactivate),
        )
        .route(
            "/verwaltung/benutzer/{id}/zuruecksetzen",
            web::post().to(auth::admin::reset),
        )
        .route(
            "/verwaltung/vertretungen",
            web::get().to(register::substitutions::page),
        )
        .route(
            "/verwaltung/vertretungen",
            web::post().to(register::substitutions::save),
        )
        .route(
            "/verwaltung/einstellungen",
            web::get().to(auth::admin::settings),
        )
        .route(
            "/verwaltung/einstellungen",
            web::post().to(auth::admin::save_settings),
        )
        .route(
            "/verwaltung/protokoll",
            web::get().to(gdpr::audit_view::page),
        )
        .route(
            "/verwaltung/auskunft",
            web::get().to(gdpr::access_report::index),
        )
        .route(
            "/verwaltung/auskunft/{pupil_id}",
            web::get().to(gdpr::access_report::show),
        )
        .route(
            "/verwaltung/auskunft/{pupil_id}/export.zip",
            web::get().to(gdpr::access_report::export_zip),
        )
        .route(
            "/verwaltung/loeschung",
            web::get().to(gdpr::retention::page),
        )
        .route(
            "/verwaltung/loeschung",
            web::post().to(gdpr::retention::run),
        )
        .route(
            "/verwaltung/loeschung/fristen",
            web::post().to(gdpr::retention::save_periods),
        )
        .route("/verwaltung/datenpanne", web::get().to(gdpr::breach::page))
        .route(
            "/verwaltung/sozialarbeit",
            web::get().to(socialwork::assign::page),
        )
        .route(
            "/verwaltung/sozialarbeit",
            web::post().to(socialwork::assign::create),
        )
        .route(
            "/verwaltung/sozialarbeit/beenden",
            web::post().to(socialwork::assign::end),
        )
        .route("/sozialarbeit", web::get().to(socialwork::list))
        .route("/sozialarbeit/{pupil_id}", web::get().to(socialwork::pupil))
        .route("/schule", web::get().to(school::overview))
        .route("/schule/schuljahre", web::get().to(school::calendar::page))
        .route(
            "/schule/schuljahre",
            web::post().to(school::calendar::create_year),
        )
        .route(
            "/schule/schuljahre/abschnitte",
            web::post().to(school::calendar::create_term),
        )
        .route(
            "/schule/schuljahre/abschliessen",
            web::post().to(school::calendar::close_year),
        )
        .route(
            "/schule/ferien",
            web::post().to(school::calendar::create_holiday),
        )
        .route("/schule/zeitraster", web::get().to(school::grids::page))
        .route("/schule/zeitraster", web::post().to(school::grids::create))
        .route("/schule/klassen", web::get().to(school::classes::page))
        .route("/schule/klassen", web::post().to(school::classes::create))
        .route(
            "/schule/klassenleitungen",
            web::post().to(school::classes::assign),
        )
        .route(
            "/schule/klassenleitungen/beenden",
            web::post().to(school::classes::end),
        )
        .route("/schule/faecher", web::get().to(school::catalog::subjects))
        .route(
            "/schule/faecher",
            web::post().to(school::catalog::create_subject_form),
        )
        .route("/schule/raeume", web::get().to(school::catalog::rooms))
        .route(
            "/schule/raeume",
            web::post().to(school::catalog::create_room),
        )
        .route("/schule/kurse", web::get().to(school::groups::list))
        .route("/schule/kurse", web::post().to(school::groups::create))
        .route(
            "/schule/kurse/mitglieder",
            web::post().to(school::groups::add_member),
        )
        .route(
            "/schule/kurse/mitglieder/beenden",
            web::post().to(school::groups::end_member),
        )
        .route("/schule/schueler", web::get().to(school::pupils::list))
        .route("/schule/schueler", web::post().to(school::pupils::create))
        .route(
            "/schule/schueler/austritt",
            web::post().to(school::pupils::leave),
        )
        .route(
            "/schule/schueler/klassenwechsel",
            web::post().to(school::pupils::change_class),
        )
        .route(
            "/schule/stundenplan",
            web::get().to(school::timetable::page),
        )
        .route(
            "/schule/stundenplan",
            web::post().to(school::timetable::create),
        )
        .route(
            "/schule/stundenplan/beenden",
            web::post().to(school::timetable::end),
        )
        .route(
            "/verwaltung/import",
            web::get().to(crate::import::web::page),
        )
        .route(
            "/verwaltung/import",
            web::post().to(crate::import::web::upload),
        )
        .route(
            "/verwaltung/import/anwenden",
            web::post().to(crate::import::web::apply_upload),
        )
        .route(
            "/verwaltung/import/zuordnung",
            web::get().to(crate::import::web::mapping_page),
        )
        .route(
            "/verwaltung/import/zuordnung",
            web::post().to(crate::import::web::save_mapping),
        )
        .route(
            "/verwaltung/export",
            web::get().to(crate::import::export::export),
        )
        .route("/static/{file}", web::get().to(pages::static_file))
        .default_service(web::to(pages::not_found));
}
