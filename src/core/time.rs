//! Clocks. Every delay in mockingbird goes through a tenant's clock, so a test can freeze time,
//! advance it and see everything that fell due happen in order, without sleeping.
//!
//! Times are milliseconds since the Unix epoch (UTC) in an `i64`, the form they are stored in.

use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, NaiveDate, Utc};

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// The wall clock, in milliseconds.
pub fn wall_now() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or_default()
}

/// One tenant's clock: real time shifted by an offset, or frozen at an instant that only moves
/// when a test advances it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockMode {
    /// Real time plus `offset` ms. The offset keeps time continuous when a frozen clock resumes.
    Running { offset: Millis },
    /// Time stands still at `now` until advanced.
    Frozen { now: Millis },
}

impl Default for ClockMode {
    fn default() -> Self {
        ClockMode::Running { offset: 0 }
    }
}

impl ClockMode {
    /// The tenant's current time.
    pub fn now(&self) -> Millis {
        match *self {
            ClockMode::Running { offset } => wall_now() + offset,
            ClockMode::Frozen { now } => now,
        }
    }

    /// The wall-clock instant at which tenant time `at` arrives, or `None` while frozen.
    pub fn wall_time_of(&self, at: Millis) -> Option<Millis> {
        match *self {
            ClockMode::Running { offset } => Some(at - offset),
            ClockMode::Frozen { .. } => None,
        }
    }
}

/// RFC 2822 as Twilio writes it: two-digit day and a literal `+0000` (Java's SDK parses exactly
/// `EEE, dd MMM yyyy HH:mm:ss Z` and silently yields null on anything else).
pub fn rfc2822(at: Millis) -> String {
    to_datetime(at)
        .format("%a, %d %b %Y %H:%M:%S +0000")
        .to_string()
}

/// ISO 8601 with a `Z`, as the seed's `/health` reports its timestamp.
pub fn iso8601(at: Millis) -> String {
    to_datetime(at).format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Twilio's `RawDlrDoneDate`: `YYMMDDhhmm`, minute precision, no zone.
pub fn dlr_done_date(at: Millis) -> String {
    to_datetime(at).format("%y%m%d%H%M").to_string()
}

pub fn to_datetime(at: Millis) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(at).unwrap_or_default()
}

/// The calendar date of a filter value. Twilio documents `YYYY-MM-DD` but the SDKs send full
/// timestamps (`2024-01-02T00:00:00Z`), and the spec's examples show RFC 2822 and US forms too;
/// Twilio compares on the date alone.
pub fn parse_filter_date(value: &str) -> Option<NaiveDate> {
    let value = value.trim();
    if let Ok(date) = NaiveDate::parse_from_str(value.get(..10).unwrap_or(value), "%Y-%m-%d") {
        return Some(date);
    }
    if let Ok(at) = DateTime::parse_from_rfc2822(value) {
        return Some(at.date_naive());
    }
    NaiveDate::parse_from_str(value.get(..10).unwrap_or(value), "%m/%d/%Y").ok()
}

/// Milliseconds at the start of `date` (UTC).
pub fn start_of_day(date: NaiveDate) -> Millis {
    date.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_millis())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2822_matches_twilio() {
        // 2023-08-24T05:01:45Z
        assert_eq!(
            rfc2822(1_692_853_305_000),
            "Thu, 24 Aug 2023 05:01:45 +0000"
        );
        assert_eq!(
            rfc2822(1_699_000_000_000),
            "Fri, 03 Nov 2023 08:26:40 +0000"
        );
        assert_eq!(dlr_done_date(1_692_853_305_000), "2308240501");
    }

    #[test]
    fn filter_dates_accept_the_forms_sdks_send() {
        let day = NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
        assert_eq!(parse_filter_date("2024-01-02"), Some(day));
        assert_eq!(parse_filter_date("2024-01-02T00:00:00Z"), Some(day));
        assert_eq!(
            parse_filter_date("Tue, 02 Jan 2024 22:04:00 -0000"),
            Some(day)
        );
        assert_eq!(parse_filter_date("01/02/2024 22:05:25 MST"), Some(day));
        assert_eq!(parse_filter_date("yesterday"), None);
    }

    #[test]
    fn frozen_clocks_stand_still() {
        let clock = ClockMode::Frozen { now: 42 };
        assert_eq!(clock.now(), 42);
        assert_eq!(clock.wall_time_of(50), None);
        let running = ClockMode::Running { offset: 1000 };
        assert_eq!(running.wall_time_of(5000), Some(4000));
    }
}
