//! Xero's date formats: `/Date(1539993600000+0000)/` on the wire, plus ISO
//! forms (`2026-03-31`, `2026-03-31T00:00:00`, `2019-12-07T18:46:19.5165400`)
//! in `DateString` companions, connections and query parameters.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant (UTC, millisecond precision) as Xero writes it. Date-only
/// values (invoice `Date`, `DueDate`) are midnight UTC.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct XeroDate(DateTime<Utc>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a Xero date")]
pub struct DateParseError(pub String);

impl XeroDate {
    pub fn from_utc(t: DateTime<Utc>) -> Self {
        // Xero keeps milliseconds.
        let ms = t.timestamp_millis();
        Self(Utc.timestamp_millis_opt(ms).single().unwrap_or(t))
    }

    pub fn from_date(d: NaiveDate) -> Self {
        Self(d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
    }

    pub fn from_millis(ms: i64) -> Option<Self> {
        Utc.timestamp_millis_opt(ms).single().map(Self)
    }

    pub fn utc(&self) -> DateTime<Utc> {
        self.0
    }

    pub fn date(&self) -> NaiveDate {
        self.0.date_naive()
    }

    pub fn millis(&self) -> i64 {
        self.0.timestamp_millis()
    }

    /// `/Date(1539993600000+0000)/`
    pub fn to_wire(&self) -> String {
        format!("/Date({}+0000)/", self.millis())
    }

    /// The `DateString` companion: `2018-10-20T00:00:00`.
    pub fn to_date_string(&self) -> String {
        self.0.format("%Y-%m-%dT%H:%M:%S").to_string()
    }

    /// Parses `/Date(ms)/`, `/Date(ms+hhmm)/`, `/Date(-ms-hhmm)/` and ISO dates
    /// or date-times (no zone, `Z` or an offset; up to 7 fractional digits).
    pub fn parse(s: &str) -> Result<Self, DateParseError> {
        let t = s.trim();
        let bad = || DateParseError(t.to_string());
        if let Some(inner) = t.strip_prefix("/Date(").and_then(|r| r.strip_suffix(")/")) {
            // The milliseconds are UTC; the offset only says which zone the
            // writer was in (as in .NET's JSON dates), so it is ignored.
            let body = inner.as_bytes();
            let mut end = body.len();
            if body.len() > 5 {
                let k = body.len() - 5;
                if (body[k] == b'+' || body[k] == b'-')
                    && k > 0
                    && body[k + 1..].iter().all(u8::is_ascii_digit)
                {
                    end = k;
                }
            }
            let ms: i64 = inner[..end].parse().map_err(|_| bad())?;
            return Self::from_millis(ms).ok_or_else(bad);
        }
        if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
            return Ok(Self::from_date(d));
        }
        if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
            return Ok(Self::from_utc(dt.with_timezone(&Utc)));
        }
        let naive = t.strip_suffix('Z').unwrap_or(t);
        NaiveDateTime::parse_from_str(naive, "%Y-%m-%dT%H:%M:%S%.f")
            .map(|n| Self::from_utc(n.and_utc()))
            .map_err(|_| bad())
    }
}

impl fmt::Debug for XeroDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "XeroDate({})", self.0.format("%Y-%m-%dT%H:%M:%S%.3fZ"))
    }
}

impl fmt::Display for XeroDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_wire())
    }
}

impl FromStr for XeroDate {
    type Err = DateParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl From<NaiveDate> for XeroDate {
    fn from(d: NaiveDate) -> Self {
        Self::from_date(d)
    }
}

impl Serialize for XeroDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_wire())
    }
}

impl<'de> Deserialize<'de> for XeroDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// For the fields Xero writes without an offset (`DateTimeUTC` of the
/// envelope, `CreatedDateUTC` of the organisation, a report's
/// `UpdatedDateUTC`): `/Date(1584585851967)/`. Reads every form.
pub mod without_offset {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<XeroDate>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_str(&format!("/Date({})/", d.millis())),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<XeroDate>, D::Error> {
        Option::<XeroDate>::deserialize(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> XeroDate {
        XeroDate::parse(s).unwrap()
    }

    #[test]
    fn wire_forms() {
        assert_eq!(
            d("/Date(1539993600000+0000)/").to_date_string(),
            "2018-10-20T00:00:00"
        );
        assert_eq!(d("/Date(1584585851967)/").millis(), 1584585851967);
        assert_eq!(d("/Date(1539993600000+1300)/").millis(), 1539993600000);
        assert_eq!(
            d("/Date(-86400000+0000)/").to_date_string(),
            "1969-12-31T00:00:00"
        );
        assert_eq!(d("/Date(-86400000)/").millis(), -86400000);
        assert_eq!(
            d("/Date(1539993600000+0000)/").to_wire(),
            "/Date(1539993600000+0000)/"
        );
    }

    #[test]
    fn iso_forms() {
        assert_eq!(d("2026-03-31").to_wire(), "/Date(1774915200000+0000)/");
        assert_eq!(d("2026-03-31T00:00:00"), d("2026-03-31"));
        assert_eq!(d("2019-12-07T18:46:19.5165400").millis() % 1000, 516);
        assert_eq!(d("2026-03-31T00:00:00Z"), d("2026-03-31"));
        for bad in ["", "/Date()/", "/Date(abc)/", "2026-13-01", "31/03/2026"] {
            assert!(XeroDate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn serde_escaped_slashes() {
        let x: XeroDate = serde_json::from_str(r#""\/Date(1539993600000+0000)\/""#).unwrap();
        assert_eq!(
            serde_json::to_string(&x).unwrap(),
            r#""/Date(1539993600000+0000)/""#
        );
    }
}
