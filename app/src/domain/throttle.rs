//! Failed-login throttling: the rules that decide whether a login attempt may have its password checked.
//! Every attempt reserves a place on three counters *before* the slow password check, and a refusal
//! reserves nothing: the name tried from one address (at most [`MAX_FAILURES`] in [`WINDOW_MS`]), every
//! name tried from one address (at most [`ADDRESS_MAX_FAILURES`] in the same window, which bounds the
//! checks spent on names nobody has), and the name from any address (after [`NAME_FREE_FAILURES`] the
//! next attempt waits a delay that doubles with each failure, capped at [`MAX_DELAY_MS`], so that many
//! addresses can slow an account down but never lock its owner out for long). A success gives its
//! reservations back and clears the name-and-address counter. Names are accounts when they exist and
//! the name as typed otherwise, so known and unknown names are throttled alike. The arithmetic is pure,
//! so every replica on one database decides the same; the store makes the read-decide-write atomic.

use std::net::{IpAddr, Ipv6Addr};

/// Failures allowed for one name from one address inside one window.
pub const MAX_FAILURES: i64 = 5;
/// The window of the per-address counters, and so the longest wait they impose: 15 minutes.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;
/// Failures allowed from one address inside one window, whatever names they try.
pub const ADDRESS_MAX_FAILURES: i64 = 50;
/// Failures of one name, from any address, before attempts have to wait.
pub const NAME_FREE_FAILURES: i64 = 10;
/// The first wait after [`NAME_FREE_FAILURES`] failures; each further failure doubles it.
pub const FIRST_DELAY_MS: i64 = 2_000;
/// The longest wait one name's failures from many addresses can impose: 5 minutes.
pub const MAX_DELAY_MS: i64 = 5 * 60 * 1000;

/// A stored counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    /// Attempts reserved and not given back: failures, plus checks still running.
    pub failures: i64,
    /// When the current window began (window rules).
    pub window_start_ms: i64,
    /// No attempt before this time (delay rules).
    pub not_before_ms: i64,
    /// When the counter may be forgotten; a counter past it counts as absent.
    pub expires_ms: i64,
}

/// How a counter limits attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// At most `max` attempts in a window that starts with the first of them.
    Window { max: i64, window_ms: i64 },
    /// `free` attempts, then each waits `first_delay_ms` doubled per failure beyond `free`, at most
    /// `max_delay_ms`; forgotten `reset_ms` after the last wait ends.
    Delay {
        free: i64,
        first_delay_ms: i64,
        max_delay_ms: i64,
        reset_ms: i64,
    },
}

/// One name from one address.
pub const NAME_AT_ADDRESS: Rule = Rule::Window {
    max: MAX_FAILURES,
    window_ms: WINDOW_MS,
};
/// Every name from one address.
pub const ADDRESS: Rule = Rule::Window {
    max: ADDRESS_MAX_FAILURES,
    window_ms: WINDOW_MS,
};
/// One name from every address.
pub const NAME: Rule = Rule::Delay {
    free: NAME_FREE_FAILURES,
    first_delay_ms: FIRST_DELAY_MS,
    max_delay_ms: MAX_DELAY_MS,
    reset_ms: WINDOW_MS,
};

/// Logins started through identity providers from one address in a window: each keeps a row for
/// ten minutes until the provider answers, so that an anonymous caller cannot fill the database
/// (an office behind one address still has room for everyone at nine o'clock).
pub const SSO_STARTS: Rule = Rule::Window {
    max: 300,
    window_ms: WINDOW_MS,
};

/// The counter of logins started through identity providers from this address.
pub fn sso_starts_key(client_ip: &str) -> String {
    format!("sso:{}", address_key(client_ip))
}

/// Seconds until `later_ms`, rounded up, at least one and at most `longest_ms` (replicas' clocks, or
/// attempts that read the clock just before another, may be a little behind the stored times).
fn secs_until(later_ms: i64, now_ms: i64, longest_ms: i64) -> u64 {
    ((later_ms - now_ms).clamp(1, longest_ms.max(1)) as u64).div_ceil(1000)
}

/// The wait after `beyond` failures past the free ones: doubling from `first`, at most `max`.
pub fn delay_ms(beyond: i64, first: i64, max: i64) -> i64 {
    let doublings = beyond.clamp(0, 40) as u32;
    first.saturating_mul(1i64 << doublings).min(max)
}

/// Reserves one attempt under `rule`: the counter to store, or the seconds to wait when the attempt is
/// refused (then nothing is stored).
pub fn reserve(rule: Rule, counter: Option<Counter>, now_ms: i64) -> Result<Counter, u64> {
    let live = counter.filter(|c| c.expires_ms > now_ms && c.failures > 0);
    match rule {
        Rule::Window { max, window_ms } => match live {
            Some(c) if c.failures >= max => {
                Err(secs_until(c.window_start_ms + window_ms, now_ms, window_ms))
            }
            Some(c) => Ok(Counter {
                failures: c.failures + 1,
                not_before_ms: 0,
                ..c
            }),
            None => Ok(Counter {
                failures: 1,
                window_start_ms: now_ms,
                not_before_ms: 0,
                expires_ms: now_ms + window_ms,
            }),
        },
        Rule::Delay {
            free,
            first_delay_ms,
            max_delay_ms,
            reset_ms,
        } => {
            if let Some(c) = live
                && now_ms < c.not_before_ms
            {
                return Err(secs_until(c.not_before_ms, now_ms, max_delay_ms));
            }
            let (failures, window_start_ms) = match live {
                Some(c) => (c.failures + 1, c.window_start_ms),
                None => (1, now_ms),
            };
            let not_before_ms = if failures >= free {
                now_ms + delay_ms(failures - free, first_delay_ms, max_delay_ms)
            } else {
                0
            };
            Ok(Counter {
                failures,
                window_start_ms,
                not_before_ms,
                expires_ms: not_before_ms.max(now_ms) + reset_ms,
            })
        }
    }
}

/// The counters an attempt reserves, in the order they are taken (always the same order, so that
/// concurrent attempts never wait for each other in a circle).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    pub address: String,
    pub name_at_address: String,
    pub name: String,
}

impl Keys {
    /// `subject` names the account (`user:<id>`) or, when none has the name, the name tried.
    pub fn new(subject: &str, client_ip: &str) -> Self {
        let address = address_key(client_ip);
        Self {
            name_at_address: format!("{subject}@{address}"),
            address: format!("addr:{address}"),
            name: subject.to_string(),
        }
    }

    /// Each key with its rule, in reservation order.
    pub fn with_rules(&self) -> [(&str, Rule); 3] {
        [
            (&self.address, ADDRESS),
            (&self.name_at_address, NAME_AT_ADDRESS),
            (&self.name, NAME),
        ]
    }
}

/// The address an attempt is counted under: an IPv4 address as it is, an IPv6 address by its /64
/// network (one subscriber usually holds a whole /64), anything else as given, at most 64 characters.
pub fn address_key(client_ip: &str) -> String {
    match client_ip.trim().parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{}/64", Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        Err(_) => client_ip.chars().take(64).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Reserves `n` attempts at `now` one after another, as failures.
    fn fail(rule: Rule, mut c: Option<Counter>, now: i64, n: i64) -> Option<Counter> {
        for _ in 0..n {
            c = Some(reserve(rule, c, now).expect("reserved"));
        }
        c
    }

    #[test]
    fn a_name_from_one_address_is_refused_after_five_until_the_window_ends() {
        let c = fail(NAME_AT_ADDRESS, None, 1_000, MAX_FAILURES);
        assert_eq!(c.unwrap().failures, MAX_FAILURES);
        assert_eq!(
            reserve(NAME_AT_ADDRESS, c, 6_000),
            Err(((WINDOW_MS - 5_000) / 1000) as u64)
        );
        let fresh = reserve(NAME_AT_ADDRESS, c, 1_000 + WINDOW_MS).unwrap();
        assert_eq!(
            fresh,
            Counter {
                failures: 1,
                window_start_ms: 1_000 + WINDOW_MS,
                not_before_ms: 0,
                expires_ms: 1_000 + 2 * WINDOW_MS,
            }
        );
    }

    #[test]
    fn a_counter_with_nothing_reserved_counts_as_absent() {
        let empty = Counter {
            failures: 0,
            window_start_ms: 0,
            not_before_ms: 0,
            expires_ms: 0,
        };
        assert_eq!(
            reserve(NAME_AT_ADDRESS, Some(empty), 50),
            reserve(NAME_AT_ADDRESS, None, 50)
        );
    }

    #[test]
    fn a_clock_a_little_behind_never_asks_for_more_than_the_rule_allows() {
        let c = fail(NAME_AT_ADDRESS, None, 10_000, MAX_FAILURES);
        assert_eq!(
            reserve(NAME_AT_ADDRESS, c, 9_000),
            Err((WINDOW_MS / 1000) as u64)
        );
        let c = Counter {
            failures: NAME_FREE_FAILURES + 20,
            window_start_ms: 0,
            not_before_ms: 10_000 + MAX_DELAY_MS,
            expires_ms: 10_000 + MAX_DELAY_MS + WINDOW_MS,
        };
        assert_eq!(reserve(NAME, Some(c), 0), Err((MAX_DELAY_MS / 1000) as u64));
    }

    #[test]
    fn an_address_may_try_fifty_names() {
        let c = fail(ADDRESS, None, 0, ADDRESS_MAX_FAILURES);
        assert!(reserve(ADDRESS, c, 10).is_err());
    }

    #[test]
    fn a_name_tried_from_many_addresses_waits_growing_delays_capped_at_five_minutes() {
        let mut c = fail(NAME, None, 0, NAME_FREE_FAILURES - 1);
        assert_eq!(
            c.unwrap().not_before_ms,
            0,
            "free attempts wait for nothing"
        );
        let mut now = 0;
        let mut waits = vec![];
        for _ in 0..12 {
            let next = reserve(NAME, c, now).expect("allowed once the wait is over");
            if let Err(secs) = reserve(NAME, Some(next), now) {
                waits.push(secs);
            }
            now = next.not_before_ms;
            c = Some(next);
        }
        assert_eq!(waits, [2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300, 300]);
        // Quiet for a window after the last wait: forgotten.
        let later = c.unwrap().not_before_ms + WINDOW_MS;
        assert_eq!(reserve(NAME, c, later).unwrap().failures, 1);
    }

    #[test]
    fn delays_never_overflow() {
        assert_eq!(
            delay_ms(i64::MAX, FIRST_DELAY_MS, MAX_DELAY_MS),
            MAX_DELAY_MS
        );
        assert_eq!(delay_ms(-3, FIRST_DELAY_MS, MAX_DELAY_MS), FIRST_DELAY_MS);
    }

    #[test]
    fn keys_group_ipv6_by_network_and_keep_ipv4() {
        assert_eq!(address_key("203.0.113.7"), "203.0.113.7");
        assert_eq!(address_key("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(
            address_key("2001:db8:1:2:aaaa::1"),
            address_key("2001:db8:1:2:bbbb::9")
        );
        assert_eq!(address_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_ne!(
            address_key("2001:db8:1:2::1"),
            address_key("2001:db8:1:3::1")
        );
        assert_eq!(address_key(&"x".repeat(100)).len(), 64);
        let k = Keys::new("user:abc", "203.0.113.7");
        assert_eq!(
            k.with_rules().map(|(k, _)| k.to_string()),
            ["addr:203.0.113.7", "user:abc@203.0.113.7", "user:abc"]
        );
    }

    proptest! {
        /// However attempts are timed, one window never lets more than its maximum through, and a
        /// refusal never asks for more than the window.
        #[test]
        fn a_window_lets_at_most_its_maximum_through(
            gaps in proptest::collection::vec(0i64..200_000, 1..120),
        ) {
            let mut c = None;
            let mut now = 0;
            let mut per_window = std::collections::HashMap::<i64, i64>::new();
            for gap in gaps {
                now += gap;
                match reserve(NAME_AT_ADDRESS, c, now) {
                    Ok(next) => {
                        *per_window.entry(next.window_start_ms).or_default() += 1;
                        prop_assert!(now < next.window_start_ms + WINDOW_MS);
                        c = Some(next);
                    }
                    Err(secs) => prop_assert!(secs >= 1 && secs <= (WINDOW_MS / 1000) as u64),
                }
            }
            prop_assert!(per_window.values().all(|n| *n <= MAX_FAILURES));
        }

        /// After the free failures, accepted attempts are spaced by at least the current delay, waits
        /// never exceed the cap, and whoever waits as told is let through.
        #[test]
        fn a_name_is_slowed_down_but_never_locked_for_long(
            gaps in proptest::collection::vec(0i64..400_000, 1..150),
        ) {
            let mut c: Option<Counter> = None;
            let mut now = 0;
            let mut last_accepted: Option<(i64, Counter)> = None;
            for gap in gaps {
                now += gap;
                match reserve(NAME, c, now) {
                    Ok(next) => {
                        if let Some((then, before)) = last_accepted
                            && before.failures >= NAME_FREE_FAILURES
                            && next.failures > 1
                        {
                            let wait = delay_ms(before.failures - NAME_FREE_FAILURES, FIRST_DELAY_MS, MAX_DELAY_MS);
                            prop_assert!(now - then >= wait);
                        }
                        last_accepted = Some((now, next));
                        c = Some(next);
                    }
                    Err(secs) => {
                        prop_assert!(secs >= 1 && secs <= (MAX_DELAY_MS / 1000) as u64);
                        let after = now + secs as i64 * 1000;
                        prop_assert!(reserve(NAME, c, after).is_ok(), "waiting as told lets the attempt through");
                    }
                }
            }
        }
    }
}
