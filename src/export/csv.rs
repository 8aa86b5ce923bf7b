//! CSV files of the consolidated P&L and the intercompany reconciliation,
//! and the line splitter that reads CSV (rates uploads, tests).
//! Numbers are plain decimals (no separators, a minus for negatives) so
//! spreadsheets read them as numbers; text from Xero (account, contact and
//! invoice names) is kept from running as a formula when the file is opened
//! in a spreadsheet.

use std::collections::HashMap;

use rust_decimal::Decimal;

use crate::engine::{EntityId, IntercompanyPair, IntercompanyReconciliation, ProfitAndLossReport};

pub const CSV_CONTENT_TYPE: &str = "text/csv; charset=utf-8";

/// One row being written: text and number cells.
#[derive(Default)]
struct Row(Vec<String>);

impl Row {
    fn text(mut self, s: &str) -> Self {
        self.0.push(quoted(&defused(s)));
        self
    }

    fn number(mut self, d: Decimal) -> Self {
        self.0.push(d.to_string());
        self
    }

    fn opt_number(mut self, d: Option<Decimal>) -> Self {
        self.0.push(d.map(|d| d.to_string()).unwrap_or_default());
        self
    }

    fn end(self, out: &mut String) {
        out.push_str(&self.0.join(","));
        out.push_str("\r\n");
    }
}

/// A text cell that a spreadsheet would take for a formula (`=`, `+`, `-`,
/// `@`, or a tab or carriage return first) gets a leading apostrophe, as
/// OWASP advises for CSV injection. Numbers are never text cells.
fn defused(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

/// RFC 4180 quoting: only when the cell needs it.
fn quoted(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Splits one CSV line into fields: commas, with `"quoted, fields"` and
/// `""` for a quote inside quotes.
pub fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', true) => quoted = false,
            ('"', false) if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            (',', false) => out.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    out.push(field);
    out
}

/// One row per report line (accounts, section totals, Gross Profit, Net
/// Profit), one column per report column, in the presentation currency.
pub fn profit_and_loss_csv(report: &ProfitAndLossReport) -> String {
    let mut out = String::new();
    let mut head = Row::default()
        .text("section")
        .text("account_code")
        .text("account_name");
    for c in &report.columns {
        head = head.text(&c.name);
    }
    head.end(&mut out);
    for line in &report.lines {
        let mut row = Row::default()
            .text(line.section.title())
            .text(line.account_code.as_deref().unwrap_or_default())
            .text(&line.account_name);
        for i in 0..report.columns.len() {
            row = row.number(line.values.at(i));
        }
        row.end(&mut out);
    }
    out
}

/// The column names of [`intercompany_csv`], in order.
pub const INTERCOMPANY_HEADER: [&str; 19] = [
    "seller",
    "buyer",
    "month",
    "status",
    "matched_by",
    "invoice_number",
    "invoice_id",
    "invoice_date",
    "invoice_currency",
    "invoice_total",
    "seller_amount",
    "bill_number",
    "bill_id",
    "bill_date",
    "bill_currency",
    "bill_total",
    "buyer_amount",
    "net_effect",
    "presentation_currency",
];

/// One row per intercompany pair (or lone side): both sides' numbers,
/// dates and totals in their own currency, the amounts eliminated and the
/// net effect on group profit in the presentation currency (empty where
/// a month's rate is missing). Ids are Xero InvoiceIDs.
pub fn intercompany_csv(
    rec: &IntercompanyReconciliation,
    names: &HashMap<EntityId, String>,
) -> String {
    let mut out = String::new();
    INTERCOMPANY_HEADER
        .iter()
        .fold(Row::default(), |r, h| r.text(h))
        .end(&mut out);
    for pair in &rec.pairs {
        pair_row(pair, names, rec.currency.as_str()).end(&mut out);
    }
    out
}

fn pair_row(pair: &IntercompanyPair, names: &HashMap<EntityId, String>, currency: &str) -> Row {
    let name = |id: EntityId| {
        names
            .get(&id)
            .map_or_else(|| id.0.to_string(), Clone::clone)
    };
    let status = serde_json::to_value(pair.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let matched_by = pair
        .matched_by
        .and_then(|m| serde_json::to_value(m).ok())
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let mut row = Row::default()
        .text(&name(pair.seller))
        .text(&name(pair.buyer))
        .text(&pair.month.to_string())
        .text(&status)
        .text(&matched_by);
    for side in [&pair.seller_invoice, &pair.buyer_bill] {
        row = match side {
            Some(s) => row
                .text(s.invoice_number.as_deref().unwrap_or_default())
                .text(&s.invoice_id)
                .text(&s.date.to_string())
                .text(s.currency.as_str())
                .number(s.total)
                .opt_number(s.presentation_amount),
            None => (0..6).fold(row, |r, _| r.text("")),
        };
    }
    row.opt_number(pair.net_effect).text(currency)
}

/// The consolidated balance sheet as CSV: a row per line, a column per
/// report column, in the report's order.
pub fn balance_sheet_csv(report: &crate::engine::balance_sheet::BalanceSheetReport) -> String {
    let mut out = String::new();
    let mut head = Row::default()
        .text("key")
        .text("section")
        .text("account_code")
        .text("account_name");
    for c in &report.columns {
        head = head.text(&c.name);
    }
    head.end(&mut out);
    for line in &report.lines {
        let mut row = Row::default()
            .text(&line.key)
            .text(&line.section)
            .text(line.account_code.as_deref().unwrap_or_default())
            .text(&line.account_name);
        for c in &report.columns {
            row = row.number(line.values.get(&c.key).copied().unwrap_or_default());
        }
        row.end(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_looks_like_a_formula_is_defused() {
        let mut out = String::new();
        Row::default()
            .text("=HYPERLINK(\"http://x\")")
            .text("-1+1")
            .text("@SUM(A1)")
            .text("Fees, intercompany")
            .text("Plain")
            .number(Decimal::new(-12345, 2))
            .end(&mut out);
        assert_eq!(
            out,
            "\"'=HYPERLINK(\"\"http://x\"\")\",'-1+1,'@SUM(A1),\"Fees, intercompany\",Plain,-123.45\r\n"
        );
    }

    #[test]
    fn what_is_written_reads_back() {
        let mut out = String::new();
        Row::default()
            .text("Thistle & Co, \"UK\"")
            .text("INV-0042")
            .number(Decimal::new(-100, 2))
            .end(&mut out);
        assert_eq!(
            fields(out.trim_end_matches("\r\n")),
            ["Thistle & Co, \"UK\"", "INV-0042", "-1.00"]
        );
    }

    #[test]
    fn missing_amounts_are_empty_cells() {
        let mut out = String::new();
        Row::default()
            .opt_number(None)
            .opt_number(Some(Decimal::new(5, 1)))
            .end(&mut out);
        assert_eq!(out, ",0.5\r\n");
    }
}
