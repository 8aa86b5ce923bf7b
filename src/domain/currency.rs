use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ParseError;

/// An ISO 4217 currency code: three ASCII capital letters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CurrencyCode([u8; 3]);

impl CurrencyCode {
    /// Accepts upper or lower case with surrounding spaces; stores upper case.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let t = s.trim();
        let b = t.as_bytes();
        if b.len() != 3 || !b.iter().all(u8::is_ascii_alphabetic) {
            return Err(ParseError(format!(
                "'{t}' is not a currency code (three letters, such as NZD)"
            )));
        }
        Ok(Self([
            b[0].to_ascii_uppercase(),
            b[1].to_ascii_uppercase(),
            b[2].to_ascii_uppercase(),
        ]))
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored, so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }

    /// Decimal places of the currency's minor unit (ISO 4217). Amounts in
    /// this currency are rounded to this many places.
    pub fn minor_units(&self) -> u32 {
        match self.as_str() {
            "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF"
            | "UGX" | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
            "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
            _ => 2,
        }
    }
}

impl fmt::Display for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CurrencyCode({})", self.as_str())
    }
}

impl FromStr for CurrencyCode {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for CurrencyCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CurrencyCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises() {
        assert_eq!(CurrencyCode::parse(" nzd ").unwrap().as_str(), "NZD");
        assert!(CurrencyCode::parse("NZ").is_err());
        assert!(CurrencyCode::parse("NZD1").is_err());
        assert!(CurrencyCode::parse("N1D").is_err());
    }

    #[test]
    fn minor_units() {
        assert_eq!(CurrencyCode::parse("JPY").unwrap().minor_units(), 0);
        assert_eq!(CurrencyCode::parse("NZD").unwrap().minor_units(), 2);
        assert_eq!(CurrencyCode::parse("KWD").unwrap().minor_units(), 3);
    }

    #[test]
    fn serde_round_trip() {
        let c: CurrencyCode = serde_json::from_str("\"aud\"").unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"AUD\"");
        assert!(serde_json::from_str::<CurrencyCode>("\"A\"").is_err());
    }
}
