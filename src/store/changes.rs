//! What a set-up change did, in words for the audit log: which mappings
//! and rates were added, changed from what to what, or removed, leaving out
//! what stayed the same; which contacts were set. The first [`LISTED`]
//! changes are spelled out and the rest counted.

use std::collections::HashMap;

use super::group_setup::{MappingRow, RateRow};
use crate::domain::{CurrencyCode, Month};

/// At most this many changes are spelled out; the rest are counted.
pub const LISTED: usize = 20;

/// `1 contact`, `2 contacts`.
pub fn counted(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// `summary: first; second; ... and N more`, for entries whose first
/// [`LISTED`] rows were named by the caller.
pub fn named_detail(summary: String, named: Vec<String>, total: usize) -> String {
    if named.is_empty() {
        return summary;
    }
    let more = total.saturating_sub(named.len());
    let mut out = format!("{summary}: {}", named.join("; "));
    if more > 0 {
        out.push_str(&format!("; and {more} more"));
    }
    out
}

/// Joins the first [`LISTED`] changes and counts the rest and the
/// unchanged rows.
fn summary(changes: Vec<String>, unchanged: usize) -> String {
    let mut out = if changes.is_empty() {
        "no change".to_string()
    } else {
        let listed: Vec<&str> = changes.iter().take(LISTED).map(String::as_str).collect();
        let mut s = format!(
            "{}: {}",
            counted(changes.len(), "change"),
            listed.join("; ")
        );
        if changes.len() > LISTED {
            s.push_str(&format!("; and {} more changes", changes.len() - LISTED));
        }
        s
    };
    if unchanged > 0 {
        out.push_str(&format!(" ({unchanged} unchanged)"));
    }
    out
}

/// The rates written, compared with the rates the group had before.
pub fn rates(before: &[RateRow], written: &[RateRow]) -> String {
    let old: HashMap<(CurrencyCode, Month), &RateRow> =
        before.iter().map(|r| ((r.currency, r.month), r)).collect();
    let mut changes = Vec::new();
    let mut unchanged = 0;
    for r in written {
        match old.get(&(r.currency, r.month)) {
            None => changes.push(format!(
                "{} {} added: average {}, closing {}",
                r.currency, r.month, r.average, r.closing
            )),
            Some(o) if o.average == r.average && o.closing == r.closing => unchanged += 1,
            Some(o) => {
                let mut parts = Vec::new();
                if o.average != r.average {
                    parts.push(format!("average {} to {}", o.average, r.average));
                }
                if o.closing != r.closing {
                    parts.push(format!("closing {} to {}", o.closing, r.closing));
                }
                changes.push(format!("{} {}: {}", r.currency, r.month, parts.join(", ")));
            }
        }
    }
    summary(changes, unchanged)
}

/// Names for describing mappings: an entity account's
/// "Entity code name", keyed by (organisation id, AccountID), and a group
/// account's "code name" by id.
#[derive(Default)]
pub struct MappingNames {
    pub accounts: HashMap<(i64, String), String>,
    pub group_accounts: HashMap<i64, String>,
}

impl MappingNames {
    fn account(&self, organisation_id: i64, account_id: &str) -> String {
        self.accounts
            .get(&(organisation_id, account_id.to_string()))
            .cloned()
            .unwrap_or_else(|| format!("account {account_id}"))
    }

    fn group_account(&self, id: i64) -> String {
        self.group_accounts
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("group account {id}"))
    }
}

/// The mappings written and removed, compared with the group's mappings
/// before.
pub fn mappings(
    before: &[MappingRow],
    written: &[MappingRow],
    removed: &[(i64, String)],
    names: &MappingNames,
) -> String {
    let old: HashMap<(i64, &str), &MappingRow> = before
        .iter()
        .map(|m| ((m.organisation_id, m.account_id.as_str()), m))
        .collect();
    let state = |confirmed: bool| if confirmed { "confirmed" } else { "suggested" };
    let mut changes = Vec::new();
    let mut unchanged = 0;
    for m in written {
        let account = names.account(m.organisation_id, &m.account_id);
        let to = names.group_account(m.group_account_id);
        match old.get(&(m.organisation_id, m.account_id.as_str())) {
            None => changes.push(format!("{account} to {to} ({})", state(m.confirmed))),
            Some(o) if o.group_account_id == m.group_account_id && o.confirmed == m.confirmed => {
                unchanged += 1
            }
            Some(o) if o.group_account_id == m.group_account_id => {
                changes.push(format!("{account} to {to}: {}", state(m.confirmed)))
            }
            Some(o) => changes.push(format!(
                "{account}: {} to {to} ({})",
                names.group_account(o.group_account_id),
                state(m.confirmed)
            )),
        }
    }
    for (organisation_id, account_id) in removed {
        if let Some(o) = old.get(&(*organisation_id, account_id.as_str())) {
            changes.push(format!(
                "{}: mapping to {} removed",
                names.account(*organisation_id, account_id),
                names.group_account(o.group_account_id)
            ));
        }
    }
    summary(changes, unchanged)
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;

    fn rate(c: &str, m: &str, average: &str, closing: &str) -> RateRow {
        RateRow {
            currency: CurrencyCode::parse(c).unwrap(),
            month: Month::parse(m).unwrap(),
            average: average.parse::<Decimal>().unwrap(),
            closing: closing.parse::<Decimal>().unwrap(),
        }
    }

    #[test]
    fn rates_name_what_changed_from_what() {
        let before = [
            rate("AUD", "2026-10", "1.0900", "1.1000"),
            rate("GBP", "2026-10", "2.10", "2.12"),
        ];
        let written = [
            rate("AUD", "2026-10", "1.0950", "1.1000"),
            rate("GBP", "2026-10", "2.10", "2.12"),
            rate("USD", "2026-11", "1.65", "1.66"),
        ];
        assert_eq!(
            rates(&before, &written),
            "2 changes: AUD 2026-10: average 1.0900 to 1.0950; \
             USD 2026-11 added: average 1.65, closing 1.66 (1 unchanged)"
        );
        assert_eq!(rates(&before, &before[..1]), "no change (1 unchanged)");
    }

    #[test]
    fn mappings_name_accounts_and_what_they_moved_from() {
        let m = |account: &str, to: i64, confirmed: bool| MappingRow {
            organisation_id: 1,
            account_id: account.into(),
            group_account_id: to,
            confirmed,
        };
        let names = MappingNames {
            accounts: HashMap::from([
                ((1, "a".to_string()), "Kea Holdings 200 Sales".to_string()),
                (
                    (1, "b".to_string()),
                    "Kea Holdings 310 Cost of Goods Sold".to_string(),
                ),
            ]),
            group_accounts: HashMap::from([
                (10, "4000 Revenue".to_string()),
                (20, "5000 Cost of sales".to_string()),
                (21, "5100 Purchases".to_string()),
            ]),
        };
        let before = [m("a", 10, false), m("b", 20, true)];
        assert_eq!(
            mappings(
                &before,
                &[m("a", 10, true), m("b", 21, true), m("c", 10, false)],
                &[],
                &names
            ),
            "3 changes: Kea Holdings 200 Sales to 4000 Revenue: confirmed; \
             Kea Holdings 310 Cost of Goods Sold: 5000 Cost of sales to 5100 Purchases (confirmed); \
             account c to 4000 Revenue (suggested)"
        );
        assert_eq!(
            mappings(&before, &before, &[], &names),
            "no change (2 unchanged)"
        );
        assert_eq!(
            mappings(&before, &[], &[(1, "b".into()), (1, "zz".into())], &names),
            "1 change: Kea Holdings 310 Cost of Goods Sold: mapping to 5000 Cost of sales removed",
            "only mappings that existed are named"
        );
    }

    #[test]
    fn long_changes_are_counted() {
        let written: Vec<RateRow> = (1..=12)
            .flat_map(|m| ["AUD", "GBP"].map(|c| rate(c, &format!("2026-{m:02}"), "1", "1")))
            .collect();
        let text = rates(&[], &written);
        assert_eq!(text.matches("added").count(), LISTED);
        assert!(text.ends_with("; and 4 more changes"), "{text}");
    }
}
