//! Turns a Xero report's nested Rows and Cells into flat rows: one per
//! report line, with the section it sat in, its AccountID when it has one,
//! and one exact amount per column. Summary rows (section totals, Gross
//! Profit, Net Profit) and rows without an AccountID are kept, so that the
//! engine can tie out against Xero's own totals and nothing is dropped.

use rust_decimal::Decimal;

use super::{Report, ReportRow, RowType};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParsedRowKind {
    /// A line with Xero's AccountID.
    Account,
    /// A line without one: no `account` attribute, or one that is not an
    /// AccountID (Xero's `FXGROUPID` system group for currency gains and
    /// losses, whose key is then kept in `account_id`).
    Other,
    /// A summary line: a section total, Gross Profit or Net Profit.
    Summary,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedRow {
    /// The section title, trimmed (`"Income"`, `"Less Operating Expenses"`);
    /// empty for the untitled section that holds Net Profit.
    pub section: String,
    pub label: String,
    /// The cells' `account` attribute: Xero's AccountID for an
    /// [`ParsedRowKind::Account`] row, a system key such as `FXGROUPID` for
    /// an [`ParsedRowKind::Other`] one.
    pub account_id: Option<String>,
    pub kind: ParsedRowKind,
    /// One per column, in the header's order (Xero lists the newest period
    /// first).
    pub values: Vec<Decimal>,
}

impl ParsedRow {
    /// A stable key: the AccountID, or section and label for other rows
    /// (two `FXGROUPID` rows, realised and unrealised, share their key but
    /// not their label).
    pub fn row_key(&self) -> String {
        match (&self.account_id, self.kind) {
            (Some(id), ParsedRowKind::Account) => id.clone(),
            _ => format!("{}|{}", self.section, self.label),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedReport {
    /// The header's column titles, without the first (label) column.
    pub columns: Vec<String>,
    pub rows: Vec<ParsedRow>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReportParseError {
    #[error("the report has no header row")]
    NoHeader,
    #[error(
        "row '{label}' in section '{section}' has {found} values where the header has {expected}"
    )]
    Width {
        section: String,
        label: String,
        expected: usize,
        found: usize,
    },
    #[error("row '{label}' in section '{section}' has a value that is not a number: '{value}'")]
    NotANumber {
        section: String,
        label: String,
        value: String,
    },
}

pub fn parse_report(report: &Report) -> Result<ParsedReport, ReportParseError> {
    let header = report
        .rows
        .iter()
        .find(|r| r.row_type == RowType::Header)
        .ok_or(ReportParseError::NoHeader)?;
    let columns: Vec<String> = header
        .cells
        .as_deref()
        .unwrap_or_default()
        .iter()
        .skip(1)
        .map(|c| c.value.trim().to_string())
        .collect();
    let mut rows = Vec::new();
    for row in &report.rows {
        collect(row, "", columns.len(), &mut rows)?;
    }
    Ok(ParsedReport { columns, rows })
}

fn collect(
    row: &ReportRow,
    section: &str,
    width: usize,
    out: &mut Vec<ParsedRow>,
) -> Result<(), ReportParseError> {
    match row.row_type {
        RowType::Header => Ok(()),
        RowType::Section => {
            let title = row.title.as_deref().unwrap_or("").trim();
            for child in row.rows.as_deref().unwrap_or_default() {
                collect(child, title, width, out)?;
            }
            Ok(())
        }
        RowType::Row | RowType::SummaryRow => {
            let cells = row.cells.as_deref().unwrap_or_default();
            let Some(first) = cells.first() else {
                return Ok(());
            };
            let label = first.value.trim().to_string();
            let account_id = first
                .attributes
                .iter()
                .flatten()
                .chain(
                    cells
                        .iter()
                        .skip(1)
                        .flat_map(|c| c.attributes.iter().flatten()),
                )
                .find(|a| a.id.eq_ignore_ascii_case("account"))
                .map(|a| a.value.clone());
            let values = &cells[1..];
            if values.len() != width {
                return Err(ReportParseError::Width {
                    section: section.to_string(),
                    label,
                    expected: width,
                    found: values.len(),
                });
            }
            let values = values
                .iter()
                .map(|c| parse_amount(&c.value))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| ReportParseError::NotANumber {
                    section: section.to_string(),
                    label: label.clone(),
                    value: values
                        .iter()
                        .find(|c| parse_amount(&c.value).is_none())
                        .map(|c| c.value.clone())
                        .unwrap_or_default(),
                })?;
            // Net Profit is a plain Row in Xero's untitled last section.
            let is_summary =
                row.row_type == RowType::SummaryRow || (account_id.is_none() && section.is_empty());
            let kind = match (&account_id, is_summary) {
                (_, true) => ParsedRowKind::Summary,
                (Some(id), false) if is_account_id(id) => ParsedRowKind::Account,
                (_, false) => ParsedRowKind::Other,
            };
            out.push(ParsedRow {
                section: section.to_string(),
                label,
                account_id,
                kind,
                values,
            });
            Ok(())
        }
    }
}

/// Whether a cell's `account` attribute is an AccountID (a GUID), rather
/// than a key of a row that is not in the chart, such as `FXGROUPID`.
pub fn is_account_id(value: &str) -> bool {
    let v = value.trim();
    v.len() == 36
        && v.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Report cells are strings; an empty cell is zero.
fn parse_amount(s: &str) -> Option<Decimal> {
    let t = s.trim().replace(',', "");
    if t.is_empty() {
        return Some(Decimal::ZERO);
    }
    t.parse::<Decimal>()
        .ok()
        .or_else(|| Decimal::from_scientific(&t).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(json: &str) -> Report {
        serde_json::from_str(json).unwrap()
    }

    const PL: &str = r#"{
      "ReportID": "ProfitAndLoss", "ReportName": "Profit and Loss",
      "Rows": [
        {"RowType": "Header", "Cells": [{"Value": ""}, {"Value": "31 Mar 26"}, {"Value": "28 Feb 26"}]},
        {"RowType": "Section", "Title": " Income", "Rows": [
          {"RowType": "Row", "Cells": [
            {"Value": "Sales", "Attributes": [{"Id": "account", "Value": "4f1c2a3b-0000-4000-8000-00000000a001"}]},
            {"Value": "1000.50", "Attributes": [{"Id": "account", "Value": "4f1c2a3b-0000-4000-8000-00000000a001"}]},
            {"Value": "", "Attributes": [{"Id": "account", "Value": "4f1c2a3b-0000-4000-8000-00000000a001"}]}]},
          {"RowType": "Row", "Cells": [{"Value": "Foreign Currency Gains"}, {"Value": "1234567890.123456789"}, {"Value": "-2.00"}]},
          {"RowType": "SummaryRow", "Cells": [{"Value": "Total Income"}, {"Value": "1234568890.623456789"}, {"Value": "-2.00"}]}
        ]},
        {"RowType": "Section", "Rows": [
          {"RowType": "Row", "Cells": [{"Value": "Net Profit"}, {"Value": "1234568890.623456789"}, {"Value": "-2.00"}]}
        ]}
      ]
    }"#;

    #[test]
    fn flattens_sections_and_keeps_every_row() {
        let p = parse_report(&report(PL)).unwrap();
        assert_eq!(p.columns, ["31 Mar 26", "28 Feb 26"]);
        assert_eq!(p.rows.len(), 4);
        let sales = &p.rows[0];
        assert_eq!(sales.section, "Income");
        assert_eq!(
            sales.account_id.as_deref(),
            Some("4f1c2a3b-0000-4000-8000-00000000a001")
        );
        assert_eq!(sales.kind, ParsedRowKind::Account);
        assert_eq!(
            sales.values,
            ["1000.50".parse::<Decimal>().unwrap(), Decimal::ZERO]
        );
        let fx = &p.rows[1];
        assert_eq!(fx.kind, ParsedRowKind::Other);
        assert_eq!(fx.row_key(), "Income|Foreign Currency Gains");
        assert_eq!(fx.values[0].to_string(), "1234567890.123456789");
        assert_eq!(p.rows[2].kind, ParsedRowKind::Summary);
        let net = &p.rows[3];
        assert_eq!(
            (net.section.as_str(), net.label.as_str()),
            ("", "Net Profit")
        );
        assert_eq!(net.kind, ParsedRowKind::Summary);
    }

    #[test]
    fn an_fxgroupid_row_is_not_taken_for_an_account_id() {
        let json = PL.replace(
            r#"{"Value": "Foreign Currency Gains"}, {"Value": "1234567890.123456789"}"#,
            r#"{"Value": "Foreign Currency Gains", "Attributes": [{"Id": "account", "Value": "FXGROUPID"}]}, {"Value": "1234567890.123456789", "Attributes": [{"Id": "account", "Value": "FXGROUPID"}]}"#,
        );
        let p = parse_report(&report(&json)).unwrap();
        let fx = &p.rows[1];
        assert_eq!(fx.kind, ParsedRowKind::Other);
        assert_eq!(fx.account_id.as_deref(), Some("FXGROUPID"));
        assert_eq!(fx.row_key(), "Income|Foreign Currency Gains");
        assert_eq!(p.rows[0].kind, ParsedRowKind::Account);
        assert!(is_account_id("4F1C2A3B-0000-4000-8000-00000000A001"));
        assert!(!is_account_id("FXGROUPID"));
        assert!(!is_account_id("4f1c2a3b-0000-4000-8000-00000000a00g"));
    }

    #[test]
    fn bad_rows_are_named() {
        let bad = PL.replace("\"1000.50\"", "\"lots\"");
        let err = parse_report(&report(&bad)).unwrap_err();
        assert!(
            matches!(err, ReportParseError::NotANumber { ref label, .. } if label == "Sales"),
            "{err}"
        );
        let narrow = PL.replace(r#", {"Value": "-2.00"}]}"#, r#"]}"#);
        assert!(matches!(
            parse_report(&report(&narrow)),
            Err(ReportParseError::Width { .. })
        ));
        assert_eq!(
            parse_report(&report(r#"{"Rows": []}"#)),
            Err(ReportParseError::NoHeader)
        );
    }
}
