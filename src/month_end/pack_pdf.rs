//! The pack as a PDF: A4, typeset in-process by typst from the pack model,
//! with the fonts embedded in the binary (see `typst_world.rs`). Tables
//! repeat their header row on every page, every page is numbered "Page n
//! of N", and amounts use the accountant's format of the pack page and the
//! workbook (thousands separators, negatives in parentheses, zero as `-`).
//!
//! The typst source is generated here. Every piece of text that is not a
//! literal of this file (names, commentary, warnings, even figures) enters
//! it as a typst *string literal* built by [`lit`], never as markup, so a
//! `#`, `*`, `$`, `[` or `\` in a group name or a comment is printed, not
//! run.

use std::fmt::Write as _;

use rust_decimal::Decimal;
use typst::diag::SourceDiagnostic;
use typst_layout::PagedDocument;

use super::outputs::{KpiColumn, KpiFigures, Kpis, TrendPoint};
use super::pack::{
    Cover, IntercompanySummary, Pack, PackSection, SectionContent, Statement, Warnings,
};
use super::typst_world::PackWorld;
use crate::domain::Month;
use crate::web::format::accounting;

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The generated source did not typeset. A bug of this module, never
    /// of the user's text (that is escaped), so the message is for logs.
    #[error("the pack could not be typeset: {0}")]
    Typeset(String),
    #[error("the pack could not be written as PDF: {0}")]
    Export(String),
}

fn messages(diags: &[SourceDiagnostic]) -> String {
    diags
        .iter()
        .map(|d| d.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The PDF's bytes.
pub fn render_pdf(pack: &Pack) -> Result<Vec<u8>, PdfError> {
    let world = PackWorld::new(typst_source(pack));
    let document: PagedDocument = typst::compile(&world)
        .output
        .map_err(|e| PdfError::Typeset(messages(&e)))?;
    typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default())
        .map_err(|e| PdfError::Export(messages(&e)))
}

/// `s` as a typst string literal: only `\`, `"` and control characters
/// need escaping there, and a string is shown as plain text wherever
/// content is expected.
pub fn lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn month_name(m: Month) -> String {
    let name = MONTH_NAMES
        .get(m.month() as usize - 1)
        .copied()
        .unwrap_or_default();
    format!("{name} {}", m.year())
}

/// A table: `widths` in typst lengths, `header` cells (repeated on every
/// page), rows of typst expressions. Columns from `first_amount` on are
/// right-aligned.
struct Table<'a> {
    widths: &'a [&'a str],
    header: Vec<String>,
    first_amount: usize,
    rows: Vec<Vec<String>>,
}

impl Table<'_> {
    fn write(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "#table(columns: ({}), align: (x, y) => if x >= {} {{ right + bottom }} else {{ left + bottom }},",
            self.widths.join(", "),
            self.first_amount
        );
        out.push_str("  table.header(");
        for h in &self.header {
            let _ = write!(out, "strong({h}), ");
        }
        out.push_str("),\n");
        for r in &self.rows {
            out.push_str("  ");
            for c in r {
                out.push_str(c);
                out.push_str(", ");
            }
            out.push('\n');
        }
        out.push_str(")\n");
    }
}

fn amount(v: Decimal, places: u32) -> String {
    lit(&accounting(v, places))
}

fn bold(expr: String) -> String {
    format!("strong({expr})")
}

fn commentary(out: &mut String, section: &PackSection) {
    if let Some(c) = &section.commentary {
        let _ = writeln!(
            out,
            "#block(width: 100%, inset: 8pt, fill: luma(240), radius: 2pt)[#emph[Commentary] #linebreak() #{}]",
            lit(c)
        );
    }
}

fn cover(out: &mut String, pack: &Pack, c: &Cover) {
    let _ = writeln!(
        out,
        "#v(3cm)\n#text(size: 11pt, \"Month-end pack\")\n#v(2pt)\n#text(size: 24pt, weight: \"bold\", {})\n#v(2pt)\n#text(size: 16pt, {})\n#v(1cm)",
        lit(&c.group_name),
        lit(&month_name(c.month))
    );
    let mut rows = vec![
        ("Group", lit(&c.group_name)),
        ("Month", lit(&c.month.to_string())),
        ("Version", lit(&c.version.to_string())),
        ("Status", lit(pack.status)),
        (
            "Closed by",
            lit(c.closed_by.as_deref().unwrap_or("(not recorded)")),
        ),
        (
            "Closed at",
            lit(&c.closed_at.format("%Y-%m-%d %H:%M UTC").to_string()),
        ),
        ("Currency", lit(&c.presentation_currency.to_string())),
    ];
    if let (Some(at), Some(reason)) = (&c.reopened_at, &c.reopen_reason) {
        rows.push((
            "Reopened",
            lit(&format!("{}: {reason}", at.format("%Y-%m-%d %H:%M UTC"))),
        ));
    }
    rows.push((
        "Snapshot SHA-256",
        format!(
            "text(font: \"DejaVu Sans Mono\", size: 7pt, {})",
            lit(&c.snapshot_hash)
        ),
    ));
    let _ = writeln!(out, "#grid(columns: (4cm, 1fr), row-gutter: 6pt,");
    for (label, value) in rows {
        let _ = writeln!(out, "  strong({}), {value},", lit(label));
    }
    out.push_str(")\n");
}

fn kpi_table(out: &mut String, columns: &[KpiColumn], ytd: bool, places: u32) {
    let pick = |c: &KpiColumn| -> KpiFigures {
        if ytd {
            c.year_to_date.clone()
        } else {
            c.month.clone()
        }
    };
    Table {
        widths: &["1fr", "2.4cm", "2.4cm", "1.6cm", "2.4cm", "2.4cm"],
        header: [
            if ytd { "Year to date" } else { "Month" },
            "Revenue",
            "Gross profit",
            "Gross margin %",
            "Operating expenses",
            "Net profit",
        ]
        .iter()
        .map(|h| lit(h))
        .collect(),
        first_amount: 1,
        rows: columns
            .iter()
            .map(|c| {
                let k = pick(c);
                let cells = vec![
                    lit(&c.name),
                    amount(k.revenue, places),
                    amount(k.gross_profit, places),
                    k.gross_margin_percent
                        .map_or_else(|| lit("-"), |p| amount(p, 1)),
                    amount(k.operating_expenses, places),
                    amount(k.net_profit, places),
                ];
                if c.consolidated {
                    cells.into_iter().map(bold).collect()
                } else {
                    cells
                }
            })
            .collect(),
    }
    .write(out);
}

/// Bar widths as percentages of the largest magnitude, in decimals (no
/// float touches an amount), to one place.
fn bar_percent(v: Decimal, max: Decimal) -> String {
    if max.is_zero() {
        return "0%".into();
    }
    let p = (v.abs() * Decimal::ONE_HUNDRED / max).round_dp(1);
    format!("{p}%")
}

/// The year to date, month by month, as horizontal bars: revenue, and net
/// profit (red when a loss).
fn trend_chart(out: &mut String, trend: &[TrendPoint], places: u32) {
    if trend.is_empty() {
        return;
    }
    let max = trend
        .iter()
        .flat_map(|t| [t.revenue.abs(), t.net_profit.abs()])
        .max()
        .unwrap_or_default();
    let bar = |v: Decimal, colour: &str| {
        let colour = if v.is_sign_negative() && !v.is_zero() {
            "rgb(\"#b03a2e\")"
        } else {
            colour
        };
        format!(
            "box(width: 100%, box(width: {}, height: 7pt, fill: {colour}))",
            bar_percent(v, max)
        )
    };
    out.push_str("#heading(level: 2, \"Year to date by month\")\n");
    Table {
        widths: &["1.6cm", "1fr", "2.4cm", "1fr", "2.4cm"],
        header: ["Month", "Revenue", "", "Net profit", ""]
            .iter()
            .map(|h| lit(h))
            .collect(),
        first_amount: 2,
        rows: trend
            .iter()
            .map(|t| {
                vec![
                    lit(&t.month.to_string()),
                    bar(t.revenue, "rgb(\"#2e6da4\")"),
                    amount(t.revenue, places),
                    bar(t.net_profit, "rgb(\"#3c8d5a\")"),
                    amount(t.net_profit, places),
                ]
            })
            .collect(),
    }
    .write(out);
}

fn kpis(out: &mut String, k: &Kpis, places: u32) {
    kpi_table(out, &k.columns, false, places);
    out.push_str("#v(8pt)\n");
    kpi_table(out, &k.columns, true, places);
    out.push_str("#v(8pt)\n");
    trend_chart(out, &k.trend, places);
}

fn statement(out: &mut String, s: &Statement, places: u32) {
    let mut widths = vec!["1.1cm", "1fr"];
    widths.extend(s.columns.iter().map(|_| "2.25cm"));
    let mut header = vec![lit("Code"), lit("Account")];
    header.extend(s.columns.iter().map(|c| lit(&c.title)));
    let rows = s
        .lines
        .iter()
        .map(|l| {
            let total = l.kind != "account";
            let mut cells = vec![
                lit(l.account_code.as_deref().unwrap_or("")),
                lit(&l.account_name),
            ];
            cells.extend(s.columns.iter().map(|c| {
                l.values
                    .get(c.key)
                    .copied()
                    .flatten()
                    .map_or_else(|| lit(""), |v| amount(v, places))
            }));
            if total {
                cells.into_iter().map(bold).collect()
            } else {
                cells
            }
        })
        .collect();
    let _ = writeln!(
        out,
        "#text(size: 8pt, {})",
        lit(&format!("Amounts in {}", s.currency))
    );
    out.push_str("#[\n#set text(size: 7.5pt)\n");
    Table {
        widths: &widths,
        header,
        first_amount: 2,
        rows,
    }
    .write(out);
    out.push_str("]\n");
}

fn intercompany(out: &mut String, i: &IntercompanySummary, places: u32) {
    let _ = writeln!(
        out,
        "#par({})",
        lit(&format!(
            "{} pair(s) of entities; {} document(s) not matched.",
            i.rows.len(),
            i.exceptions
        ))
    );
    out.push_str("#[\n#set text(size: 8pt)\n");
    Table {
        widths: &[
            "1fr", "1fr", "1.3cm", "1.3cm", "1.5cm", "2.2cm", "2.2cm", "2.2cm", "1.4cm",
        ],
        header: [
            "Seller",
            "Buyer",
            "Matched",
            "Amount differs",
            "Counterpart missing",
            "Seller amount",
            "Buyer amount",
            "Net effect on profit",
            "Complete",
        ]
        .iter()
        .map(|h| lit(h))
        .collect(),
        first_amount: 2,
        rows: i
            .rows
            .iter()
            .map(|r| {
                vec![
                    lit(&r.seller),
                    lit(&r.buyer),
                    lit(&r.matched.to_string()),
                    lit(&r.amount_differs.to_string()),
                    lit(&r.counterpart_missing.to_string()),
                    amount(r.seller_amount, places),
                    amount(r.buyer_amount, places),
                    amount(r.net_effect, places),
                    lit(if r.complete { "yes" } else { "no" }),
                ]
            })
            .collect(),
    }
    .write(out);
    out.push_str("]\n");
}

fn warnings(out: &mut String, w: &Warnings) {
    if w.rows.is_empty() {
        out.push_str("#par(\"No warnings.\")\n");
        return;
    }
    Table {
        widths: &["1.6cm", "3.4cm", "1fr"],
        header: ["Severity", "Kind", "Warning"]
            .iter()
            .map(|h| lit(h))
            .collect(),
        first_amount: 3,
        rows: w
            .rows
            .iter()
            .map(|r| vec![lit(&r.severity), lit(&r.kind), lit(&r.message)])
            .collect(),
    }
    .write(out);
}

/// The pack's typst source.
pub fn typst_source(pack: &Pack) -> String {
    let places = pack.group.presentation_currency.minor_units();
    let footer = lit(&format!(
        "{} · {} · version {}",
        pack.group.name, pack.month, pack.version
    ));
    let mut out = String::with_capacity(64 * 1024);
    let _ = writeln!(
        out,
        "#set document(title: {}, date: none)",
        lit(&format!(
            "{}: month-end pack {}",
            pack.group.name, pack.month
        ))
    );
    // The footer counts pages at layout time, so "of N" is right however
    // many pages a long statement takes.
    let _ = writeln!(
        out,
        "#set page(paper: \"a4\", margin: (x: 1.5cm, top: 1.6cm, bottom: 2cm), \
         footer: context {{ set text(size: 8pt); {footer}; h(1fr); \
         [Page #counter(page).display() of #counter(page).final().first()] }})"
    );
    out.push_str(
        "#set text(font: \"Libertinus Serif\", size: 9.5pt, lang: \"en\", number-width: \"tabular\")\n\
         #set par(justify: false)\n\
         #set table(stroke: (x, y) => if y == 0 { (bottom: 0.6pt) } else { (bottom: 0.2pt + luma(210)) }, inset: (x: 3pt, y: 3pt))\n\
         #set heading(numbering: none)\n",
    );
    for (n, section) in pack.sections.iter().enumerate() {
        // The cover has a page to itself, and so does the P&L: it is the
        // longest table and reads best from the top of a page.
        let own_page = matches!(
            section.content,
            SectionContent::Kpis(_) | SectionContent::Statement(_)
        );
        if n > 0 && own_page {
            out.push_str("#pagebreak()\n");
        }
        if !matches!(section.content, SectionContent::Cover(_)) {
            let _ = writeln!(out, "#heading(level: 1, {})", lit(section.title));
        }
        // Commentary opens a section; on the cover it follows the facts.
        let on_cover = matches!(section.content, SectionContent::Cover(_));
        if !on_cover {
            commentary(&mut out, section);
        }
        match &section.content {
            SectionContent::Cover(c) => cover(&mut out, pack, c),
            SectionContent::Kpis(k) => kpis(&mut out, k, places),
            SectionContent::Statement(s) => statement(&mut out, s, places),
            SectionContent::Intercompany(i) => intercompany(&mut out, i, places),
            SectionContent::Warnings(w) => warnings(&mut out, w),
        }
        if on_cover {
            out.push_str("#v(12pt)\n");
            commentary(&mut out, section);
        }
        out.push_str("#v(10pt)\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_escape_what_a_typst_string_interprets() {
        assert_eq!(lit(r#"a "b" \c"#), r#""a \"b\" \\c""#);
        assert_eq!(lit("x\ny\r\tz"), r#""x\ny\tz""#);
        assert_eq!(lit("#*$[]"), "\"#*$[]\"");
        assert_eq!(lit("\u{1}"), r#""\u{1}""#);
    }

    #[test]
    fn bars_are_shares_of_the_largest_magnitude() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(bar_percent(d("-50"), d("200")), "25%");
        assert_eq!(bar_percent(d("1"), d("3")), "33.3%");
        assert_eq!(bar_percent(d("1"), d("0")), "0%");
    }
}
