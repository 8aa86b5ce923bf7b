//! The month-end messages: the pack (HTML and text bodies with the key
//! figures, the chosen formats attached, a link to the pack's page), the
//! "held, because ..." notice to the group's admins, and the restatement
//! notice to the schedule's owner. Built here, delivered by `crate::mail`.

use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};

use super::outputs::KpiFigures;
use super::pack::{Pack, SectionContent};
use crate::domain::Month;
use crate::web::format::accounting;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("'{0}' is not an e-mail address")]
    Address(String),
    #[error("the message has no recipient")]
    NoRecipient,
    #[error("cannot build the message: {0}")]
    Build(String),
    #[error("cannot build the {0} attachment: {1}")]
    Attachment(&'static str, String),
}

/// "October 2026".
pub fn month_name(m: Month) -> String {
    m.first_day().format("%B %Y").to_string()
}

/// The pack's page in the app.
pub fn pack_link(public_url: &str, group_id: i64, month: Month) -> String {
    format!("{public_url}/groups/{group_id}/month-end/{month}")
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn headers(
    from: &Mailbox,
    to: &[String],
    subject: &str,
) -> Result<lettre::message::MessageBuilder, MailError> {
    if to.is_empty() {
        return Err(MailError::NoRecipient);
    }
    let mut b = Message::builder().from(from.clone()).subject(subject);
    for t in to {
        let mb: Mailbox = t.parse().map_err(|_| MailError::Address(t.clone()))?;
        b = b.to(mb);
    }
    Ok(b)
}

fn bodies(text: String, html: String) -> MultiPart {
    MultiPart::alternative()
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(text),
        )
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_HTML)
                .body(html),
        )
}

/// Reads one figure of a column's KPIs.
type Figure = fn(&KpiFigures) -> Option<rust_decimal::Decimal>;

const KEY_FIGURES: [(&str, Figure); 5] = [
    ("Revenue", |k| Some(k.revenue)),
    ("Gross profit", |k| Some(k.gross_profit)),
    ("Gross margin %", |k| k.gross_margin_percent),
    ("Operating expenses", |k| Some(k.operating_expenses)),
    ("Net profit", |k| Some(k.net_profit)),
];

/// The consolidated key figures, as (label, month, year to date).
pub fn key_figures(pack: &Pack) -> Vec<(&'static str, String, String)> {
    let Some(group) = pack.sections.iter().find_map(|s| match &s.content {
        SectionContent::Kpis(k) => k.columns.iter().find(|c| c.consolidated),
        _ => None,
    }) else {
        return Vec::new();
    };
    let show = |v: Option<rust_decimal::Decimal>, pct: bool| match v {
        Some(v) if pct => format!("{}%", v.round_dp(1)),
        Some(v) => accounting(v, 2),
        None => "—".to_string(),
    };
    KEY_FIGURES
        .iter()
        .map(|(label, f)| {
            let pct = label.ends_with('%');
            (
                *label,
                show(f(&group.month), pct),
                show(f(&group.year_to_date), pct),
            )
        })
        .collect()
}

/// Attachments of a pack, by format.
pub struct PackFiles {
    pub xlsx: Option<Vec<u8>>,
    pub json: Option<Vec<u8>>,
    pub pdf: Option<Vec<u8>>,
}

/// Renders the formats a schedule asks for.
pub fn pack_files(pack: &Pack, formats: &[String]) -> Result<PackFiles, MailError> {
    let wants = |f: &str| formats.iter().any(|x| x == f);
    let xlsx = if wants("xlsx") {
        Some(
            super::pack_xlsx::pack_xlsx(pack)
                .map_err(|e| MailError::Attachment("Excel", e.to_string()))?,
        )
    } else {
        None
    };
    let json = if wants("json") {
        // The same bytes as the API's `?format=json`.
        Some(serde_json::to_vec(pack).map_err(|e| MailError::Attachment("JSON", e.to_string()))?)
    } else {
        None
    };
    let pdf = if wants("pdf") {
        Some(
            super::pack_pdf::render_pdf(pack)
                .map_err(|e| MailError::Attachment("PDF", e.to_string()))?,
        )
    } else {
        None
    };
    Ok(PackFiles { xlsx, json, pdf })
}

/// The pack's message.
pub fn pack_message(
    from: &Mailbox,
    to: &[String],
    pack: &Pack,
    files: &PackFiles,
    link: &str,
) -> Result<Message, MailError> {
    let month = month_name(pack.month);
    let subject = format!(
        "{}: month-end pack for {month} (version {})",
        pack.group.name, pack.version
    );
    let currency = pack.group.presentation_currency;
    let figures = key_figures(pack);
    let mut text = format!(
        "{} — month-end pack for {month}, version {}.\n\nKey figures ({currency}):\n",
        pack.group.name, pack.version
    );
    for (label, m, ytd) in &figures {
        text.push_str(&format!("  {label:<20} {m:>16}   year to date {ytd:>16}\n"));
    }
    text.push_str(&format!("\nOpen the pack: {link}\n"));
    let mut attached = Vec::new();
    if files.xlsx.is_some() {
        attached.push("Excel");
    }
    if files.json.is_some() {
        attached.push("JSON");
    }
    if files.pdf.is_some() {
        attached.push("PDF");
    }
    text.push_str(&format!("Attached: {}.\n", attached.join(", ")));
    text.push_str(&format!("Snapshot sha256 {}\n", pack.snapshot_hash));

    let mut rows = String::new();
    for (label, m, ytd) in &figures {
        rows.push_str(&format!(
            "<tr><th style=\"text-align:left;padding:2px 12px 2px 0\">{}</th>\
             <td style=\"text-align:right;padding:2px 12px\">{}</td>\
             <td style=\"text-align:right;padding:2px 12px\">{}</td></tr>",
            escape(label),
            escape(m),
            escape(ytd)
        ));
    }
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\">\
         <h1 style=\"font-size:18px\">{group} — month-end pack for {month}</h1>\
         <p>Version {version}.</p>\
         <table><thead><tr><th></th><th style=\"text-align:right;padding:2px 12px\">{month} ({currency})</th>\
         <th style=\"text-align:right;padding:2px 12px\">Year to date</th></tr></thead><tbody>{rows}</tbody></table>\
         <p><a href=\"{link}\">Open the pack</a></p>\
         <p>Attached: {attached}.</p>\
         <p style=\"color:#666;font-size:12px\">Snapshot sha256 {hash}</p></body></html>",
        group = escape(&pack.group.name),
        month = escape(&month),
        version = pack.version,
        link = escape(link),
        attached = attached.join(", "),
        hash = escape(&pack.snapshot_hash),
    );
    let mut mixed = MultiPart::mixed().multipart(bodies(text, html));
    let name = |ext: &str| {
        format!(
            "pack-{}-{}-v{}.{ext}",
            pack.group.id, pack.month, pack.version
        )
    };
    if let Some(x) = &files.xlsx {
        mixed = mixed.singlepart(
            Attachment::new(name("xlsx")).body(
                x.clone(),
                ContentType::parse(crate::export::XLSX_CONTENT_TYPE)
                    .map_err(|e| MailError::Build(e.to_string()))?,
            ),
        );
    }
    if let Some(j) = &files.json {
        mixed = mixed.singlepart(Attachment::new(name("json")).body(
            j.clone(),
            ContentType::parse("application/json").map_err(|e| MailError::Build(e.to_string()))?,
        ));
    }
    if let Some(p) = &files.pdf {
        mixed = mixed.singlepart(Attachment::new(name("pdf")).body(
            p.clone(),
            ContentType::parse("application/pdf").map_err(|e| MailError::Build(e.to_string()))?,
        ));
    }
    headers(from, to, &subject)?
        .multipart(mixed)
        .map_err(|e| MailError::Build(e.to_string()))
}

/// Plain message with a text and HTML body made from paragraphs and a
/// list (the held and restatement notices).
fn notice(
    from: &Mailbox,
    to: &[String],
    subject: &str,
    intro: &str,
    items: &[String],
    link: &str,
    link_text: &str,
) -> Result<Message, MailError> {
    let mut text = format!("{intro}\n\n");
    for i in items {
        text.push_str(&format!("  - {i}\n"));
    }
    text.push_str(&format!("\n{link_text}: {link}\n"));
    let list: String = items
        .iter()
        .map(|i| format!("<li>{}</li>", escape(i)))
        .collect();
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><p>{}</p><ul>{list}</ul>\
         <p><a href=\"{}\">{}</a></p></body></html>",
        escape(intro),
        escape(link),
        escape(link_text)
    );
    headers(from, to, subject)?
        .multipart(bodies(text, html))
        .map_err(|e| MailError::Build(e.to_string()))
}

/// "Held, because ...": to the group's admins.
pub fn held_message(
    from: &Mailbox,
    to: &[String],
    group: &str,
    month: Month,
    reasons: &[String],
    link: &str,
) -> Result<Message, MailError> {
    let m = month_name(month);
    notice(
        from,
        to,
        &format!("{group}: the {m} pack is held"),
        &format!("The {m} pack of {group} was due but is held, because:"),
        reasons,
        link,
        "See the month-end overview",
    )
}

/// "Restated since sent": to the schedule's owner, once per month.
pub fn restated_message(
    from: &Mailbox,
    to: &[String],
    group: &str,
    month: Month,
    changes: &[String],
    link: &str,
) -> Result<Message, MailError> {
    let m = month_name(month);
    notice(
        from,
        to,
        &format!("{group}: {m} restated since its pack was sent"),
        &format!(
            "A sync changed figures of {m} after its pack was sent. The snapshot that was sent stays as it was; today's figures differ:"
        ),
        changes,
        link,
        "See the differences",
    )
}
