//! The month-end pack: sections built from a version's snapshot alone (no
//! store, no engine run), each with the commentary users wrote for it. A
//! statement is one more section ([`SectionContent::Statement`]): the
//! balance sheet joins as another when the engine has one. The HTML page,
//! the Excel workbook and the JSON all render this one model.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;

use super::outputs::{Kpis, Periods};
use super::snapshot::{Snapshot, SnapshotError};
use crate::domain::{CurrencyCode, Month};
use crate::store::{Commentary, MonthEndVersion};

/// The sections of a pack, in order: key and title. Commentary is stored
/// under these keys.
pub const SECTIONS: [(&str, &str); 5] = [
    ("cover", "Cover"),
    ("kpis", "Key figures"),
    ("profit_and_loss", "Consolidated profit and loss"),
    ("intercompany", "Intercompany reconciliation"),
    ("warnings", "Warnings"),
];

/// Longest commentary kept for a section, in characters.
pub const MAX_COMMENTARY: usize = 10_000;

#[derive(Debug, Clone, Serialize)]
pub struct Pack {
    pub group: PackGroup,
    pub month: Month,
    pub version: i32,
    /// `closed` or `reopened` (a reopened version's pack is still served).
    pub status: &'static str,
    pub snapshot_hash: String,
    pub sections: Vec<PackSection>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PackGroup {
    pub id: i64,
    pub name: String,
    pub presentation_currency: CurrencyCode,
}

#[derive(Debug, Clone, Serialize)]
pub struct PackSection {
    pub key: &'static str,
    pub title: &'static str,
    pub commentary: Option<String>,
    pub content: SectionContent,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SectionContent {
    Cover(Cover),
    Kpis(Kpis),
    Statement(Statement),
    Intercompany(IntercompanySummary),
    Warnings(Warnings),
}

#[derive(Debug, Clone, Serialize)]
pub struct Cover {
    pub group_name: String,
    pub month: Month,
    pub version: i32,
    pub closed_by: Option<String>,
    pub closed_at: DateTime<Utc>,
    pub reopened_at: Option<DateTime<Utc>>,
    pub reopen_reason: Option<String>,
    pub presentation_currency: CurrencyCode,
    pub periods: Periods,
    pub snapshot_hash: String,
}

/// A column of a statement: a period.
#[derive(Debug, Clone, Serialize)]
pub struct StatementColumn {
    pub key: &'static str,
    pub title: String,
    pub from: Month,
    pub to: Month,
}

/// A line of a statement: consolidated figures per column, null where the
/// period has no amount on the line.
#[derive(Debug, Clone, Serialize)]
pub struct StatementLine {
    pub key: String,
    /// `account`, `section_total`, `gross_profit` or `net_profit`.
    pub kind: String,
    pub section: String,
    pub account_code: Option<String>,
    pub account_name: String,
    #[serde(serialize_with = "decimal_map")]
    pub values: BTreeMap<&'static str, Option<Decimal>>,
}

fn decimal_map<S: serde::Serializer>(
    m: &BTreeMap<&'static str, Option<Decimal>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(m.len()))?;
    for (k, v) in m {
        map.serialize_entry(k, &v.map(|d| d.to_string()))?;
    }
    map.end()
}

#[derive(Debug, Clone, Serialize)]
pub struct Statement {
    pub currency: CurrencyCode,
    pub columns: Vec<StatementColumn>,
    pub lines: Vec<StatementLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IntercompanyRow {
    pub seller: String,
    pub buyer: String,
    pub matched: u64,
    pub amount_differs: u64,
    pub counterpart_missing: u64,
    #[serde(with = "rust_decimal::serde::str")]
    pub seller_amount: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub buyer_amount: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub net_effect: Decimal,
    pub complete: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct IntercompanySummary {
    pub rows: Vec<IntercompanyRow>,
    /// Pairs that are not matched (amount differs, counterpart missing).
    pub exceptions: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct WarningRow {
    pub severity: String,
    pub kind: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Warnings {
    pub rows: Vec<WarningRow>,
}

fn bad(what: &str) -> SnapshotError {
    SnapshotError::Input(format!("the snapshot's {what} is not as expected"))
}

fn count(v: &Value, what: &str) -> Result<u64, SnapshotError> {
    v.as_u64().ok_or_else(|| bad(what))
}

fn text(v: &Value, what: &str) -> Result<String, SnapshotError> {
    v.as_str().map(str::to_string).ok_or_else(|| bad(what))
}

fn decimal(v: &Value, what: &str) -> Result<Decimal, SnapshotError> {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(what))
}

const SECTION_ORDER: [&str; 8] = [
    "Income",
    "Cost of Sales",
    "Gross Profit",
    "Other Income",
    "Operating Expenses",
    "Other Expenses",
    "Unmapped",
    "Net Profit",
];

/// The consolidated P&L with its comparisons: every line of any of the
/// five reports, by section (account lines before the section's total), in
/// the order the reports list them.
fn profit_and_loss(snapshot: &Snapshot) -> Result<Statement, SnapshotError> {
    let p = &snapshot.outputs.periods;
    let o = &snapshot.outputs.profit_and_loss;
    let columns = vec![
        ("month", format!("{}", p.month), p.month, p.month, &o.month),
        (
            "prior_month",
            format!("Prior month ({})", p.prior_month),
            p.prior_month,
            p.prior_month,
            &o.prior_month,
        ),
        (
            "last_year_month",
            format!("Same month last year ({})", p.last_year_month),
            p.last_year_month,
            p.last_year_month,
            &o.last_year_month,
        ),
        (
            "year_to_date",
            format!(
                "Year to date ({} to {})",
                p.year_to_date.0, p.year_to_date.1
            ),
            p.year_to_date.0,
            p.year_to_date.1,
            &o.year_to_date,
        ),
        (
            "last_year_to_date",
            format!(
                "Last year to date ({} to {})",
                p.last_year_to_date.0, p.last_year_to_date.1
            ),
            p.last_year_to_date.0,
            p.last_year_to_date.1,
            &o.last_year_to_date,
        ),
    ];
    // Reports in the order their lines are merged: the year to date holds
    // the most lines this year.
    let merge_order = [3usize, 0, 1, 4, 2];
    let mut lines: Vec<StatementLine> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for &c in &merge_order {
        let (key, _, _, _, report) = &columns[c];
        for l in report["lines"].as_array().ok_or_else(|| bad("report"))? {
            let line_key = l["key"].as_str().ok_or_else(|| bad("line key"))?;
            let value = decimal(&l["values"]["consolidated"], "line value")?;
            let at = match index.get(line_key) {
                Some(&i) => i,
                None => {
                    lines.push(StatementLine {
                        key: line_key.to_string(),
                        kind: text(&l["kind"], "line kind")?,
                        section: text(&l["section"], "line section")?,
                        account_code: l["account_code"].as_str().map(str::to_string),
                        account_name: text(&l["account_name"], "line name")?,
                        values: columns.iter().map(|c| (c.0, None)).collect(),
                    });
                    index.insert(line_key.to_string(), lines.len() - 1);
                    lines.len() - 1
                }
            };
            lines[at].values.insert(key, Some(value));
        }
    }
    // Stable: within a section, the merge order stays.
    lines.sort_by_key(|l| {
        (
            SECTION_ORDER
                .iter()
                .position(|s| *s == l.section)
                .unwrap_or(SECTION_ORDER.len()),
            l.kind != "account",
        )
    });
    Ok(Statement {
        currency: snapshot.inputs.group.presentation_currency,
        columns: columns
            .into_iter()
            .map(|(key, title, from, to, _)| StatementColumn {
                key,
                title,
                from,
                to,
            })
            .collect(),
        lines,
    })
}

fn names(snapshot: &Snapshot) -> HashMap<i64, String> {
    snapshot
        .inputs
        .entities
        .iter()
        .map(|e| (e.id, e.name.clone()))
        .collect()
}

fn name_of(names: &HashMap<i64, String>, v: &Value) -> String {
    v.as_i64()
        .and_then(|id| names.get(&id).cloned())
        .unwrap_or_else(|| format!("entity {v}"))
}

fn intercompany(snapshot: &Snapshot) -> Result<IntercompanySummary, SnapshotError> {
    let names = names(snapshot);
    let rec = &snapshot.outputs.intercompany;
    let rows = rec["summary"]
        .as_array()
        .ok_or_else(|| bad("reconciliation"))?
        .iter()
        .map(|s| {
            Ok(IntercompanyRow {
                seller: name_of(&names, &s["seller"]),
                buyer: name_of(&names, &s["buyer"]),
                matched: count(&s["matched"], "matched count")?,
                amount_differs: count(&s["amount_differs"], "differing count")?,
                counterpart_missing: count(&s["counterpart_missing"], "missing count")?,
                seller_amount: decimal(&s["seller_amount"], "seller amount")?,
                buyer_amount: decimal(&s["buyer_amount"], "buyer amount")?,
                net_effect: decimal(&s["net_effect"], "net effect")?,
                complete: s["complete"].as_bool().ok_or_else(|| bad("completeness"))?,
            })
        })
        .collect::<Result<Vec<_>, SnapshotError>>()?;
    let exceptions = rec["pairs"]
        .as_array()
        .map_or(0, |p| p.iter().filter(|p| p["status"] != "matched").count());
    Ok(IntercompanySummary { rows, exceptions })
}

/// A warning of the month's report, in words.
fn describe(names: &HashMap<i64, String>, w: &Value) -> String {
    let s = |k: &str| w[k].as_str().unwrap_or_default().to_string();
    let entity = name_of(names, &w["entity"]);
    match w["kind"].as_str().unwrap_or_default() {
        "missing_rate" => format!(
            "No average {} rate for {} ({entity}).",
            s("currency"),
            s("month")
        ),
        "unmapped_account" => format!(
            "{entity}: account {} {} is not mapped ({}).",
            s("account_code"),
            s("account_name"),
            s("amount")
        ),
        "net_profit_tie_out" => format!(
            "{entity}, {}: Xero's net profit {} differs from the sum {} by {} {}.",
            s("month"),
            s("xero_net_profit"),
            s("computed"),
            s("difference"),
            s("currency")
        ),
        "unknown_source_account" => format!(
            "{entity}: the source account {} is not in its chart.",
            s("account_id")
        ),
        "intercompany" => format!(
            "{entity}: invoice {} ({}), {}.",
            w["invoice_number"]
                .as_str()
                .map_or_else(|| s("invoice_id"), str::to_string),
            s("month"),
            s("issue").replace('_', " ")
        ),
        other => format!("{entity}: {other}"),
    }
}

fn warnings(snapshot: &Snapshot) -> Warnings {
    let names = names(snapshot);
    let rows = snapshot.outputs.profit_and_loss.month["warnings"]
        .as_array()
        .map(|ws| {
            ws.iter()
                .map(|w| WarningRow {
                    severity: w["severity"].as_str().unwrap_or_default().to_string(),
                    kind: w["kind"].as_str().unwrap_or_default().to_string(),
                    message: describe(&names, w),
                })
                .collect()
        })
        .unwrap_or_default();
    Warnings { rows }
}

/// The pack of a version: its snapshot and commentary.
pub fn build_pack(
    snapshot: &Snapshot,
    version: &MonthEndVersion,
    commentary: &[Commentary],
) -> Result<Pack, SnapshotError> {
    let g = &snapshot.inputs.group;
    let content = |key: &str| -> Result<SectionContent, SnapshotError> {
        Ok(match key {
            "cover" => SectionContent::Cover(Cover {
                group_name: g.name.clone(),
                month: snapshot.month,
                version: version.version,
                closed_by: version.closed_by_email.clone(),
                closed_at: version.closed_at,
                reopened_at: version.reopened_at,
                reopen_reason: version.reopen_reason.clone(),
                presentation_currency: g.presentation_currency,
                periods: snapshot.outputs.periods,
                snapshot_hash: version.snapshot_hash.clone(),
            }),
            "kpis" => SectionContent::Kpis(snapshot.outputs.kpis.clone()),
            "profit_and_loss" => SectionContent::Statement(profit_and_loss(snapshot)?),
            "intercompany" => SectionContent::Intercompany(intercompany(snapshot)?),
            _ => SectionContent::Warnings(warnings(snapshot)),
        })
    };
    let sections = SECTIONS
        .iter()
        .map(|&(key, title)| {
            Ok(PackSection {
                key,
                title,
                commentary: commentary
                    .iter()
                    .find(|c| c.section == key)
                    .map(|c| c.body.clone()),
                content: content(key)?,
            })
        })
        .collect::<Result<Vec<_>, SnapshotError>>()?;
    Ok(Pack {
        group: PackGroup {
            id: g.id,
            name: g.name.clone(),
            presentation_currency: g.presentation_currency,
        },
        month: snapshot.month,
        version: version.version,
        status: if version.is_closed() {
            "closed"
        } else {
            "reopened"
        },
        snapshot_hash: version.snapshot_hash.clone(),
        sections,
    })
}
