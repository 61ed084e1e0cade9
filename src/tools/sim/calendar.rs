//! Time and place for the simulator: day numbers, fast RFC 3339 / date formatting, the time-zone mix
//! (with each zone's currency, money scale and phone numbering), and conversions between an instant
//! and a debtor's local wall clock.
//!
//! Internally the simulator counts instants as Unix seconds (`i64`) and calendar dates as days since
//! 1970-01-01 (`i32`); `jiff` resolves the zone rules (DST gaps and folds included).

use std::fmt::Write as _;

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::Timestamp;

pub(crate) const DAY: i64 = 86_400;
pub(crate) const HOUR: i64 = 3_600;

/// How phone numbers look in a zone: country code and national-number patterns.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PhonePlan {
    /// Country calling code, without `+`.
    pub country: &'static str,
    /// Leading digits a mobile or landline national number starts with (one is picked).
    pub prefixes: &'static [&'static str],
    /// Digits in the national number, prefix included.
    pub national_len: usize,
}

/// One zone of the portfolio mix.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ZoneInfo {
    pub name: &'static str,
    pub currency: &'static str,
    /// Minor units of this currency per US cent, roughly (so amounts look local).
    pub scale: f64,
    pub phone: PhonePlan,
    /// Relative share of accounts in this zone.
    pub weight: u32,
}

const fn plan(
    country: &'static str,
    prefixes: &'static [&'static str],
    national_len: usize,
) -> PhonePlan {
    PhonePlan {
        country,
        prefixes,
        national_len,
    }
}

const CN: PhonePlan = plan("86", &["138", "139", "150", "186", "135", "177"], 11);
const US_EAST: PhonePlan = plan("1", &["212", "718", "646", "404", "305", "617"], 10);
const US_CENTRAL: PhonePlan = plan("1", &["312", "773", "214", "713", "612"], 10);
const US_MOUNTAIN: PhonePlan = plan("1", &["303", "720", "801"], 10);
const US_ARIZONA: PhonePlan = plan("1", &["602", "480", "520"], 10);
const US_WEST: PhonePlan = plan("1", &["213", "310", "415", "206", "503"], 10);

/// The zone mix. Half-hour offsets, zones without DST, both hemispheres and the extremes of the
/// offset range (UTC−10 and UTC+14) are all represented on purpose.
pub(crate) const ZONES: &[ZoneInfo] = &[
    ZoneInfo {
        name: "Asia/Shanghai",
        currency: "CNY",
        scale: 7.0,
        phone: CN,
        weight: 28,
    },
    ZoneInfo {
        name: "Asia/Hong_Kong",
        currency: "HKD",
        scale: 7.8,
        phone: plan("852", &["5", "6", "9"], 8),
        weight: 3,
    },
    ZoneInfo {
        name: "America/New_York",
        currency: "USD",
        scale: 1.0,
        phone: US_EAST,
        weight: 16,
    },
    ZoneInfo {
        name: "America/Chicago",
        currency: "USD",
        scale: 1.0,
        phone: US_CENTRAL,
        weight: 9,
    },
    ZoneInfo {
        name: "America/Denver",
        currency: "USD",
        scale: 1.0,
        phone: US_MOUNTAIN,
        weight: 3,
    },
    ZoneInfo {
        name: "America/Phoenix",
        currency: "USD",
        scale: 1.0,
        phone: US_ARIZONA,
        weight: 2,
    },
    ZoneInfo {
        name: "America/Los_Angeles",
        currency: "USD",
        scale: 1.0,
        phone: US_WEST,
        weight: 10,
    },
    ZoneInfo {
        name: "America/Anchorage",
        currency: "USD",
        scale: 1.0,
        phone: plan("1", &["907"], 10),
        weight: 1,
    },
    ZoneInfo {
        name: "Pacific/Honolulu",
        currency: "USD",
        scale: 1.0,
        phone: plan("1", &["808"], 10),
        weight: 2,
    },
    ZoneInfo {
        name: "America/St_Johns",
        currency: "CAD",
        scale: 1.35,
        phone: plan("1", &["709"], 10),
        weight: 1,
    },
    ZoneInfo {
        name: "Europe/London",
        currency: "GBP",
        scale: 0.8,
        phone: plan("44", &["77", "78", "79", "74"], 10),
        weight: 12,
    },
    ZoneInfo {
        name: "Europe/Dublin",
        currency: "EUR",
        scale: 0.92,
        phone: plan("353", &["83", "85", "86", "87"], 9),
        weight: 3,
    },
    ZoneInfo {
        name: "Asia/Kolkata",
        currency: "INR",
        scale: 83.0,
        phone: plan("91", &["98", "99", "70", "81"], 10),
        weight: 4,
    },
    ZoneInfo {
        name: "Australia/Sydney",
        currency: "AUD",
        scale: 1.5,
        phone: plan("61", &["4"], 9),
        weight: 4,
    },
    ZoneInfo {
        name: "Pacific/Kiritimati",
        currency: "AUD",
        scale: 1.5,
        phone: plan("686", &["7"], 8),
        weight: 1,
    },
];

/// The zone rules of [`ZONES`], resolved once.
pub(crate) struct Zones {
    tzs: Vec<TimeZone>,
}

impl Zones {
    pub fn load() -> Zones {
        let tzs = ZONES
            .iter()
            .map(|z| TimeZone::get(z.name).expect("bundled time zone database has every zone"))
            .collect();
        Zones { tzs }
    }

    pub fn tz(&self, zone: u8) -> &TimeZone {
        &self.tzs[zone as usize]
    }

    /// UTC offset of a zone at an instant, in seconds.
    pub fn offset(&self, zone: u8, at: i64) -> i64 {
        i64::from(self.tz(zone).to_offset(ts(at)).seconds())
    }

    /// Local wall clock of an instant: (local day number, seconds since local midnight).
    pub fn local(&self, zone: u8, at: i64) -> (i32, u32) {
        let local = at + self.offset(zone, at);
        (local.div_euclid(DAY) as i32, local.rem_euclid(DAY) as u32)
    }

    pub fn local_day(&self, zone: u8, at: i64) -> i32 {
        self.local(zone, at).0
    }

    /// The instant of a local wall-clock time (a time in a DST gap moves forward, a fold takes
    /// the earlier instant).
    pub fn instant(&self, zone: u8, day: i32, second_of_day: u32) -> i64 {
        let (y, m, d) = civil_from_days(day);
        let s = second_of_day.min(DAY as u32 - 1);
        let dt = DateTime::new(
            y as i16,
            m as i8,
            d as i8,
            (s / 3600) as i8,
            (s / 60 % 60) as i8,
            (s % 60) as i8,
            0,
        )
        .expect("valid civil date-time");
        self.tz(zone)
            .to_ambiguous_timestamp(dt)
            .compatible()
            .map(|t| t.as_second())
            .unwrap_or_else(|_| (i64::from(day) * DAY) + i64::from(s))
    }

    /// The first instant in `[from, to)` at the given local time of day, if any.
    pub fn instant_in(&self, zone: u8, from: i64, to: i64, second_of_day: u32) -> Option<i64> {
        let first = self.local_day(zone, from);
        (first - 1..=first + 1)
            .map(|d| self.instant(zone, d, second_of_day))
            .find(|t| (from..to).contains(t))
    }
}

/// Unix seconds to a `jiff` timestamp.
pub(crate) fn ts(secs: i64) -> Timestamp {
    Timestamp::from_second(secs).expect("simulated instants are in range")
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub(crate) fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe as u32 * 365 + yoe as u32 / 4 - yoe as u32 / 100 + doy;
    era * 146_097 + doe as i32 - 719_468
}

/// Civil date (year, month, day) of a day number.
pub(crate) fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = (z - era * 146_097) as u32;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe as i32 + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

pub(crate) fn days_of(date: Date) -> i32 {
    days_from_civil(
        i32::from(date.year()),
        date.month() as u32,
        date.day() as u32,
    )
}

pub(crate) fn date_of(day: i32) -> Date {
    let (y, m, d) = civil_from_days(day);
    Date::new(y as i16, m as i8, d as i8).expect("simulated dates are in range")
}

/// Day of week, Monday = 0 … Sunday = 6.
pub(crate) fn weekday(day: i32) -> u32 {
    (day + 3).rem_euclid(7) as u32
}

pub(crate) fn days_in_month(y: i32, m: u32) -> u32 {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    (days_from_civil(ny, nm, 1) - days_from_civil(y, m, 1)) as u32
}

/// The day number of day-of-month `dom` (clamped to the month's length) in the month that is
/// `months` after the month of `day`.
pub(crate) fn day_in_month(day: i32, months: i32, dom: u32) -> i32 {
    let (y, m, _) = civil_from_days(day);
    let idx = y * 12 + (m as i32 - 1) + months;
    let (ny, nm) = (idx.div_euclid(12), idx.rem_euclid(12) as u32 + 1);
    days_from_civil(ny, nm, dom.min(days_in_month(ny, nm)))
}

/// The first day on or after `day` whose day of month is `dom` (clamped to short months).
pub(crate) fn next_dom(day: i32, dom: u32) -> i32 {
    let this = day_in_month(day, 0, dom);
    if this >= day {
        this
    } else {
        day_in_month(day, 1, dom)
    }
}

fn push2(s: &mut String, v: u32) {
    s.push(char::from(b'0' + (v / 10 % 10) as u8));
    s.push(char::from(b'0' + (v % 10) as u8));
}

/// Appends `YYYY-MM-DD`.
pub(crate) fn push_date(s: &mut String, day: i32) {
    let (y, m, d) = civil_from_days(day);
    let _ = write!(s, "{y:04}");
    s.push('-');
    push2(s, m);
    s.push('-');
    push2(s, d);
}

/// Appends an RFC 3339 UTC timestamp, `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn push_timestamp(s: &mut String, secs: i64) {
    push_date(s, secs.div_euclid(DAY) as i32);
    let sod = secs.rem_euclid(DAY) as u32;
    s.push('T');
    push2(s, sod / 3600);
    s.push(':');
    push2(s, sod / 60 % 60);
    s.push(':');
    push2(s, sod % 60);
    s.push('Z');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for z in -800_000..800_000 {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(
            weekday(days_from_civil(2026, 1, 5)),
            0,
            "2026-01-05 is a Monday"
        );
    }

    #[test]
    fn formats() {
        let mut s = String::new();
        push_timestamp(&mut s, 1_767_571_200 + 3_723);
        assert_eq!(s, "2026-01-05T01:02:03Z");
        assert_eq!(
            day_in_month(days_from_civil(2026, 1, 31), 1, 31),
            days_from_civil(2026, 2, 28)
        );
        assert_eq!(
            next_dom(days_from_civil(2026, 1, 20), 15),
            days_from_civil(2026, 2, 15)
        );
    }

    #[test]
    fn local_time_matches_jiff() {
        let zones = Zones::load();
        for (i, z) in ZONES.iter().enumerate() {
            let at = 1_780_000_000;
            let want = ts(at).to_zoned(TimeZone::get(z.name).unwrap()).datetime();
            let (day, sod) = zones.local(i as u8, at);
            assert_eq!(date_of(day), want.date());
            assert_eq!(
                sod,
                want.hour() as u32 * 3600 + want.minute() as u32 * 60 + want.second() as u32
            );
            assert_eq!(zones.instant(i as u8, day, sod), at);
        }
    }
}
