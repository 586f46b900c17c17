//! Resource configuration: pools of resources (GPUs), profiles that say how much one job takes and
//! which pools it may run on, and policies that give a user group a reservation and a limit through
//! queues. This module holds the exact amounts and the configuration's checks; the allocator that
//! admits queued jobs onto pools is [`allocator`].

pub mod allocator;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::AppError;

/// An amount of resources with two decimal places (0.25, 0.5, 4), held as hundredths so that
/// adding and taking away jobs never drifts.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct Amount(pub i64);

impl Amount {
    pub const ZERO: Amount = Amount(0);

    /// Whole resources.
    pub fn units(n: i64) -> Amount {
        Amount(n * 100)
    }

    /// Reads "4", "0.5", "0.25" or "1.50" (at most two decimal places, not negative, at most
    /// 1,000,000); `field` names the input in the error.
    pub fn parse(field: &str, raw: &str) -> Result<Amount, AppError> {
        let t = raw.trim();
        let bad = || {
            AppError::validation(
                field,
                format!(
                    "\"{t}\" is not an amount: use a number with at most two decimals, such as 4, 0.5 or 0.25."
                ),
            )
        };
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        if whole.is_empty() && frac.is_empty()
            || !whole.chars().all(|c| c.is_ascii_digit())
            || !frac.chars().all(|c| c.is_ascii_digit())
            || frac.len() > 2
            || whole.len() > 7
        {
            return Err(bad());
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| bad())?
        };
        let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
        let a = Amount(whole * 100 + frac);
        if a > Amount::units(1_000_000) {
            return Err(AppError::validation(
                field,
                "An amount is at most 1,000,000.",
            ));
        }
        Ok(a)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (w, c) = (self.0 / 100, (self.0 % 100).abs());
        match c {
            0 => write!(f, "{w}"),
            c if c % 10 == 0 => write!(f, "{w}.{}", c / 10),
            c => write!(f, "{w}.{c:02}"),
        }
    }
}

impl std::ops::Add for Amount {
    type Output = Amount;
    fn add(self, o: Amount) -> Amount {
        Amount(self.0 + o.0)
    }
}

impl std::ops::Sub for Amount {
    type Output = Amount;
    fn sub(self, o: Amount) -> Amount {
        Amount(self.0 - o.0)
    }
}

impl std::ops::AddAssign for Amount {
    fn add_assign(&mut self, o: Amount) {
        self.0 += o.0;
    }
}

impl std::ops::SubAssign for Amount {
    fn sub_assign(&mut self, o: Amount) {
        self.0 -= o.0;
    }
}

/// A pool of resources and its execution priority: the profiles linked to it, those whose jobs
/// get it first at the front.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Pool {
    pub id: String,
    pub name: String,
    pub capacity: Amount,
    pub description: String,
    pub priority: Vec<String>,
}

/// A profile: what one job takes, and the pools it may run on, the preferred one first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Profile {
    pub id: String,
    pub name: String,
    pub allotment: Amount,
    /// The links to pools, in precedence order.
    pub links: Vec<Link>,
    /// The policies whose queues expose this profile, the one whose jobs go first at the front.
    pub policy_priority: Vec<String>,
}

/// A named link from a profile to a pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Link {
    pub name: String,
    pub pool: String,
}

/// A policy: a user group's reservation (resources guaranteed while it has jobs waiting) and
/// limit (the most it uses at once), and its queues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Policy {
    pub id: String,
    pub name: String,
    pub group: String,
    pub reservation: Amount,
    pub limit: Amount,
    pub description: String,
    /// Its queues, in order; each exposes one profile.
    pub queues: Vec<PolicyQueue>,
}

/// A queue of a policy, exposing one profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct PolicyQueue {
    pub id: String,
    pub name: String,
    pub profile: String,
}

/// A workspace's resource configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Configuration {
    pub pools: Vec<Pool>,
    pub profiles: Vec<Profile>,
    pub policies: Vec<Policy>,
}

/// Something Validate reports (it changes nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Finding {
    /// What the finding is about: `pool`, `profile` or `policy`, and its id.
    pub kind: String,
    pub id: String,
    pub message: String,
}

impl Configuration {
    pub fn pool(&self, id: &str) -> Option<&Pool> {
        self.pools.iter().find(|p| p.id == id)
    }

    pub fn profile(&self, id: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.id == id)
    }

    /// What Validate reports: a profile linked to no pool, an allotment larger than every pool
    /// the profile links to, a limit below the reservation, a policy's reservation above the
    /// capacity of the pools its queues reach, and reservations that add up to more than the
    /// pools hold.
    pub fn findings(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        let finding = |kind: &str, id: &str, message: String| Finding {
            kind: kind.into(),
            id: id.into(),
            message,
        };
        for p in &self.profiles {
            let caps: Vec<Amount> = p
                .links
                .iter()
                .filter_map(|l| self.pool(&l.pool))
                .map(|pool| pool.capacity)
                .collect();
            if caps.is_empty() {
                out.push(finding(
                    "profile",
                    &p.id,
                    format!(
                        "Profile {} is linked to no pool: its jobs can never run.",
                        p.name
                    ),
                ));
            } else if caps.iter().all(|c| p.allotment > *c) {
                out.push(finding(
                    "profile",
                    &p.id,
                    format!(
                        "Profile {} takes {} per job, more than any pool it links to holds.",
                        p.name, p.allotment
                    ),
                ));
            }
        }
        for pol in &self.policies {
            if pol.limit < pol.reservation {
                out.push(finding(
                    "policy",
                    &pol.id,
                    format!(
                        "Policy {}'s limit ({}) is below its reservation ({}).",
                        pol.name, pol.limit, pol.reservation
                    ),
                ));
            }
            let reach: BTreeSet<&str> = pol
                .queues
                .iter()
                .filter_map(|q| self.profile(&q.profile))
                .flat_map(|p| p.links.iter().map(|l| l.pool.as_str()))
                .collect();
            let reachable: Amount = reach
                .iter()
                .filter_map(|id| self.pool(id))
                .fold(Amount::ZERO, |a, p| a + p.capacity);
            if pol.reservation > reachable {
                out.push(finding(
                    "policy",
                    &pol.id,
                    format!(
                        "Policy {} reserves {}, but the pools its queues reach hold {}.",
                        pol.name, pol.reservation, reachable
                    ),
                ));
            }
        }
        let reserved = self
            .policies
            .iter()
            .fold(Amount::ZERO, |a, p| a + p.reservation);
        let capacity = self.pools.iter().fold(Amount::ZERO, |a, p| a + p.capacity);
        if reserved > capacity {
            out.push(finding(
                "pool",
                "",
                format!(
                    "The policies reserve {reserved} in all, more than the pools hold ({capacity})."
                ),
            ));
        }
        out
    }

    /// Each policy queue's policy and profile, by queue id.
    pub fn queues(&self) -> BTreeMap<&str, (&Policy, &PolicyQueue)> {
        self.policies
            .iter()
            .flat_map(|p| p.queues.iter().map(move |q| (q.id.as_str(), (p, q))))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact_hundredths() {
        assert_eq!(Amount::parse("a", "4").unwrap(), Amount(400));
        assert_eq!(Amount::parse("a", "0.5").unwrap(), Amount(50));
        assert_eq!(Amount::parse("a", " 0.25 ").unwrap(), Amount(25));
        assert_eq!(Amount::parse("a", ".75").unwrap(), Amount(75));
        assert_eq!(Amount::parse("a", "1.50").unwrap(), Amount(150));
        for bad in ["", ".", "-1", "0.125", "1e3", "abc", "1.2.3", "99999999"] {
            let e = Amount::parse("allotment", bad).unwrap_err();
            assert_eq!(e.field(), Some("allotment"), "{bad}");
        }
        assert_eq!(Amount(25).to_string(), "0.25");
        assert_eq!(Amount(50).to_string(), "0.5");
        assert_eq!(Amount(400).to_string(), "4");
        assert_eq!(Amount(1205).to_string(), "12.05");
        // Ten thousand quarters and back are exactly nothing.
        let mut a = Amount::ZERO;
        for _ in 0..10_000 {
            a += Amount(25);
        }
        assert_eq!(a, Amount::units(2500));
        for _ in 0..10_000 {
            a -= Amount(25);
        }
        assert_eq!(a, Amount::ZERO);
    }

    #[test]
    fn validate_reports_what_cannot_work() {
        let c = Configuration {
            pools: vec![Pool {
                id: "p1".into(),
                name: "H100".into(),
                capacity: Amount::units(8),
                description: String::new(),
                priority: vec!["big".into()],
            }],
            profiles: vec![
                Profile {
                    id: "lonely".into(),
                    name: "Lonely".into(),
                    allotment: Amount::units(1),
                    links: vec![],
                    policy_priority: vec![],
                },
                Profile {
                    id: "big".into(),
                    name: "16xGPU".into(),
                    allotment: Amount::units(16),
                    links: vec![Link {
                        name: "to H100".into(),
                        pool: "p1".into(),
                    }],
                    policy_priority: vec!["dev".into()],
                },
            ],
            policies: vec![Policy {
                id: "dev".into(),
                name: "Dev".into(),
                group: "g".into(),
                reservation: Amount::units(10),
                limit: Amount::units(4),
                description: String::new(),
                queues: vec![PolicyQueue {
                    id: "q".into(),
                    name: "dev-big".into(),
                    profile: "big".into(),
                }],
            }],
        };
        let found: Vec<String> = c.findings().into_iter().map(|f| f.message).collect();
        assert_eq!(found.len(), 5, "{found:#?}");
        assert!(found[0].contains("Lonely is linked to no pool"));
        assert!(found[1].contains("16xGPU takes 16 per job"));
        assert!(found[2].contains("limit (4) is below its reservation (10)"));
        assert!(found[3].contains("reserves 10, but the pools its queues reach hold 8"));
        assert!(found[4].contains("reserve 10 in all, more than the pools hold (8)"));
    }
}
