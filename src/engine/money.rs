//! Rounding and the JSON form of decimals (always strings).

use rust_decimal::{Decimal, RoundingStrategy};

/// Rounds to `dp` decimal places, half away from zero, and fixes the scale
/// at exactly `dp` so that every amount of a report prints alike.
pub fn round_to(value: Decimal, dp: u32) -> Decimal {
    let mut r = value.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(dp);
    r
}

/// `amount × rate` rounded to `dp` places, half away from zero, as a count
/// of units of 10^-dp (cents for two places). Exact integer arithmetic:
/// the same result as [`round_to`]`(amount * rate, dp)`, without its cost.
/// `None` when the result is beyond what a `Decimal` holds.
pub fn translate_units(amount: Decimal, rate: Decimal, dp: u32) -> Option<i128> {
    let scale = amount.scale() + rate.scale();
    let Some(product) = amount.mantissa().checked_mul(rate.mantissa()) else {
        // Beyond i128: let Decimal round what it can.
        return amount.checked_mul(rate).map(|p| round_to(p, dp).mantissa());
    };
    let units = if scale <= dp {
        product.checked_mul(10i128.checked_pow(dp - scale)?)?
    } else {
        let shift = scale - dp;
        if shift > 38 {
            0 // |product| < 10^39 for any shift this large: rounds to zero
        } else {
            divide_by_pow10(product, shift)
        }
    };
    fits_decimal(units).then_some(units)
}

/// `n / 10^shift` rounded half away from zero, for `shift <= 38`. The
/// common cases divide an `i64` by a constant, which compiles to a multiply.
#[inline]
fn divide_by_pow10(n: i128, shift: u32) -> i128 {
    #[inline(always)]
    fn small(n: i64, d: i64) -> i128 {
        let (q, r) = (n / d, n % d);
        i128::from(if r.unsigned_abs() * 2 >= d.unsigned_abs() {
            q + n.signum()
        } else {
            q
        })
    }
    if let Ok(n) = i64::try_from(n) {
        match shift {
            1 => return small(n, 10),
            2 => return small(n, 100),
            3 => return small(n, 1_000),
            4 => return small(n, 10_000),
            5 => return small(n, 100_000),
            6 => return small(n, 1_000_000),
            7 => return small(n, 10_000_000),
            8 => return small(n, 100_000_000),
            _ => {}
        }
    }
    let d = 10i128.pow(shift);
    let (q, r) = (n / d, n % d);
    if r.unsigned_abs() * 2 >= d.unsigned_abs() {
        q + n.signum()
    } else {
        q
    }
}

/// Whether a count of minor units fits a `Decimal` mantissa (96 bits).
fn fits_decimal(units: i128) -> bool {
    units.unsigned_abs() < (1u128 << 96)
}

/// [`translate_units`] as a decimal with exactly `dp` places.
pub fn translate(amount: Decimal, rate: Decimal, dp: u32) -> Option<Decimal> {
    translate_units(amount, rate, dp).map(|u| Decimal::from_i128_with_scale(u, dp))
}

/// Zero at `dp` decimal places (`0.00` for two).
pub fn zero(dp: u32) -> Decimal {
    Decimal::new(0, dp)
}

/// `serde(with = ...)` for an `Option<Decimal>` as a JSON string or null.
pub mod opt_str {
    use rust_decimal::Decimal;
    use serde::Serializer;

    pub fn serialize<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.collect_str(d),
            None => s.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(round_to(d("1.005"), 2).to_string(), "1.01");
        assert_eq!(round_to(d("-1.005"), 2).to_string(), "-1.01");
        assert_eq!(round_to(d("1.0049"), 2).to_string(), "1.00");
        assert_eq!(round_to(d("2.5"), 0).to_string(), "3");
        assert_eq!(round_to(d("7"), 2).to_string(), "7.00");
        assert_eq!(round_to(d("1111.1111111"), 2).to_string(), "1111.11");
        assert_eq!(zero(3).to_string(), "0.000");
    }

    #[test]
    fn translation_in_units() {
        let t = |a: &str, r: &str, dp| translate(d(a), d(r), dp).unwrap().to_string();
        assert_eq!(t("1000.00", "1.08", 2), "1080.00");
        assert_eq!(t("0.01", "0.5", 2), "0.01");
        assert_eq!(t("-0.01", "0.5", 2), "-0.01");
        assert_eq!(t("0.01", "0.4999", 2), "0.00");
        assert_eq!(t("7", "1", 2), "7.00");
        assert_eq!(t("10.01", "90.5", 0), "906");
        let base = d("1000.00") / d("0.90");
        assert_eq!(t(&base.to_string(), "1", 2), "1111.11");
        assert_eq!(
            t("0.0000000000000000000000000001", "0.0000000001", 2),
            "0.00"
        );
        assert!(translate(Decimal::MAX, d("2"), 2).is_none());
    }

    proptest::proptest! {
        #[test]
        fn translation_matches_decimal_rounding(
            a in -10_000_000_000_000i64..10_000_000_000_000,
            a_scale in 0u32..12,
            r in 1i64..10_000_000_000,
            r_scale in 0u32..12,
            dp in 0u32..4,
        ) {
            let (a, r) = (Decimal::new(a, a_scale), Decimal::new(r, r_scale));
            proptest::prop_assert_eq!(translate(a, r, dp).unwrap(), round_to(a * r, dp));
        }
    }
}
