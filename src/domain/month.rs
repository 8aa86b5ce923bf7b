use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ParseError;

/// A calendar month, the unit of every stored number. Ordered by time.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    pub fn new(year: i32, month: u32) -> Result<Self, ParseError> {
        if !(1..=12).contains(&month) {
            return Err(ParseError(format!("month {month} is not between 1 and 12")));
        }
        if !(1900..=9999).contains(&year) {
            return Err(ParseError(format!("year {year} is out of range")));
        }
        Ok(Self { year, month })
    }

    /// Parses `YYYY-MM`.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let t = s.trim();
        let bad = || {
            ParseError(format!(
                "'{t}' is not a month (expected YYYY-MM, such as 2026-03)"
            ))
        };
        let (y, m) = t.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        Self::new(year, month).map_err(|_| bad())
    }

    pub fn of(date: NaiveDate) -> Self {
        Self {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn year(&self) -> i32 {
        self.year
    }

    /// 1 to 12.
    pub fn month(&self) -> u32 {
        self.month
    }

    pub fn first_day(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("validated month")
    }

    pub fn last_day(&self) -> NaiveDate {
        self.next()
            .first_day()
            .pred_opt()
            .expect("not the first day of time")
    }

    pub fn days(&self) -> u32 {
        self.last_day().day()
    }

    pub fn next(&self) -> Self {
        self.plus(1)
    }

    pub fn prev(&self) -> Self {
        self.plus(-1)
    }

    /// The month `n` months later (earlier when negative).
    pub fn plus(&self, n: i32) -> Self {
        let idx = self.index() + n;
        Self {
            year: idx.div_euclid(12),
            month: idx.rem_euclid(12) as u32 + 1,
        }
    }

    /// Months from `self` to `other`: 0 for the same month, negative when
    /// `other` is earlier.
    pub fn months_until(&self, other: Month) -> i32 {
        other.index() - self.index()
    }

    fn index(&self) -> i32 {
        self.year * 12 + self.month as i32 - 1
    }

    /// The last month of the financial year that contains this month, for a
    /// year ending in `fye_month` (1 to 12).
    pub fn financial_year_end(&self, fye_month: u32) -> Month {
        let year = if self.month <= fye_month {
            self.year
        } else {
            self.year + 1
        };
        Month {
            year,
            month: fye_month,
        }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl fmt::Debug for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Month({self})")
    }
}

impl FromStr for Month {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// An inclusive range of whole months, `from` no later than `to`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize)]
pub struct MonthRange {
    from: Month,
    to: Month,
}

impl MonthRange {
    pub fn new(from: Month, to: Month) -> Result<Self, ParseError> {
        if from > to {
            return Err(ParseError(format!(
                "the period starts ({from}) after it ends ({to})"
            )));
        }
        Ok(Self { from, to })
    }

    pub fn single(m: Month) -> Self {
        Self { from: m, to: m }
    }

    pub fn from(&self) -> Month {
        self.from
    }

    pub fn to(&self) -> Month {
        self.to
    }

    pub fn contains(&self, m: Month) -> bool {
        self.from <= m && m <= self.to
    }

    pub fn len(&self) -> usize {
        (self.from.months_until(self.to) + 1) as usize
    }

    /// Never empty; here for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn months(&self) -> impl Iterator<Item = Month> + use<> {
        let from = self.from;
        (0..self.len() as i32).map(move |i| from.plus(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Month {
        Month::parse(s).unwrap()
    }

    #[test]
    fn parse_and_display() {
        assert_eq!(m("2026-03").to_string(), "2026-03");
        for bad in [
            "2026-3", "2026-13", "2026-00", "26-03", "2026/03", "", "abcd-ef",
        ] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn arithmetic_crosses_years() {
        assert_eq!(m("2026-01").prev(), m("2025-12"));
        assert_eq!(m("2025-12").next(), m("2026-01"));
        assert_eq!(m("2026-03").plus(-15), m("2024-12"));
        assert_eq!(m("2025-11").months_until(m("2026-02")), 3);
    }

    #[test]
    fn days_and_bounds() {
        assert_eq!(m("2024-02").days(), 29);
        assert_eq!(m("2026-02").last_day().to_string(), "2026-02-28");
        assert_eq!(m("2026-12").last_day().to_string(), "2026-12-31");
    }

    #[test]
    fn financial_year_end() {
        assert_eq!(m("2026-03").financial_year_end(3), m("2026-03"));
        assert_eq!(m("2026-04").financial_year_end(3), m("2027-03"));
        assert_eq!(m("2026-07").financial_year_end(12), m("2026-12"));
    }

    #[test]
    fn ranges() {
        let r = MonthRange::new(m("2025-11"), m("2026-02")).unwrap();
        assert_eq!(r.len(), 4);
        let all: Vec<String> = r.months().map(|x| x.to_string()).collect();
        assert_eq!(all, ["2025-11", "2025-12", "2026-01", "2026-02"]);
        assert!(MonthRange::new(m("2026-02"), m("2026-01")).is_err());
    }
}
