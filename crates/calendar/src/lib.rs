//! Civil dates and Unix time: what turns the PC's real-time clock into `CLOCK_REALTIME`, and
//! `CLOCK_REALTIME` back into the line `date` prints.
//!
//! The CMOS real-time clock (RTC) keeps the date as six separate registers (seconds, minutes,
//! hours, day, month, two-digit year), each in binary-coded decimal (BCD) unless status register
//! B says binary, and the hour in a 12-hour form with a PM flag unless register B says 24-hour
//! (Motorola MC146818A datasheet; the kernel's `drivers::rtc` reads them). Unix counts seconds
//! since 1970-01-01 00:00:00 UTC and ignores leap seconds, so a day is always 86,400 seconds and
//! the conversion is pure arithmetic on the proleptic Gregorian calendar: days from a date, and a
//! date from days. That arithmetic is here, away from the ports, where `cargo test` checks it on
//! the host: leap years every 4 years, except centuries, except every 400 years (2000-02-29
//! exists, 2100-02-29 does not).
//!
//! The day-counting uses the era method: shift the year to start in March so that the leap day
//! falls at its end, count whole 400-year eras (146,097 days each, a cycle of the calendar),
//! then the year and the day inside the era. It is exact for every date of a 64-bit day count.

#![no_std]
#![forbid(unsafe_code)]

/// Seconds in a day (Unix time has no leap seconds).
pub const SECONDS_PER_DAY: i64 = 86_400;
/// Days in one 400-year cycle of the Gregorian calendar.
const DAYS_PER_ERA: i64 = 146_097;
/// Days from 0000-03-01 (the start of era 0 in the March-based count) to 1970-01-01.
const UNIX_EPOCH_DAYS: i64 = 719_468;
/// English abbreviations of the weekdays, Sunday first (`tm_wday` order, as `date` prints).
pub const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
/// English abbreviations of the months, January first.
pub const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A moment on the civil calendar, in UTC, to the second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTime {
    /// The full year (2026).
    pub year: i64,
    /// 1 to 12.
    pub month: u32,
    /// 1 to 31.
    pub day: u32,
    /// 0 to 23.
    pub hour: u32,
    /// 0 to 59.
    pub minute: u32,
    /// 0 to 59 (the RTC never shows a leap second's 60).
    pub second: u32,
}

/// Whether `year` has a 29 February.
pub const fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days in `month` (1 to 12) of `year`.
pub const fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given date (negative before it).
pub const fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    // March-based year: January and February count as months 10 and 11 of the year before.
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month as i64 + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day as i64 - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * DAYS_PER_ERA + day_of_era - UNIX_EPOCH_DAYS
}

/// The date `days` days after 1970-01-01, as (year, month, day).
pub const fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + UNIX_EPOCH_DAYS;
    let era = days.div_euclid(DAYS_PER_ERA);
    let day_of_era = days - era * DAYS_PER_ERA;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}

impl DateTime {
    /// Whether every field is in its range (the day within its month).
    pub const fn is_valid(&self) -> bool {
        self.month >= 1
            && self.month <= 12
            && self.day >= 1
            && self.day <= days_in_month(self.year, self.month)
            && self.hour < 24
            && self.minute < 60
            && self.second < 60
    }

    /// Seconds since 1970-01-01 00:00:00 UTC.
    pub const fn unix_seconds(&self) -> i64 {
        days_from_civil(self.year, self.month, self.day) * SECONDS_PER_DAY
            + self.hour as i64 * 3600
            + self.minute as i64 * 60
            + self.second as i64
    }

    /// The moment `seconds` after 1970-01-01 00:00:00 UTC.
    pub const fn from_unix_seconds(seconds: i64) -> DateTime {
        let (year, month, day) = civil_from_days(seconds.div_euclid(SECONDS_PER_DAY));
        let in_day = seconds.rem_euclid(SECONDS_PER_DAY);
        DateTime {
            year,
            month,
            day,
            hour: (in_day / 3600) as u32,
            minute: (in_day / 60 % 60) as u32,
            second: (in_day % 60) as u32,
        }
    }

    /// The day of the week, 0 for Sunday (1970-01-01 was a Thursday, 4).
    pub const fn weekday(&self) -> usize {
        (days_from_civil(self.year, self.month, self.day) + 4).rem_euclid(7) as usize
    }
}

/// `date`'s default form in UTC, as GNU and BusyBox `date` print it in the C locale:
/// `Mon Dec  7 19:33:13 UTC 2026` (the day padded with a space to two places).
impl core::fmt::Display for DateTime {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{} {} {:>2} {:02}:{:02}:{:02} UTC {}",
            WEEKDAYS[self.weekday()],
            MONTHS[(self.month - 1) as usize],
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.year
        )
    }
}

/// A binary-coded decimal byte (`0x59` for 59) as its value; `None` if a nibble is not a digit.
pub const fn bcd_to_binary(bcd: u8) -> Option<u8> {
    let (high, low) = (bcd >> 4, bcd & 0x0f);
    if high > 9 || low > 9 {
        None
    } else {
        Some(high * 10 + low)
    }
}

/// Status register B's bit: the hour is in 24-hour form (else 12-hour with [`RTC_PM`]).
pub const RTC_24_HOUR: u8 = 1 << 1;
/// Status register B's bit: the registers hold binary values (else BCD).
pub const RTC_BINARY: u8 = 1 << 2;
/// In 12-hour form, the hour register's top bit: after noon.
pub const RTC_PM: u8 = 0x80;

/// The RTC's date registers as read from the chip, before decoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtcRegisters {
    /// Register 0x00.
    pub seconds: u8,
    /// Register 0x02.
    pub minutes: u8,
    /// Register 0x04: with [`RTC_PM`] in 12-hour form.
    pub hours: u8,
    /// Register 0x07: day of the month.
    pub day: u8,
    /// Register 0x08.
    pub month: u8,
    /// Register 0x09: the year within its century, 0 to 99.
    pub year: u8,
    /// Register 0x32 on PCs whose ACPI FADT names it (`century` field); `None` if unknown.
    pub century: Option<u8>,
    /// Status register B (0x0B): [`RTC_24_HOUR`], [`RTC_BINARY`].
    pub status_b: u8,
}

/// Why the RTC's registers do not make a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RtcError {
    /// A register claimed to be BCD holds a nibble above 9.
    NotBcd,
    /// A field is out of its range (month 13, 31 April, hour 25, ...).
    OutOfRange,
}

impl RtcRegisters {
    /// The date the registers hold. Without a century register the year is taken to be in
    /// 2000 to 2099, which every PC clock set since 2000 is.
    pub const fn decode(&self) -> Result<DateTime, RtcError> {
        let binary = self.status_b & RTC_BINARY != 0;
        let twelve_hour = self.status_b & RTC_24_HOUR == 0;
        let pm = twelve_hour && self.hours & RTC_PM != 0;
        let hours = if twelve_hour {
            self.hours & !RTC_PM
        } else {
            self.hours
        };
        macro_rules! field {
            ($raw:expr) => {
                if binary {
                    $raw
                } else {
                    match bcd_to_binary($raw) {
                        Some(value) => value,
                        None => return Err(RtcError::NotBcd),
                    }
                }
            };
        }
        let mut hour = field!(hours) as u32;
        if twelve_hour {
            // 12 AM is midnight (0) and 12 PM is noon (12).
            if hour == 0 || hour > 12 {
                return Err(RtcError::OutOfRange);
            }
            hour %= 12;
            if pm {
                hour += 12;
            }
        }
        let century = match self.century {
            Some(raw) => field!(raw) as i64,
            None => 20,
        };
        let year_of_century = field!(self.year);
        let date = DateTime {
            year: century * 100 + year_of_century as i64,
            month: field!(self.month) as u32,
            day: field!(self.day) as u32,
            hour,
            minute: field!(self.minutes) as u32,
            second: field!(self.seconds) as u32,
        };
        if year_of_century > 99 || !date.is_valid() {
            return Err(RtcError::OutOfRange);
        }
        Ok(date)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::format;

    fn at(year: i64, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> DateTime {
        DateTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
        }
    }

    #[test]
    fn leap_years_follow_the_gregorian_rules() {
        assert!(is_leap_year(2024));
        assert!(is_leap_year(2000)); // divisible by 400
        assert!(!is_leap_year(2100)); // a century not divisible by 400
        assert!(!is_leap_year(1900));
        assert!(!is_leap_year(2026));
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(2100, 2), 28);
        assert_eq!(days_in_month(2026, 4), 30);
    }

    #[test]
    fn known_dates_give_known_unix_times() {
        // Values checked with GNU `date -u -d @N` on the host.
        assert_eq!(at(1970, 1, 1, 0, 0, 0).unix_seconds(), 0);
        assert_eq!(at(2000, 1, 1, 0, 0, 0).unix_seconds(), 946_684_800);
        assert_eq!(at(2000, 2, 29, 12, 0, 0).unix_seconds(), 951_825_600);
        assert_eq!(at(2000, 3, 1, 0, 0, 0).unix_seconds(), 951_868_800);
        assert_eq!(at(2038, 1, 19, 3, 14, 7).unix_seconds(), i32::MAX as i64);
        assert_eq!(at(2100, 3, 1, 0, 0, 0).unix_seconds(), 4_107_542_400);
        assert_eq!(at(1969, 12, 31, 23, 59, 59).unix_seconds(), -1);
    }

    #[test]
    fn days_round_trip_across_four_centuries() {
        // Every day from 1900 to 2300, both ways, and each the day after the one before.
        let start = days_from_civil(1900, 1, 1);
        let end = days_from_civil(2300, 1, 1);
        let mut previous = civil_from_days(start - 1);
        for days in start..end {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(days_from_civil(year, month, day), days);
            assert!(
                at(year, month, day, 0, 0, 0).is_valid(),
                "{year}-{month}-{day}"
            );
            let next_of_previous = if previous.2 < days_in_month(previous.0, previous.1) {
                (previous.0, previous.1, previous.2 + 1)
            } else if previous.1 < 12 {
                (previous.0, previous.1 + 1, 1)
            } else {
                (previous.0 + 1, 1, 1)
            };
            assert_eq!((year, month, day), next_of_previous);
            previous = (year, month, day);
        }
        assert_eq!(end - start, 146_097);
    }

    #[test]
    fn the_leap_day_of_2000_exists_and_that_of_2100_does_not() {
        let day = days_from_civil(2000, 2, 29);
        assert_eq!(civil_from_days(day), (2000, 2, 29));
        assert_eq!(civil_from_days(day + 1), (2000, 3, 1));
        let feb_28_2100 = days_from_civil(2100, 2, 28);
        assert_eq!(civil_from_days(feb_28_2100 + 1), (2100, 3, 1));
        assert!(!at(2100, 2, 29, 0, 0, 0).is_valid());
    }

    #[test]
    fn unix_seconds_round_trip_and_weekdays_are_right() {
        for seconds in [
            0,
            1,
            86_399,
            86_400,
            951_825_600,
            1_796_671_993,
            -1,
            -86_401,
        ] {
            assert_eq!(DateTime::from_unix_seconds(seconds).unix_seconds(), seconds);
        }
        assert_eq!(at(1970, 1, 1, 0, 0, 0).weekday(), 4); // Thursday
        assert_eq!(at(2000, 2, 29, 0, 0, 0).weekday(), 2); // Tuesday
        assert_eq!(at(2026, 12, 7, 0, 0, 0).weekday(), 1); // Monday
    }

    #[test]
    fn display_is_dates_default_form() {
        let date = DateTime::from_unix_seconds(1_796_671_993);
        assert_eq!(format!("{date}"), "Mon Dec  7 19:33:13 UTC 2026");
        let date = DateTime::from_unix_seconds(951_825_600);
        assert_eq!(format!("{date}"), "Tue Feb 29 12:00:00 UTC 2000");
    }

    #[test]
    fn bcd_bytes_decode_and_bad_nibbles_are_refused() {
        assert_eq!(bcd_to_binary(0x00), Some(0));
        assert_eq!(bcd_to_binary(0x59), Some(59));
        assert_eq!(bcd_to_binary(0x99), Some(99));
        assert_eq!(bcd_to_binary(0x5a), None);
        assert_eq!(bcd_to_binary(0xa0), None);
    }

    fn registers(hours: u8, status_b: u8) -> RtcRegisters {
        RtcRegisters {
            seconds: 0x13,
            minutes: 0x33,
            hours,
            day: 0x07,
            month: 0x12,
            year: 0x26,
            century: None,
            status_b,
        }
    }

    #[test]
    fn bcd_24_hour_registers_decode() {
        let date = registers(0x19, RTC_24_HOUR).decode();
        assert_eq!(date, Ok(at(2026, 12, 7, 19, 33, 13)));
    }

    #[test]
    fn binary_registers_decode() {
        let binary = RtcRegisters {
            seconds: 13,
            minutes: 33,
            hours: 19,
            day: 7,
            month: 12,
            year: 26,
            century: Some(20),
            status_b: RTC_24_HOUR | RTC_BINARY,
        };
        assert_eq!(binary.decode(), Ok(at(2026, 12, 7, 19, 33, 13)));
    }

    #[test]
    fn twelve_hour_registers_decode_noon_and_midnight() {
        assert_eq!(registers(RTC_PM | 0x07, 0).decode().map(|d| d.hour), Ok(19));
        assert_eq!(registers(0x12, 0).decode().map(|d| d.hour), Ok(0)); // 12 AM
        assert_eq!(registers(RTC_PM | 0x12, 0).decode().map(|d| d.hour), Ok(12)); // 12 PM
        assert_eq!(registers(0x11, 0).decode().map(|d| d.hour), Ok(11));
        let binary_pm = registers(RTC_PM | 7, RTC_BINARY);
        assert_eq!(
            binary_pm.decode().map(|d| d.hour),
            Err(RtcError::OutOfRange)
        );
        let binary_pm = RtcRegisters {
            seconds: 13,
            minutes: 33,
            day: 7,
            month: 12,
            year: 26,
            ..binary_pm
        };
        assert_eq!(binary_pm.decode().map(|d| d.hour), Ok(19));
        assert_eq!(registers(0x00, 0).decode(), Err(RtcError::OutOfRange));
    }

    #[test]
    fn impossible_registers_are_errors() {
        assert_eq!(registers(0x1a, RTC_24_HOUR).decode(), Err(RtcError::NotBcd));
        assert_eq!(
            registers(0x24, RTC_24_HOUR).decode(),
            Err(RtcError::OutOfRange)
        );
        let april_31 = RtcRegisters {
            day: 0x31,
            month: 0x04,
            ..registers(0x10, RTC_24_HOUR)
        };
        assert_eq!(april_31.decode(), Err(RtcError::OutOfRange));
        let leap = RtcRegisters {
            day: 0x29,
            month: 0x02,
            year: 0x00,
            ..registers(0x10, RTC_24_HOUR)
        };
        assert_eq!(leap.decode().map(|d| d.day), Ok(29));
        let century = RtcRegisters {
            century: Some(0x21),
            ..leap
        };
        assert_eq!(century.decode(), Err(RtcError::OutOfRange)); // 2100-02-29
    }
}
