//! What a set-up change did, in words for the audit log: which rates were
//! added or changed from what to what, leaving out what stayed the same.

use std::collections::HashMap;

use super::group_setup::RateRow;
use crate::domain::{CurrencyCode, Month};

/// At most this many changes are spelled out; the rest are counted.
const LISTED: usize = 20;

/// Joins the first [`LISTED`] changes and counts the rest and the
/// unchanged rows.
fn summary(changes: Vec<String>, unchanged: usize) -> String {
    let mut out = if changes.is_empty() {
        "no change".to_string()
    } else {
        let listed: Vec<&str> = changes.iter().take(LISTED).map(String::as_str).collect();
        let mut s = listed.join("; ");
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
            "AUD 2026-10: average 1.0900 to 1.0950; USD 2026-11 added: average 1.65, closing 1.66 (1 unchanged)"
        );
        assert_eq!(rates(&before, &before[..1]), "no change (1 unchanged)");
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
