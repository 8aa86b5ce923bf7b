//! The simulator's own exchange rates, used when a foreign-currency invoice
//! arrives without a `CurrencyRate` (Xero would use the XE.com day rate).
//! Deterministic: a table of US dollar values with a small monthly drift.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::rng::SplitMix64;
use crate::domain::CurrencyCode;
use crate::xero::num::to_scale;

/// US dollars per unit, in ten-thousandths.
fn usd_per_unit(code: &str) -> i64 {
    match code {
        "USD" => 10_000,
        "NZD" => 5_900,
        "AUD" => 6_550,
        "GBP" => 12_700,
        "EUR" => 10_850,
        "CAD" => 7_300,
        "SGD" => 7_450,
        "JPY" => 67,
        "CNY" => 1_380,
        "HKD" => 1_280,
        "FJD" => 4_450,
        "CHF" => 11_300,
        _ => 10_000,
    }
}

/// The USD value of one unit of `code` in the month of `date`: the table
/// value moved by up to 4% either way, the same for every call.
fn usd_value(code: &str, date: NaiveDate) -> Decimal {
    if code == "USD" {
        return Decimal::ONE;
    }
    let month_index = date.year() as u64 * 12 + date.month() as u64;
    let mut seed = month_index;
    for b in code.bytes() {
        seed = seed.wrapping_mul(131).wrapping_add(b as u64);
    }
    let drift = SplitMix64::new(seed).range(-400, 400); // basis points
    Decimal::new(usd_per_unit(code), 4) * (Decimal::ONE + Decimal::new(drift, 4))
}

/// Units of `foreign` per one unit of `base` on `date` (Xero's
/// `CurrencyRate` convention: base amount = foreign amount / rate), 6 places.
pub fn rate(base: CurrencyCode, foreign: CurrencyCode, date: NaiveDate) -> Decimal {
    if base == foreign {
        return to_scale(Decimal::ONE, 6);
    }
    to_scale(
        usd_value(base.as_str(), date) / usd_value(foreign.as_str(), date),
        6,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_stable_and_plausible() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 15).unwrap();
        let nzd = CurrencyCode::parse("NZD").unwrap();
        let usd = CurrencyCode::parse("USD").unwrap();
        let r = rate(nzd, usd, d);
        assert_eq!(r, rate(nzd, usd, d));
        assert!(r > Decimal::new(5, 1) && r < Decimal::new(7, 1), "{r}");
        assert_eq!(rate(usd, usd, d).to_string(), "1.000000");
    }
}
