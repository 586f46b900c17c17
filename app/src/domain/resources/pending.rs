//! Why a queued task is not running: worked out from the same state and rules as the allocator.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::allocator::{Running, Waiting, allocate};
use super::{Amount, Configuration};

/// Why a task waits, most specific first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Resource management is off: policy queues are not served.
    ManagementDisabled,
    /// The queue belongs to no provisioned policy.
    QueueNotServed,
    /// The queue's profile is linked to no pool.
    NoPool,
    /// Older tasks of the same queue go first.
    BehindOthers,
    /// The policy would go past its limit.
    PolicyLimit,
    /// No pool the profile links to has room for the job now.
    PoolsFull,
    /// There is room, but it is held for other policies' reservations.
    HeldForReservation,
    /// Nothing stops it: the allocator admits it on its next pass.
    NextPass,
    /// Admitted onto a pool: it waits for an agent listening on the pool's queue.
    Admitted,
}

/// A pool the job could take, and its room now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct PoolRoom {
    pub pool: String,
    pub name: String,
    pub free: Amount,
    pub capacity: Amount,
}

/// The answer for one task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Pending {
    pub reason: Reason,
    /// Its place in its queue (0: next).
    pub position: usize,
    /// The reason in words, with what would let it run.
    pub message: String,
    /// The policy's use and limit, when the task is in a policy queue.
    pub used: Option<Amount>,
    pub limit: Option<Amount>,
    /// The pools its profile links to, in precedence order.
    pub pools: Vec<PoolRoom>,
}

/// Why `task`, waiting in policy queue `queue` (a queue id of `config`), has not run. `enabled`:
/// whether resource management is on.
pub fn why(
    config: &Configuration,
    enabled: bool,
    running: &[Running],
    waiting: &[Waiting],
    task: &str,
    queue: &str,
) -> Pending {
    let admitted: BTreeSet<String> = allocate(config, running, waiting)
        .into_iter()
        .map(|a| a.id)
        .collect();
    why_with(config, enabled, running, waiting, &admitted, task, queue)
}

/// [`why`] for every waiting task (the allocator runs once).
pub fn why_each(
    config: &Configuration,
    enabled: bool,
    running: &[Running],
    waiting: &[Waiting],
) -> Vec<(String, Pending)> {
    let admitted: BTreeSet<String> = allocate(config, running, waiting)
        .into_iter()
        .map(|a| a.id)
        .collect();
    waiting
        .iter()
        .map(|w| {
            let p = why_with(
                config, enabled, running, waiting, &admitted, &w.id, &w.queue,
            );
            (w.id.clone(), p)
        })
        .collect()
}

/// [`why`], with what the allocator would admit now.
fn why_with(
    config: &Configuration,
    enabled: bool,
    running: &[Running],
    waiting: &[Waiting],
    admitted: &BTreeSet<String>,
    task: &str,
    queue: &str,
) -> Pending {
    let mut out = Pending {
        reason: Reason::QueueNotServed,
        position: 0,
        message: String::new(),
        used: None,
        limit: None,
        pools: Vec::new(),
    };
    let mut ahead: Vec<&Waiting> = waiting.iter().filter(|w| w.queue == queue).collect();
    ahead.sort_by(|a, b| a.seq.cmp(&b.seq).then_with(|| a.id.cmp(&b.id)));
    out.position = ahead.iter().position(|w| w.id == task).unwrap_or(0);
    let Some((policy, q)) = config.queues().get(queue).map(|(p, q)| (*p, *q)) else {
        out.message = "This queue belongs to no provisioned policy, so no pool serves it.".into();
        return out;
    };
    let used = running
        .iter()
        .filter(|r| r.policy == policy.id)
        .fold(Amount::ZERO, |a, r| a + r.amount);
    out.used = Some(used);
    out.limit = Some(policy.limit);
    let Some(profile) = config.profile(&q.profile) else {
        out.reason = Reason::NoPool;
        out.message = "The queue's profile no longer exists.".into();
        return out;
    };
    for link in &profile.links {
        if let Some(pool) = config.pool(&link.pool) {
            let taken = running
                .iter()
                .filter(|r| r.pool == pool.id)
                .fold(Amount::ZERO, |a, r| a + r.amount);
            out.pools.push(PoolRoom {
                pool: pool.id.clone(),
                name: pool.name.clone(),
                free: pool.capacity - taken,
                capacity: pool.capacity,
            });
        }
    }
    let (reason, message) = if !enabled {
        (
            Reason::ManagementDisabled,
            "Resource management is off: policy queues are not served until an administrator turns it on.".to_string(),
        )
    } else if out.pools.is_empty() {
        (
            Reason::NoPool,
            format!(
                "Profile {} is linked to no pool: link it to one in the resource configuration.",
                profile.name
            ),
        )
    } else if admitted.contains(task) {
        (
            Reason::NextPass,
            "Nothing stops it: it is admitted on the allocator's next pass.".to_string(),
        )
    } else if out.position > 0 {
        (
            Reason::BehindOthers,
            format!(
                "{} older task{} of queue {} go{} first.",
                out.position,
                if out.position == 1 { "" } else { "s" },
                q.name,
                if out.position == 1 { "es" } else { "" }
            ),
        )
    } else if used + profile.allotment > policy.limit {
        (
            Reason::PolicyLimit,
            format!(
                "Policy {} uses {used} of its limit of {}; this job needs {} more. It runs when the policy's jobs free {}.",
                policy.name,
                policy.limit,
                profile.allotment,
                used + profile.allotment - policy.limit
            ),
        )
    } else if out.pools.iter().all(|p| p.free < profile.allotment) {
        let rooms: Vec<String> = out
            .pools
            .iter()
            .map(|p| format!("{} has {} of {} free", p.name, p.free, p.capacity))
            .collect();
        (
            Reason::PoolsFull,
            format!(
                "The job needs {}; {}. It runs when a job there ends.",
                profile.allotment,
                rooms.join(", ")
            ),
        )
    } else {
        (
            Reason::HeldForReservation,
            format!(
                "A pool has room, but it is held for the reservations of policies below theirs that have tasks waiting; policy {} is at or past its own reservation ({}).",
                policy.name, policy.reservation
            ),
        )
    };
    out.reason = reason;
    out.message = message;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::resources::{Link, Policy, PolicyQueue, Pool, Profile};

    fn seed() -> Configuration {
        let pool = |id: &str| Pool {
            id: id.into(),
            name: id.into(),
            capacity: Amount::units(8),
            description: String::new(),
            priority: vec![],
        };
        let policy = |id: &str| Policy {
            id: id.into(),
            name: id.into(),
            group: "g".into(),
            reservation: Amount::units(8),
            limit: Amount::units(16),
            description: String::new(),
            queues: vec![PolicyQueue {
                id: format!("{id}-q"),
                name: format!("{id}-q"),
                profile: "4x".into(),
            }],
        };
        Configuration {
            pools: vec![pool("bare"), pool("h100")],
            profiles: vec![Profile {
                id: "4x".into(),
                name: "4xGPU".into(),
                allotment: Amount::units(4),
                links: vec![
                    Link {
                        name: "a".into(),
                        pool: "bare".into(),
                    },
                    Link {
                        name: "b".into(),
                        pool: "h100".into(),
                    },
                ],
                policy_priority: vec!["dev".into(), "research".into()],
            }],
            policies: vec![policy("dev"), policy("research")],
        }
    }

    fn jobs(queue: &str, n: usize) -> Vec<Waiting> {
        (0..n)
            .map(|i| Waiting {
                id: format!("{queue}{i}"),
                queue: queue.into(),
                seq: i as i64,
            })
            .collect()
    }

    #[test]
    fn the_seed_example_explains_each_pending_task() {
        let c = seed();
        let mut waiting = jobs("dev-q", 4);
        waiting.extend(jobs("research-q", 4));
        let admitted = allocate(&c, &[], &waiting);
        assert_eq!(admitted.len(), 4);
        let running: Vec<Running> = admitted
            .iter()
            .map(|a| Running {
                id: a.id.clone(),
                policy: a.policy.clone(),
                pool: a.pool.clone(),
                amount: a.amount,
            })
            .collect();
        let left: Vec<Waiting> = waiting
            .into_iter()
            .filter(|w| !admitted.iter().any(|a| a.id == w.id))
            .collect();
        let p = why(&c, true, &running, &left, "dev-q2", "dev-q");
        assert_eq!(p.reason, Reason::PoolsFull, "{p:?}");
        assert_eq!(p.position, 0);
        assert!(p.message.contains("bare has 0 of 8 free"), "{}", p.message);
        let p = why(&c, true, &running, &left, "dev-q3", "dev-q");
        assert_eq!(p.reason, Reason::BehindOthers);
        assert_eq!(p.position, 1);
        assert!(p.message.contains("1 older task of queue dev-q goes first"));
        // Off: nothing is served.
        let p = why(&c, false, &[], &left, "dev-q2", "dev-q");
        assert_eq!(p.reason, Reason::ManagementDisabled);
        // With nothing running, the first task of a queue runs on the next pass.
        let p = why(&c, true, &[], &left, "dev-q2", "dev-q");
        assert_eq!(p.reason, Reason::NextPass);
        // All at once: the same answers.
        let each = why_each(&c, true, &running, &left);
        assert_eq!(each.len(), 4);
        assert_eq!(
            each.iter().find(|(id, _)| id == "dev-q3").unwrap().1.reason,
            Reason::BehindOthers
        );
        // A queue no policy has.
        let p = why(&c, true, &[], &left, "x", "elsewhere");
        assert_eq!(p.reason, Reason::QueueNotServed);
    }

    #[test]
    fn a_policy_at_its_limit_and_capacity_held_for_a_reservation_are_told_apart() {
        let mut c = seed();
        c.pools[0].capacity = Amount::units(16);
        c.pools.truncate(1);
        c.profiles[0].links.truncate(1);
        c.policies[0].limit = Amount::units(8);
        let running = vec![
            Running {
                id: "d1".into(),
                policy: "dev".into(),
                pool: "bare".into(),
                amount: Amount::units(4),
            },
            Running {
                id: "d2".into(),
                policy: "dev".into(),
                pool: "bare".into(),
                amount: Amount::units(4),
            },
        ];
        let waiting = jobs("dev-q", 1);
        let p = why(&c, true, &running, &waiting, "dev-q0", "dev-q");
        assert_eq!(p.reason, Reason::PolicyLimit, "{p:?}");
        assert!(p.message.contains("uses 8 of its limit of 8"));
        // Dev may grow past its reservation only into what Research, waiting below its own, does
        // not hold: the 8 left are Research's.
        c.policies[0].limit = Amount::units(16);
        let mut waiting = jobs("dev-q", 1);
        let research = Waiting {
            id: "r-big".into(),
            queue: "research-q".into(),
            seq: 0,
        };
        waiting.push(research);
        // Research's queue exposes a profile too big for now, so it waits while holding.
        c.profiles.push(Profile {
            id: "12x".into(),
            name: "12x".into(),
            allotment: Amount::units(12),
            links: vec![Link {
                name: "l".into(),
                pool: "bare".into(),
            }],
            policy_priority: vec![],
        });
        c.policies[1].queues[0].profile = "12x".into();
        let p = why(&c, true, &running, &waiting, "dev-q0", "dev-q");
        assert_eq!(p.reason, Reason::HeldForReservation, "{p:?}");
    }
}
