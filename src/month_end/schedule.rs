//! A group's pack schedule: "business day N after month end at HH:MM" in a
//! named time zone (IANA, through chrono-tz: daylight saving included), or
//! at a fixed UTC offset (schedules written before time zones, or saved
//! without one). Validation gives an error per field and nothing is stored
//! unless every field is right.

use std::collections::BTreeMap;

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

use crate::domain::Month;
use crate::store::{PackSchedule, ScheduleWrite};

/// The formats a pack can be sent in.
pub const FORMATS: [&str; 3] = ["xlsx", "json", "pdf"];
/// Most recipients of one schedule.
pub const MAX_RECIPIENTS: usize = 50;

/// A schedule as typed in a form or sent to the API.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ScheduleInput {
    pub business_day: String,
    pub send_at: String,
    /// `+13:00`, `-05:00`, `UTC`; not needed with a time zone.
    pub utc_offset: String,
    /// An IANA time zone such as `Pacific/Auckland`; empty for a fixed
    /// offset.
    #[serde(default)]
    pub time_zone: String,
    /// Addresses separated by commas, semicolons or lines.
    pub recipients: String,
    pub formats: Vec<String>,
    pub approval_required: bool,
}

/// Field name to what is wrong with it.
pub type FieldErrors = BTreeMap<&'static str, String>;

/// Checks every field; the schedule to store, or an error per bad field.
pub fn validate(input: &ScheduleInput) -> Result<ScheduleWrite, FieldErrors> {
    let mut errors = FieldErrors::new();
    let business_day = match input.business_day.trim().parse::<i32>() {
        Ok(n) if (1..=20).contains(&n) => n,
        _ => {
            errors.insert(
                "business_day",
                format!(
                    "'{}' is not a business day from 1 to 20",
                    input.business_day.trim()
                ),
            );
            0
        }
    };
    let send_at = match NaiveTime::parse_from_str(input.send_at.trim(), "%H:%M") {
        Ok(t) => t.format("%H:%M").to_string(),
        Err(_) => {
            errors.insert(
                "send_at",
                format!("'{}' is not a time such as 09:00", input.send_at.trim()),
            );
            String::new()
        }
    };
    let zone = input.time_zone.trim();
    let time_zone = if zone.is_empty() {
        None
    } else {
        match zone.parse::<Tz>() {
            Ok(tz) => Some(tz.name().to_string()),
            Err(_) => {
                errors.insert(
                    "time_zone",
                    format!(
                        "'{zone}' is not a time zone name such as Pacific/Auckland or Europe/London"
                    ),
                );
                None
            }
        }
    };
    let utc_offset_minutes = match parse_offset(&input.utc_offset) {
        Some(m) => m,
        // The zone decides; the offset column keeps 0.
        None if !zone.is_empty() && input.utc_offset.trim().is_empty() => 0,
        None => {
            errors.insert(
                "utc_offset",
                format!(
                    "'{}' is not a UTC offset such as +13:00 or -05:00 (between -14:00 and +14:00)",
                    input.utc_offset.trim()
                ),
            );
            0
        }
    };
    let mut recipients: Vec<String> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut bad = Vec::new();
    for r in input
        .recipients
        .split([',', ';', '\n', '\r'])
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        // `cfo@example.com` or `Jo Bloggs <jo@example.com>`.
        match r.parse::<lettre::message::Mailbox>() {
            Ok(mb) => {
                let address = mb.email.to_string();
                if !seen
                    .iter()
                    .any(|x: &String| x.eq_ignore_ascii_case(&address))
                {
                    seen.push(address);
                    recipients.push(mb.to_string());
                }
            }
            Err(_) => bad.push(r.to_string()),
        }
    }
    if !bad.is_empty() {
        errors.insert(
            "recipients",
            format!("not e-mail addresses: {}", bad.join(", ")),
        );
    } else if recipients.is_empty() {
        errors.insert("recipients", "give at least one address".into());
    } else if recipients.len() > MAX_RECIPIENTS {
        errors.insert(
            "recipients",
            format!(
                "at most {MAX_RECIPIENTS} addresses ({} given)",
                recipients.len()
            ),
        );
    }
    let mut formats: Vec<String> = Vec::new();
    for f in &input.formats {
        let f = f.trim().to_ascii_lowercase();
        if !FORMATS.contains(&f.as_str()) {
            errors.insert(
                "formats",
                format!("'{f}' is not one of {}", FORMATS.join(", ")),
            );
        } else if !formats.contains(&f) {
            formats.push(f);
        }
    }
    if formats.is_empty() && !errors.contains_key("formats") {
        errors.insert("formats", "choose at least one format".into());
    }
    // Stored in one order, whatever order they were ticked in.
    formats.sort_by_key(|f| FORMATS.iter().position(|x| x == f));
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ScheduleWrite {
        business_day,
        send_at,
        utc_offset_minutes,
        time_zone,
        recipients,
        formats,
        approval_required: input.approval_required,
    })
}

/// `+13:00`, `-5`, `+0530`, `UTC`: minutes east of UTC.
pub fn parse_offset(raw: &str) -> Option<i32> {
    let s = raw.trim();
    if s.eq_ignore_ascii_case("utc") || s.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let s = s.strip_prefix("UTC").or(s.strip_prefix("utc")).unwrap_or(s);
    let (sign, rest) = match s.chars().next()? {
        '+' => (1, &s[1..]),
        '-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None if rest.len() == 4 => rest.split_at(2),
        None => (rest, "0"),
    };
    let h: i32 = h.parse().ok().filter(|h| (0..=14).contains(h))?;
    let m: i32 = m.parse().ok().filter(|m| [0, 15, 30, 45].contains(m))?;
    let total = sign * (h * 60 + m);
    (-840..=840).contains(&total).then_some(total)
}

/// An offset in minutes as `+13:00`.
pub fn offset_text(minutes: i32) -> String {
    format!(
        "{}{:02}:{:02}",
        if minutes < 0 { '-' } else { '+' },
        minutes.abs() / 60,
        minutes.abs() % 60
    )
}

/// The `n`th weekday (Monday to Friday; public holidays are not known) on
/// or after the first day after `month`.
pub fn business_day(month: Month, n: i32) -> NaiveDate {
    let mut day = month.next().first_day();
    let mut counted = 0;
    loop {
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            counted += 1;
            if counted >= n {
                return day;
            }
        }
        day = day.succ_opt().unwrap_or(day);
    }
}

/// The schedule's named zone, if it has one (checked when it was saved).
fn zone_of(s: &PackSchedule) -> Option<Tz> {
    s.time_zone.as_deref().and_then(|z| z.parse::<Tz>().ok())
}

/// A local wall-clock time in a zone, in UTC. A time that a daylight-saving
/// change skips (02:30 on the night clocks go forward) is taken as the same
/// time an hour later, when the clock shows it again; a time that happens
/// twice (clocks go back) is its first occurrence.
pub fn local_to_utc(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let mut at = local;
    for _ in 0..4 {
        if let Some(t) = tz.from_local_datetime(&at).earliest() {
            return t.with_timezone(&Utc);
        }
        at += Duration::minutes(60);
    }
    local.and_utc()
}

/// When a month's pack is due, in UTC.
pub fn due_at(s: &PackSchedule, month: Month) -> DateTime<Utc> {
    let time = NaiveTime::parse_from_str(&s.send_at, "%H:%M").unwrap_or_default();
    let local = business_day(month, s.business_day).and_time(time);
    match zone_of(s) {
        Some(tz) => local_to_utc(tz, local),
        None => (local - Duration::minutes(i64::from(s.utc_offset_minutes))).and_utc(),
    }
}

/// The latest month whose pack is due at `now`.
pub fn due_month(s: &PackSchedule, now: DateTime<Utc>) -> Month {
    let local = match zone_of(s) {
        Some(tz) => now.with_timezone(&tz).naive_local(),
        None => (now + Duration::minutes(i64::from(s.utc_offset_minutes))).naive_utc(),
    };
    let mut m = Month::of(local.date()).prev();
    // Business day 20 can fall in the second month after; three steps back
    // always reach a due month.
    for _ in 0..3 {
        if due_at(s, m) <= now {
            return m;
        }
        m = m.prev();
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ScheduleInput {
        ScheduleInput {
            business_day: "3".into(),
            send_at: "09:00".into(),
            utc_offset: "+13:00".into(),
            time_zone: String::new(),
            recipients: "cfo@example.com\nBoard <board@example.org>; CFO@example.com".into(),
            formats: vec!["json".into(), "xlsx".into()],
            approval_required: true,
        }
    }

    fn schedule(day: i32, at: &str, offset: i32) -> PackSchedule {
        PackSchedule {
            id: 1,
            group_id: 1,
            business_day: day,
            send_at: at.into(),
            utc_offset_minutes: offset,
            time_zone: None,
            recipients: String::new(),
            formats: String::new(),
            approval_required: false,
            owner_id: None,
            owner_email: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn a_good_schedule_is_normalised() {
        let s = validate(&input()).unwrap();
        assert_eq!(s.business_day, 3);
        assert_eq!(s.utc_offset_minutes, 13 * 60);
        assert_eq!(
            s.recipients,
            ["cfo@example.com", "Board <board@example.org>"]
        );
        assert_eq!(s.formats, ["xlsx", "json"]);
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = ScheduleInput {
            business_day: "0".into(),
            send_at: "25:00".into(),
            utc_offset: "+15:00".into(),
            time_zone: String::new(),
            recipients: "cfo@example.com, not an address".into(),
            formats: vec!["docx".into()],
            approval_required: false,
        };
        let e = validate(&bad).unwrap_err();
        assert_eq!(
            e.keys().copied().collect::<Vec<_>>(),
            [
                "business_day",
                "formats",
                "recipients",
                "send_at",
                "utc_offset"
            ]
        );
        assert!(e["recipients"].contains("not an address"));
    }

    #[test]
    fn business_days_skip_weekends() {
        // November 2026 ends on a Monday; 1 December is a Tuesday.
        let nov = Month::new(2026, 11).unwrap();
        assert_eq!(
            business_day(nov, 1),
            NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
        );
        assert_eq!(
            business_day(nov, 4),
            NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()
        );
        // The 5th business day skips Saturday 5 and Sunday 6 December.
        assert_eq!(
            business_day(nov, 5),
            NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
        );
        // 1 August 2026 is a Saturday: business day 1 of July's pack is Monday 3.
        let jul = Month::new(2026, 7).unwrap();
        assert_eq!(
            business_day(jul, 1),
            NaiveDate::from_ymd_opt(2026, 8, 3).unwrap()
        );
    }

    #[test]
    fn the_due_time_is_local_to_the_offset() {
        // Business day 2 of December 2026 is Wednesday 2 December; 09:00 at
        // +13:00 is 20:00 UTC on Tuesday 1 December.
        let s = schedule(2, "09:00", 13 * 60);
        let nov = Month::new(2026, 11).unwrap();
        let due = due_at(&s, nov);
        assert_eq!(due.to_rfc3339(), "2026-12-01T20:00:00+00:00");
        assert_eq!(due_month(&s, due), nov);
        assert_eq!(due_month(&s, due - Duration::seconds(1)), nov.prev());
        let west = schedule(1, "17:30", -300);
        assert_eq!(due_at(&west, nov).to_rfc3339(), "2026-12-01T22:30:00+00:00");
    }

    fn in_zone(day: i32, at: &str, zone: &str) -> PackSchedule {
        PackSchedule {
            time_zone: Some(zone.into()),
            ..schedule(day, at, 0)
        }
    }

    /// New Zealand's daylight saving (Time Act 1974 and the Daylight Time
    /// Order 2007): NZDT (UTC+13) from 02:00 NZST on the last Sunday of
    /// September to 03:00 NZDT on the first Sunday of April; NZST (UTC+12)
    /// otherwise. Expected times below are worked out from that rule by
    /// hand.
    #[test]
    fn auckland_schedules_follow_daylight_saving() {
        // August 2026 ends in winter: business day 1 is Tuesday 1 September,
        // 09:00 NZST (+12) = 21:00 UTC on Monday 31 August.
        let s = in_zone(1, "09:00", "Pacific/Auckland");
        let aug = Month::new(2026, 8).unwrap();
        assert_eq!(due_at(&s, aug).to_rfc3339(), "2026-08-31T21:00:00+00:00");
        // September 2026: daylight saving starts on Sunday 27 September
        // (the last Sunday), so Thursday 1 October 09:00 is NZDT (+13) =
        // 20:00 UTC on Wednesday 30 September: an hour earlier in UTC.
        let sep = Month::new(2026, 9).unwrap();
        assert_eq!(due_at(&s, sep).to_rfc3339(), "2026-09-30T20:00:00+00:00");
        assert_eq!(due_month(&s, due_at(&s, sep)), sep);
        assert_eq!(
            due_month(&s, due_at(&s, sep) - Duration::seconds(1)),
            aug,
            "a second before it, August's pack is the latest due"
        );
        // March 2027: daylight saving ends on Sunday 4 April 2027 (the first
        // Sunday). Business day 1 is Thursday 1 April, still NZDT: 09:00 is
        // 20:00 UTC on 31 March. Business day 3 is Monday 5 April, NZST:
        // 09:00 is 21:00 UTC on Sunday 4 April.
        let mar = Month::new(2027, 3).unwrap();
        assert_eq!(due_at(&s, mar).to_rfc3339(), "2027-03-31T20:00:00+00:00");
        let day3 = in_zone(3, "09:00", "Pacific/Auckland");
        assert_eq!(due_at(&day3, mar).to_rfc3339(), "2027-04-04T21:00:00+00:00");
        // Old schedules with only an offset keep it.
        assert_eq!(
            due_at(&schedule(1, "09:00", 13 * 60), aug).to_rfc3339(),
            "2026-08-31T20:00:00+00:00"
        );
    }

    #[test]
    fn a_skipped_local_time_is_taken_when_the_clock_shows_it() {
        // 02:30 on Sunday 27 September 2026 does not exist in Auckland
        // (02:00 NZST becomes 03:00 NZDT): 03:30 NZDT = 14:30 UTC on the 26th.
        let t = NaiveDate::from_ymd_opt(2026, 9, 27)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        assert_eq!(
            local_to_utc(chrono_tz::Pacific::Auckland, t).to_rfc3339(),
            "2026-09-26T14:30:00+00:00"
        );
    }

    #[test]
    fn a_time_zone_is_checked_by_name() {
        let mut i = input();
        i.time_zone = "Pacific/Auckland".into();
        i.utc_offset = String::new();
        let s = validate(&i).unwrap();
        assert_eq!(s.time_zone.as_deref(), Some("Pacific/Auckland"));
        assert_eq!(s.utc_offset_minutes, 0);
        i.time_zone = "Pacific/Atlantis".into();
        let e = validate(&i).unwrap_err();
        assert_eq!(e.keys().copied().collect::<Vec<_>>(), ["time_zone"]);
        assert!(e["time_zone"].contains("Pacific/Atlantis"), "{e:?}");
    }

    #[test]
    fn offsets_are_read_in_several_forms() {
        assert_eq!(parse_offset("UTC"), Some(0));
        assert_eq!(parse_offset("+05:30"), Some(330));
        assert_eq!(parse_offset("-0500"), Some(-300));
        assert_eq!(parse_offset("UTC+13"), Some(780));
        assert_eq!(parse_offset("13:00"), None);
        assert_eq!(parse_offset("+14:30"), None);
        assert_eq!(offset_text(-300), "-05:00");
    }
}
