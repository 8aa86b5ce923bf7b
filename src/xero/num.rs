//! Amounts as Xero writes them: JSON numbers parsed exactly (never through
//! `f64`) and written with Xero's scale: money 2 places, quantities 4,
//! currency rates 6, unit amounts 2 to 4.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserializer, Serialize, Serializer};

/// Rounds half away from zero to `dp` places and pads with trailing zeros
/// to exactly `dp` places.
pub fn to_scale(v: Decimal, dp: u32) -> Decimal {
    let mut r = v.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(dp);
    r
}

/// Money rounding (2 places, half away from zero).
pub fn round2(v: Decimal) -> Decimal {
    to_scale(v, 2)
}

fn write<S: Serializer>(v: Decimal, s: S) -> Result<S::Ok, S::Error> {
    serde_json::Number::from_string_unchecked(v.to_string()).serialize(s)
}

fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    rust_decimal::serde::arbitrary_precision_option::deserialize(d)
}

macro_rules! scaled {
    ($name:ident, $doc:literal, $scale:expr) => {
        #[doc = $doc]
        pub mod $name {
            use super::*;

            pub fn serialize<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
                match v {
                    Some(v) => {
                        let f: fn(Decimal) -> Decimal = $scale;
                        write(f(*v), s)
                    }
                    None => s.serialize_none(),
                }
            }

            pub fn deserialize<'de, D: Deserializer<'de>>(
                d: D,
            ) -> Result<Option<Decimal>, D::Error> {
                read(d)
            }
        }
    };
}

scaled!(money, "Optional money: 2 places (`89.00`).", |v| to_scale(
    v, 2
));
scaled!(quantity, "Optional quantity: 4 places (`1.0000`).", |v| {
    to_scale(v, 4)
});
scaled!(
    rate,
    "Optional currency rate: 6 places (`1.000000`).",
    |v| to_scale(v, 6)
);
scaled!(
    unit,
    "Optional unit amount: at least 2 and at most 4 places (`89.00`, `12.3456`).",
    |v| to_scale(v, v.normalize().scale().clamp(2, 4))
);
scaled!(
    exact,
    "Optional number written exactly as held (discount rates, ad hoc values).",
    |v| v
);

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct T {
        #[serde(with = "money", default, skip_serializing_if = "Option::is_none")]
        m: Option<Decimal>,
        #[serde(with = "quantity", default, skip_serializing_if = "Option::is_none")]
        q: Option<Decimal>,
        #[serde(with = "rate", default, skip_serializing_if = "Option::is_none")]
        r: Option<Decimal>,
        #[serde(with = "unit", default, skip_serializing_if = "Option::is_none")]
        u: Option<Decimal>,
        #[serde(with = "exact", default, skip_serializing_if = "Option::is_none")]
        e: Option<Decimal>,
    }

    #[test]
    fn exact_parse_and_scaled_write() {
        let t: T =
            serde_json::from_str(r#"{"m":89,"q":1,"r":1,"u":12.5,"e":1234567890.123456789}"#)
                .unwrap();
        assert_eq!(t.e.unwrap().to_string(), "1234567890.123456789");
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"{"m":89.00,"q":1.0000,"r":1.000000,"u":12.50,"e":1234567890.123456789}"#
        );
        let v: serde_json::Value = serde_json::to_value(&t).unwrap();
        let back: T = serde_json::from_value(v).unwrap();
        assert_eq!(back.e, t.e);
    }

    #[test]
    fn strings_and_nulls_accepted() {
        let t: T = serde_json::from_str(r#"{"m":"10.5","q":null}"#).unwrap();
        assert_eq!(t.m.unwrap().to_string(), "10.5");
        assert_eq!(t.q, None);
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round2("2.345".parse().unwrap()).to_string(), "2.35");
        assert_eq!(round2("-2.345".parse().unwrap()).to_string(), "-2.35");
        assert_eq!(
            to_scale("1.23456".parse().unwrap(), 4).to_string(),
            "1.2346"
        );
    }
}
