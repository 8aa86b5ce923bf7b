//! Numbers the way accountants read them: thousands separators, a fixed
//! number of decimals, negatives in parentheses.

use rust_decimal::{Decimal, RoundingStrategy};

/// `-1234567.5` with 2 places is `(1,234,567.50)`; zero is `-`.
pub fn accounting(v: Decimal, places: u32) -> String {
    let r = v.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
    if r.is_zero() {
        return "-".to_string();
    }
    let s = format!("{:.*}", places as usize, r.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let body = if frac.is_empty() {
        grouped
    } else {
        format!("{grouped}.{frac}")
    };
    if r.is_sign_negative() {
        format!("({body})")
    } else {
        body
    }
}

/// [`accounting`] with every decimal place the value has (at least
/// `min_places`), for source amounts that must show exactly as Xero sent
/// them.
pub fn accounting_exact(v: Decimal, min_places: u32) -> String {
    accounting(v, v.normalize().scale().max(min_places))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn formats_like_an_accountant() {
        assert_eq!(accounting(d("1234567.5"), 2), "1,234,567.50");
        assert_eq!(accounting(d("-1234567.5"), 2), "(1,234,567.50)");
        assert_eq!(accounting(d("999.995"), 2), "1,000.00");
        assert_eq!(accounting(d("-0.001"), 2), "-");
        assert_eq!(accounting(d("0"), 2), "-");
        assert_eq!(accounting(d("12"), 0), "12");
        assert_eq!(accounting(d("-123456"), 0), "(123,456)");
        assert_eq!(accounting(d("100"), 2), "100.00");
    }

    #[test]
    fn exact_keeps_every_place() {
        assert_eq!(accounting_exact(d("-1234.5"), 2), "(1,234.50)");
        assert_eq!(accounting_exact(d("1234.5678"), 2), "1,234.5678");
        assert_eq!(accounting_exact(d("1200"), 0), "1,200");
    }
}
