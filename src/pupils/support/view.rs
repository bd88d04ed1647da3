//! The support section of the pupil page: codes and measures for readers, the forms for
//! those who may change them.

use super::{CodeView, GROUP, KINDS, MeasureView, SupportView, kind_label};
use crate::pupils::page::Ctx;
use crate::pupils::scope::PupilAccess;
use crate::pupils::{date_de, pupil_path};
use crate::web::page::csrf_field;
use chrono::NaiveDate;
use maud::{Markup, html};

fn validity(m: &MeasureView, today: NaiveDate) -> Markup {
    let over = m.valid_to.is_some_and(|t| t < today);
    html! {
        "ab " (date_de(m.valid_from))
        @if let Some(to) = m.valid_to { " bis " (date_de(to)) }
        @if over { " " span.flag { "abgelaufen" } }
    }
}

fn code_form(ctx: &Ctx<'_>, access: &PupilAccess, v: &SupportView) -> Markup {
    let s = ctx.sub;
    let chosen = s.or("fc-code", "");
    let free: Vec<&CodeView> = v
        .school_codes
        .iter()
        .filter(|c| !v.codes.iter().any(|a| a.id == c.id))
        .collect();
    html! {
        @if free.is_empty() && v.school_codes.is_empty() {
            p.detail { "Die Schule hat noch keine Gesundheitscodes festgelegt." }
        } @else if !free.is_empty() {
            form.stack method="post" action={ (pupil_path(access.pupil.id)) "/foerderung" } {
                (csrf_field(ctx.csrf))
                input type="hidden" name="aktion" value="code_zuordnen";
                label for="fc-code" { "Gesundheitscode zuordnen" }
                select #fc-code name="code" aria-invalid=[s.aria_invalid("fc-code")] aria-describedby=[s.described("fc-code")] {
                    option value="" { "– bitte wählen –" }
                    @for c in free { option value=(c.id) selected[chosen == c.id.to_string()] { (c.code) " – " (c.meaning) } }
                }
                (s.messages("fc-code"))
                button type="submit" { "Zuordnen" }
            }
        }
    }
}

fn measure_form(ctx: &Ctx<'_>, access: &PupilAccess) -> Markup {
    let s = ctx.sub;
    let kind = s.or("fm-art", "");
    html! {
        details open[s.value("fm-beschreibung").is_some()] {
            summary { "Maßnahme hinzufügen" }
            form.stack method="post" action={ (pupil_path(access.pupil.id)) "/foerderung" } {
                (csrf_field(ctx.csrf))
                input type="hidden" name="aktion" value="massnahme_anlegen";
                label for="fm-art" { "Art" }
                select #fm-art name="art" aria-invalid=[s.aria_invalid("fm-art")] aria-describedby=[s.described("fm-art")] {
                    @for (k, label) in KINDS { option value=(k) selected[kind == k] { (label) } }
                }
                (s.messages("fm-art"))
                label for="fm-beschreibung" { "Beschreibung (z. B. 25 % Zeitzuschlag bei Klassenarbeiten)" }
                textarea #fm-beschreibung name="beschreibung" rows="2" maxlength="1000"
                    aria-invalid=[s.aria_invalid("fm-beschreibung")] aria-describedby=[s.described("fm-beschreibung")] { (s.or("fm-beschreibung", "")) }
                (s.messages("fm-beschreibung"))
                label for="fm-ab" { "Gültig ab" }
                input #fm-ab name="gueltig_ab" type="date" value=(s.or("fm-ab", &access.today.to_string()))
                    aria-invalid=[s.aria_invalid("fm-ab")] aria-describedby=[s.described("fm-ab")];
                (s.messages("fm-ab"))
                label for="fm-bis" { "Gültig bis (optional)" }
                input #fm-bis name="gueltig_bis" type="date" value=(s.or("fm-bis", ""))
                    aria-invalid=[s.aria_invalid("fm-bis")] aria-describedby=[s.described("fm-bis")];
                (s.messages("fm-bis"))
                button type="submit" { "Maßnahme speichern" }
            }
        }
    }
}

fn remove_button(
    ctx: &Ctx<'_>,
    access: &PupilAccess,
    aktion: &str,
    field: &str,
    id: i64,
) -> Markup {
    html! {
        form.inline method="post" action={ (pupil_path(access.pupil.id)) "/foerderung" } {
            (csrf_field(ctx.csrf))
            input type="hidden" name="aktion" value=(aktion);
            input type="hidden" name=(field) value=(id);
            button.danger type="submit" { "Entfernen" }
        }
    }
}

pub fn section(ctx: &Ctx<'_>, access: &PupilAccess, v: &SupportView) -> Markup {
    let write = access.may_write(GROUP);
    html! {
        section id=(GROUP.key()) {
            h2 { "Förderung und Nachteilsausgleich" }
            (ctx.sub.messages("foerderung"))
            @if access.read(GROUP).is_some() {
                h3 { "Gesundheitliche Beeinträchtigungen (codiert)" }
                @if v.codes.is_empty() { p { "Keine." } } @else {
                    ul.codes {
                        @for c in &v.codes {
                            li data-code=(c.id) {
                                strong { (c.code) } " – " (c.meaning)
                                @if write { " " (remove_button(ctx, access, "code_entfernen", "code", c.id)) }
                            }
                        }
                    }
                }
                h3 { "Maßnahmen" }
                @if v.measures.is_empty() { p { "Keine." } } @else {
                    table.measures {
                        thead { tr {
                            th scope="col" { "Art" } th scope="col" { "Beschreibung" } th scope="col" { "Gültigkeit" }
                            @if write { th scope="col" { span.sr { "Aktion" } } }
                        } }
                        tbody {
                            @for m in &v.measures {
                                tr data-measure=(m.id) {
                                    th scope="row" { (kind_label(&m.kind)) }
                                    td { (m.detail) }
                                    td { (validity(m, access.today)) }
                                    @if write { td { (remove_button(ctx, access, "massnahme_entfernen", "massnahme", m.id)) } }
                                }
                            }
                        }
                    }
                }
            }
            @if write {
                (code_form(ctx, access, v))
                (measure_form(ctx, access))
            }
        }
    }
}
