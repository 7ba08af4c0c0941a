//! Virtual time, shared by the simulator and the sans-IO protocol code.
//!
//! `Time` is a point on a clock that starts at zero, counted in whole microseconds. Nothing
//! here reads a wall clock: the simulator advances it, and the live adapters (`serve`,
//! `probe`) convert their own monotonic clock into it. Durations are `std::time::Duration`.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, Sub};
use std::time::Duration;

/// A point in virtual time: microseconds since the start of the run.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Time(u64);

impl Time {
    pub const ZERO: Time = Time(0);

    pub const fn from_micros(us: u64) -> Time {
        Time(us)
    }

    /// (Saturates: a number of milliseconds from a file cannot wrap around.)
    pub const fn from_millis(ms: u64) -> Time {
        Time(ms.saturating_mul(1_000))
    }

    /// (Saturates, like `from_millis`.)
    pub const fn from_secs(s: u64) -> Time {
        Time(s.saturating_mul(1_000_000))
    }

    pub const fn micros(self) -> u64 {
        self.0
    }

    pub fn secs_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }

    /// Time elapsed since `earlier` (zero if `earlier` is later).
    pub fn since(self, earlier: Time) -> Duration {
        Duration::from_micros(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Time {
    type Output = Time;
    fn add(self, d: Duration) -> Time {
        Time(
            self.0
                .saturating_add(u64::try_from(d.as_micros()).unwrap_or(u64::MAX)),
        )
    }
}

impl Sub<Time> for Time {
    type Output = Duration;
    fn sub(self, rhs: Time) -> Duration {
        self.since(rhs)
    }
}

impl fmt::Display for Time {
    /// Seconds with millisecond precision: `12.345s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:03}s",
            self.0 / 1_000_000,
            (self.0 % 1_000_000) / 1_000
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_and_display() {
        let t = Time::from_millis(1500) + Duration::from_millis(250);
        assert_eq!(t.micros(), 1_750_000);
        assert_eq!(t.to_string(), "1.750s");
        assert_eq!(t - Time::from_secs(1), Duration::from_millis(750));
        assert_eq!(Time::ZERO - t, Duration::ZERO);
        assert_eq!(Time::from_secs(18_446_744_073_710).micros(), u64::MAX);
    }
}
