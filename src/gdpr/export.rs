//! The machine-readable export of an access report (Art. 20): a ZIP with `auskunft.json`
//! (everything), one CSV file per kind of data (UTF-8, `;`-separated, cells that a
//! spreadsheet would run as a formula neutralised) and the photo as stored.

use super::access_report::Report;
use std::io::Write;
use zip::write::SimpleFileOptions;

fn csv_file(header: &[&str], rows: Vec<Vec<String>>) -> anyhow::Result<Vec<u8>> {
    Ok(crate::spreadsheet::csv(header, rows, false)?)
}

fn s<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// The files of the export: name and content.
fn files(r: &Report) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let p = &r.profile;
    let mut out = vec![("auskunft.json".to_owned(), serde_json::to_vec_pretty(r)?)];
    out.push((
        "stammdaten.csv".into(),
        csv_file(
            &[
                "nachname",
                "vorname",
                "klasse",
                "aufgenommen",
                "abgang",
                "geburtsdatum",
                "geschlecht",
                "anschrift",
                "email",
                "telefon",
                "ausbildungsbetrieb",
            ],
            vec![vec![
                r.pupil.surname.clone(),
                r.pupil.first_name.clone(),
                r.pupil.class.clone(),
                r.pupil.enrolled_from.to_string(),
                s(&r.pupil.enrolled_to),
                s(&p.birth_date),
                s(&p.sex),
                s(&p.address),
                s(&p.email),
                s(&p.phone),
                s(&p.training_company),
            ]],
        )?,
    ));
    out.push((
        "kurse.csv".into(),
        csv_file(
            &["kurs", "von", "bis"],
            r.courses
                .iter()
                .map(|c| vec![c.course.clone(), c.from.to_string(), s(&c.to)])
                .collect(),
        )?,
    ));
    out.push((
        "erziehungsberechtigte.csv".into(),
        csv_file(
            &["name", "verhaeltnis", "sorgerecht", "kontakt"],
            r.guardians
                .iter()
                .map(|g| {
                    vec![
                        g.name.clone(),
                        g.relation.clone(),
                        g.custody.clone(),
                        g.contact.clone(),
                    ]
                })
                .collect(),
        )?,
    ));
    out.push((
        "gesundheitscodes.csv".into(),
        csv_file(
            &["code", "bedeutung"],
            r.health_codes
                .iter()
                .map(|c| vec![c.code.clone(), c.meaning.clone()])
                .collect(),
        )?,
    ));
    out.push((
        "foerdermassnahmen.csv".into(),
        csv_file(
            &["art", "angaben", "von", "bis"],
            r.support_measures
                .iter()
                .map(|m| {
                    vec![
                        m.kind.clone(),
                        m.detail.clone(),
                        m.from.to_string(),
                        s(&m.to),
                    ]
                })
                .collect(),
        )?,
    ));
    out.push((
        "verhaltensnotizen.csv".into(),
        csv_file(
            &["datum", "verfasst_von", "notiz"],
            r.conduct_notes
                .iter()
                .map(|n| vec![n.date.to_string(), n.author.clone(), n.text.clone()])
                .collect(),
        )?,
    ));
    out.push((
        "klassenbucheintraege.csv".into(),
        csv_file(
            &["datum", "art", "verfasst_von", "text"],
            r.register_entries
                .iter()
                .map(|e| {
                    vec![
                        e.date.to_string(),
                        e.kind.clone(),
                        e.author.clone(),
                        e.text.clone(),
                    ]
                })
                .collect(),
        )?,
    ));
    out.push((
        "fehlzeiten.csv".into(),
        csv_file(
            &[
                "von",
                "bis",
                "von_stunde",
                "bis_stunde",
                "grund",
                "notiz",
                "entschuldigung",
                "eingegangen_am",
            ],
            r.absence_cases
                .iter()
                .map(|c| {
                    vec![
                        c.from.to_string(),
                        c.to.to_string(),
                        s(&c.from_period),
                        s(&c.to_period),
                        c.reason.clone(),
                        s(&c.note),
                        c.excuse.clone(),
                        s(&c.excuse_received_on),
                    ]
                })
                .collect(),
        )?,
    ));
    out.push((
        "attestpflicht.csv".into(),
        csv_file(
            &["von", "bis"],
            r.attests
                .iter()
                .map(|a| vec![a.from.to_string(), a.to.to_string()])
                .collect(),
        )?,
    ));
    out.push((
        "anwesenheit.csv".into(),
        csv_file(
            &[
                "datum",
                "stunde",
                "fach",
                "klasse",
                "lehrkraft",
                "thema",
                "vermerk",
                "minuten",
            ],
            r.attendance
                .iter()
                .map(|m| {
                    vec![
                        m.date.to_string(),
                        m.period.to_string(),
                        m.subject.clone(),
                        m.class.clone(),
                        m.teacher.clone(),
                        m.topic.clone(),
                        m.status.clone(),
                        m.minutes.to_string(),
                    ]
                })
                .collect(),
        )?,
    ));
    out.push((
        "notizbuch.csv".into(),
        csv_file(
            &["datum", "art", "fach", "lehrkraft"],
            r.notebook_entries
                .iter()
                .map(|n| {
                    vec![
                        n.date.to_string(),
                        n.kind.clone(),
                        s(&n.subject),
                        n.teacher.clone(),
                    ]
                })
                .collect(),
        )?,
    ));
    out.push((
        "zugriffe.csv".into(),
        csv_file(
            &[
                "zeit_utc",
                "benutzer",
                "vorgang",
                "datengruppe",
                "objekt",
                "ergebnis",
            ],
            r.accesses
                .iter()
                .map(|a| {
                    vec![
                        a.at.format("%Y-%m-%dT%H:%M:%S").to_string(),
                        a.user.clone(),
                        a.action.clone(),
                        a.data_group.clone(),
                        a.object.clone(),
                        a.result.clone(),
                    ]
                })
                .collect(),
        )?,
    ));
    if let Some(photo) = &r.photo {
        let ext = if photo.starts_with(b"\x89PNG") {
            "png"
        } else {
            "jpg"
        };
        out.push((format!("foto.{ext}"), photo.clone()));
    }
    Ok(out)
}

/// The ZIP archive of the report.
pub fn zip(r: &Report) -> anyhow::Result<Vec<u8>> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in files(r)? {
        w.start_file(name, options)?;
        w.write_all(&bytes)?;
    }
    Ok(w.finish()?.into_inner())
}
