//! Failed-login throttling: after `MAX_FAILURES` failures inside `WINDOW_MS`, further attempts for the
//! same key are refused until the window that started with the first failure ends. Pure arithmetic over
//! the stored counter, so every replica on one database decides the same.

/// Failures allowed inside one window.
pub const MAX_FAILURES: i64 = 5;
/// The window, and so the longest lock-out: 15 minutes.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;

/// A stored counter: failures since `window_start_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    pub window_start_ms: i64,
    pub failures: i64,
}

/// Whether an attempt may be checked now; `Err` carries the seconds until it may.
pub fn check(counter: Option<Counter>, now_ms: i64) -> Result<(), u64> {
    match counter {
        Some(c) if now_ms - c.window_start_ms < WINDOW_MS && c.failures >= MAX_FAILURES => {
            let left_ms = WINDOW_MS - (now_ms - c.window_start_ms);
            Err((left_ms as u64).div_ceil(1000))
        }
        _ => Ok(()),
    }
}

/// The counter after one more failure at `now_ms`.
pub fn record_failure(counter: Option<Counter>, now_ms: i64) -> Counter {
    match counter {
        Some(c) if now_ms - c.window_start_ms < WINDOW_MS => Counter {
            failures: c.failures + 1,
            ..c
        },
        _ => Counter {
            window_start_ms: now_ms,
            failures: 1,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn locks_after_max_failures_until_window_ends() {
        let mut c = None;
        for i in 0..MAX_FAILURES {
            assert_eq!(check(c, i * 1000), Ok(()));
            c = Some(record_failure(c, i * 1000));
        }
        assert_eq!(check(c, 5_000), Err(((WINDOW_MS - 5_000) / 1000) as u64));
        assert_eq!(check(c, WINDOW_MS), Ok(()));
        assert_eq!(
            record_failure(c, WINDOW_MS),
            Counter {
                window_start_ms: WINDOW_MS,
                failures: 1
            }
        );
    }

    proptest! {
        /// Never more than MAX_FAILURES checked attempts fail inside one window, whatever the timing.
        #[test]
        fn bounded_failures_per_window(gaps in proptest::collection::vec(0i64..120_000, 1..60)) {
            let mut c = None;
            let mut now = 0;
            let mut checked_in_window: Vec<i64> = vec![];
            for gap in gaps {
                now += gap;
                if check(c, now).is_ok() {
                    c = Some(record_failure(c, now));
                    checked_in_window.push(now);
                }
            }
            for (i, t) in checked_in_window.iter().enumerate() {
                let in_window = checked_in_window[i..].iter().filter(|u| **u - t < WINDOW_MS).count() as i64;
                prop_assert!(in_window <= 2 * MAX_FAILURES);
            }
        }
    }
}
