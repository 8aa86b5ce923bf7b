//! The report periods a finance team asks for, in the group's financial
//! year: quick picks (last month, last quarter, year to date...) and the
//! named months, quarters and financial years of the period picker. Pure:
//! the last complete month comes in, so tests can pin the date.

use crate::domain::{Month, MonthRange};

const SHORT_MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A quick pick shown as a link.
pub struct Preset {
    pub label: &'static str,
    pub from: Month,
    pub to: Month,
}

/// A named period of the picker; its value is `YYYY-MM:YYYY-MM`.
pub struct Choice {
    pub label: String,
    pub value: String,
}

/// An `<optgroup>` of the picker.
pub struct ChoiceGroup {
    pub label: &'static str,
    pub choices: Vec<Choice>,
}

fn short(m: Month) -> String {
    format!("{} {}", SHORT_MONTHS[(m.month() - 1) as usize], m.year())
}

fn long(m: Month) -> String {
    let name = super::groups::MONTH_NAMES[(m.month() - 1) as usize];
    format!("{name} {}", m.year())
}

/// "Apr 2026 to Jun 2026", or "Jan 2026" for one month.
fn span(from: Month, to: Month) -> String {
    if from == to {
        short(from)
    } else {
        format!("{} to {}", short(from), short(to))
    }
}

fn choice(label: String, from: Month, to: Month) -> Choice {
    Choice {
        label,
        value: format!("{from}:{to}"),
    }
}

/// The first month of the financial year that ends with `fy_end`.
fn fy_start(fy_end: Month) -> Month {
    fy_end.plus(-11)
}

/// "FY2027" for the year ending in a month of 2027, as Xero and most
/// finance teams name it.
fn fy_name(fy_end: Month) -> String {
    format!("FY{}", fy_end.year())
}

/// The last complete quarter of the financial year (quarters start with the
/// financial year, not in January) up to `last`.
fn last_quarter(last: Month, fye: u32) -> (Month, Month) {
    let start = fy_start(last.financial_year_end(fye));
    let into_year = start.months_until(last);
    let q_end = start.plus(into_year / 3 * 3 + 2);
    let q_end = if q_end == last { q_end } else { q_end.plus(-3) };
    (q_end.plus(-2), q_end)
}

/// The quick picks, `last` being the last complete month.
pub fn presets(last: Month, fye: u32) -> Vec<Preset> {
    let this_fy_start = fy_start(last.financial_year_end(fye));
    let (q_from, q_to) = last_quarter(last, fye);
    vec![
        Preset {
            label: "Last month",
            from: last,
            to: last,
        },
        Preset {
            label: "Last quarter",
            from: q_from,
            to: q_to,
        },
        Preset {
            label: "Year to date",
            from: this_fy_start,
            to: last,
        },
        Preset {
            label: "Last financial year",
            from: this_fy_start.plus(-12),
            to: this_fy_start.prev(),
        },
        Preset {
            label: "Last 12 months",
            from: last.plus(-11),
            to: last,
        },
    ]
}

/// The picker's named periods, newest first: this financial year to date
/// and the three before it, the last eight complete quarters, and the last
/// 24 months. Nothing ends after `last`.
pub fn choices(last: Month, fye: u32) -> Vec<ChoiceGroup> {
    let this_fy_end = last.financial_year_end(fye);
    let mut years = Vec::new();
    if this_fy_end == last {
        years.push(choice(
            format!("{} ({})", fy_name(last), span(fy_start(last), last)),
            fy_start(last),
            last,
        ));
    } else {
        let from = fy_start(this_fy_end);
        years.push(choice(
            format!("{} to date ({})", fy_name(this_fy_end), span(from, last)),
            from,
            last,
        ));
    }
    let mut fy_end = fy_start(this_fy_end).prev();
    while years.len() < 4 {
        let from = fy_start(fy_end);
        years.push(choice(
            format!("{} ({})", fy_name(fy_end), span(from, fy_end)),
            from,
            fy_end,
        ));
        fy_end = from.prev();
    }

    let (mut q_from, mut q_to) = last_quarter(last, fye);
    let mut quarters = Vec::new();
    for _ in 0..8 {
        let fy_end = q_to.financial_year_end(fye);
        let number = fy_start(fy_end).months_until(q_from) / 3 + 1;
        quarters.push(choice(
            format!("Q{number} {} ({})", fy_name(fy_end), span(q_from, q_to)),
            q_from,
            q_to,
        ));
        q_from = q_from.plus(-3);
        q_to = q_to.plus(-3);
    }

    let months = (0..24)
        .map(|i| {
            let m = last.plus(-i);
            choice(long(m), m, m)
        })
        .collect();

    vec![
        ChoiceGroup {
            label: "Financial years",
            choices: years,
        },
        ChoiceGroup {
            label: "Quarters",
            choices: quarters,
        },
        ChoiceGroup {
            label: "Months",
            choices: months,
        },
    ]
}

/// The longest period a report or the dashboard covers.
const MAX_MONTHS: usize = 120;

/// `range`, unless it is longer than a report may be.
pub fn within_limit(range: MonthRange) -> Result<MonthRange, String> {
    if range.len() > MAX_MONTHS {
        return Err("Choose a period of at most ten years.".into());
    }
    Ok(range)
}

/// Parses a picker value `YYYY-MM:YYYY-MM` (at most [`MAX_MONTHS`] long).
pub fn parse_choice(value: &str) -> Result<MonthRange, String> {
    let (from, to) = value
        .split_once(':')
        .ok_or_else(|| format!("'{value}' is not a period (expected YYYY-MM:YYYY-MM)"))?;
    let from = Month::parse(from).map_err(|e| e.to_string())?;
    let to = Month::parse(to).map_err(|e| e.to_string())?;
    within_limit(MonthRange::new(from, to).map_err(|e| e.to_string())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Month {
        Month::parse(s).unwrap()
    }

    fn preset(last: &str, fye: u32, label: &str) -> (String, String) {
        let p = presets(m(last), fye)
            .into_iter()
            .find(|p| p.label == label)
            .unwrap();
        (p.from.to_string(), p.to.to_string())
    }

    fn pair(a: &str, b: &str) -> (String, String) {
        (a.to_string(), b.to_string())
    }

    #[test]
    fn quarters_follow_the_financial_year() {
        // A year ending in March: quarters are Apr-Jun, Jul-Sep, Oct-Dec, Jan-Mar.
        assert_eq!(
            preset("2026-11", 3, "Last quarter"),
            pair("2026-07", "2026-09")
        );
        assert_eq!(
            preset("2026-12", 3, "Last quarter"),
            pair("2026-10", "2026-12")
        );
        // A year ending in June: Jul-Sep, Oct-Dec, Jan-Mar, Apr-Jun.
        assert_eq!(
            preset("2026-11", 6, "Last quarter"),
            pair("2026-07", "2026-09")
        );
        // A year ending in January: Feb-Apr, May-Jul, Aug-Oct, Nov-Jan.
        assert_eq!(
            preset("2026-11", 1, "Last quarter"),
            pair("2026-08", "2026-10")
        );
        assert_eq!(
            preset("2027-01", 1, "Last quarter"),
            pair("2026-11", "2027-01")
        );
        // Calendar years.
        assert_eq!(
            preset("2026-03", 12, "Last quarter"),
            pair("2026-01", "2026-03")
        );
        assert_eq!(
            preset("2026-02", 12, "Last quarter"),
            pair("2025-10", "2025-12")
        );
    }

    #[test]
    fn year_to_date_and_last_year_follow_the_year_end() {
        assert_eq!(
            preset("2026-11", 3, "Year to date"),
            pair("2026-04", "2026-11")
        );
        assert_eq!(
            preset("2026-11", 3, "Last financial year"),
            pair("2025-04", "2026-03")
        );
        // The last month of a year: the year to date is the whole year.
        assert_eq!(
            preset("2026-03", 3, "Year to date"),
            pair("2025-04", "2026-03")
        );
        assert_eq!(
            preset("2026-11", 12, "Last financial year"),
            pair("2025-01", "2025-12")
        );
        assert_eq!(
            preset("2026-11", 3, "Last month"),
            pair("2026-11", "2026-11")
        );
    }

    #[test]
    fn the_picker_names_years_quarters_and_months() {
        let groups = choices(m("2026-11"), 3);
        let labels: Vec<Vec<&str>> = groups
            .iter()
            .map(|g| g.choices.iter().map(|c| c.label.as_str()).collect())
            .collect();
        assert_eq!(
            labels[0],
            [
                "FY2027 to date (Apr 2026 to Nov 2026)",
                "FY2026 (Apr 2025 to Mar 2026)",
                "FY2025 (Apr 2024 to Mar 2025)",
                "FY2024 (Apr 2023 to Mar 2024)",
            ]
        );
        assert_eq!(labels[1][0], "Q2 FY2027 (Jul 2026 to Sep 2026)");
        assert_eq!(labels[1][1], "Q1 FY2027 (Apr 2026 to Jun 2026)");
        assert_eq!(labels[1][2], "Q4 FY2026 (Jan 2026 to Mar 2026)");
        assert_eq!(labels[1].len(), 8);
        assert_eq!(labels[2][0], "November 2026");
        assert_eq!(labels[2].len(), 24);
        assert_eq!(groups[1].choices[2].value, "2026-01:2026-03");
        // Every value parses back to its period, and none ends in the future.
        for c in groups.iter().flat_map(|g| &g.choices) {
            let r = parse_choice(&c.value).unwrap();
            assert!(r.to() <= m("2026-11"), "{}", c.label);
        }
    }

    #[test]
    fn a_calendar_year_is_named_once_complete() {
        let groups = choices(m("2026-12"), 12);
        assert_eq!(groups[0].choices[0].label, "FY2026 (Jan 2026 to Dec 2026)");
        assert_eq!(groups[0].choices[0].value, "2026-01:2026-12");
        assert_eq!(
            groups[1].choices[0].label,
            "Q4 FY2026 (Oct 2026 to Dec 2026)"
        );
    }

    #[test]
    fn bad_choices_are_refused() {
        assert!(parse_choice("2026-13:2027-01").is_err());
        assert!(parse_choice("2026-05").is_err());
        assert!(parse_choice("2026-05:2026-01").is_err());
        assert!(parse_choice("2010-01:2019-12").is_ok());
        assert!(parse_choice("2010-01:2020-01").is_err(), "over ten years");
    }
}
