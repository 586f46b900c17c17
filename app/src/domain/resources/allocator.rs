//! The allocator: which queued jobs run now, and on which pool. Pure and deterministic — the same
//! configuration, running jobs and queues always give the same admissions, in the same order —
//! so that every replica, the editor's what-if and the tests compute the same thing.
//!
//! The rules (the README's "Resource configuration" spells them out with worked examples):
//!
//! 1. A job takes its profile's allotment. It may run on a pool its profile links to, and takes
//!    the **first** of those pools, in the profile's precedence, that can hold it now. A pool
//!    holds it when the job fits in the pool's free capacity (capacity minus the allotments of
//!    the jobs running there); in step 4, less the capacity held for other policies.
//! 2. A policy never uses more than its limit: a job is admitted only when the policy's use plus
//!    the job stays within the limit.
//! 3. Queues are first in, first out: only the oldest waiting job of each queue is considered; a
//!    queue whose oldest job cannot run now waits (the jobs behind it do not overtake it). Other
//!    queues go on.
//! 4. **Reservations first.** A job is *reserved* when its policy's use (before the job) is below
//!    the policy's reservation. Every reserved job that can run is admitted before any other job.
//!    Then, for the other jobs, capacity is *held* for each policy that still has waiting jobs and
//!    uses less than its reservation: going through the policies in configuration order, each
//!    holds what it lacks of its reservation out of the free capacity of the pools its queues
//!    reach — its queues in order, each queue's profile's pools in precedence order — as far as
//!    that free capacity goes, and not more than what other policies held there before it. A job
//!    that is not reserved sees a pool's free capacity less what other policies hold there.
//! 5. Among the jobs that can run in the same step, the order is: reserved jobs before the others;
//!    then the pool they would take, in configuration order; then the profile's place in that
//!    pool's execution priority (profiles not listed come after the listed ones, by name); then the
//!    policy's place in the profile's policy priority (likewise); then the queue's place in its
//!    policy. The first of them is admitted, and the step starts over with the new use of pools
//!    and policies, until no job can run. All admissions of one pass are one batch.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Amount, Configuration};

/// A job waiting in a policy queue. `seq` orders the queue (smaller: older).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Waiting {
    pub id: String,
    pub queue: String,
    pub seq: i64,
}

/// A job running on a pool, for a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Running {
    pub id: String,
    pub policy: String,
    pub pool: String,
    pub amount: Amount,
}

/// A job the allocator lets run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Admission {
    pub id: String,
    pub queue: String,
    pub policy: String,
    pub profile: String,
    pub pool: String,
    pub amount: Amount,
    /// Whether it ran inside its policy's reservation.
    pub reserved: bool,
}

/// One queue with jobs waiting, and its place in the orders of rule 5 (worked out once per pass).
struct Line<'a> {
    id: &'a str,
    policy: usize,
    profile: usize,
    queue_index: usize,
    amount: Amount,
    /// The pools the profile links to, in precedence order (indexes into the pools), each with the
    /// profile's place in that pool's execution priority.
    pools: Vec<(usize, usize)>,
    /// The policy's place in the profile's policy priority.
    policy_rank: usize,
    /// Its jobs, oldest first, and how many of them were admitted.
    jobs: Vec<&'a Waiting>,
    next: usize,
}

/// Rule 5's order of the jobs that can run: not reserved, pool, profile's rank on the pool,
/// policy's rank in the profile, policy, queue in the policy.
type OrderKey = (bool, usize, usize, usize, usize, usize);

/// Rank of `id` in `order`; ids not listed come after, by `name_rank`.
fn rank(order: &[String], id: &str, name_rank: usize) -> usize {
    order
        .iter()
        .position(|o| o == id)
        .unwrap_or(order.len() + name_rank)
}

/// Places in name order, for the profiles and policies a priority list leaves out.
fn name_ranks<'a>(items: impl Iterator<Item = (&'a str, &'a str)>) -> BTreeMap<&'a str, usize> {
    let mut sorted: Vec<(&str, &str)> = items.collect();
    sorted.sort_by(|a, b| a.1.cmp(b.1).then(a.0.cmp(b.0)));
    sorted
        .into_iter()
        .enumerate()
        .map(|(i, (id, _))| (id, i))
        .collect()
}

/// What runs now: the admissions, in the order they were made. `waiting` may be in any order.
pub fn allocate(
    config: &Configuration,
    running: &[Running],
    waiting: &[Waiting],
) -> Vec<Admission> {
    allocate_at_most(config, running, waiting, usize::MAX)
}

/// [`allocate`], stopping after `max` admissions.
pub fn allocate_at_most(
    config: &Configuration,
    running: &[Running],
    waiting: &[Waiting],
    max: usize,
) -> Vec<Admission> {
    let pool_index: BTreeMap<&str, usize> = config
        .pools
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), i))
        .collect();
    let policy_index: BTreeMap<&str, usize> = config
        .policies
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), i))
        .collect();
    let profile_names = name_ranks(
        config
            .profiles
            .iter()
            .map(|p| (p.id.as_str(), p.name.as_str())),
    );
    let policy_names = name_ranks(
        config
            .policies
            .iter()
            .map(|p| (p.id.as_str(), p.name.as_str())),
    );

    let mut lines: Vec<Line> = Vec::new();
    let mut line_of: BTreeMap<&str, usize> = BTreeMap::new();
    for (pi, policy) in config.policies.iter().enumerate() {
        for (qi, q) in policy.queues.iter().enumerate() {
            let Some((fi, profile)) = config
                .profiles
                .iter()
                .enumerate()
                .find(|(_, p)| p.id == q.profile)
            else {
                continue;
            };
            let pools = profile
                .links
                .iter()
                .filter_map(|l| pool_index.get(l.pool.as_str()).copied())
                .map(|i| {
                    let r = rank(
                        &config.pools[i].priority,
                        &profile.id,
                        profile_names[profile.id.as_str()],
                    );
                    (i, r)
                })
                .collect();
            line_of.insert(q.id.as_str(), lines.len());
            lines.push(Line {
                id: q.id.as_str(),
                policy: pi,
                profile: fi,
                queue_index: qi,
                amount: profile.allotment,
                pools,
                policy_rank: rank(
                    &profile.policy_priority,
                    &policy.id,
                    policy_names[policy.id.as_str()],
                ),
                jobs: Vec::new(),
                next: 0,
            });
        }
    }
    for w in waiting {
        if let Some(&l) = line_of.get(w.queue.as_str()) {
            lines[l].jobs.push(w);
        }
    }
    lines.retain(|l| !l.jobs.is_empty());
    for line in &mut lines {
        line.jobs
            .sort_unstable_by(|a, b| a.seq.cmp(&b.seq).then_with(|| a.id.cmp(&b.id)));
    }

    let mut free: Vec<Amount> = config.pools.iter().map(|p| p.capacity).collect();
    let mut used: Vec<Amount> = vec![Amount::ZERO; config.policies.len()];
    for r in running {
        if let Some(&i) = pool_index.get(r.pool.as_str()) {
            free[i] -= r.amount;
        }
        if let Some(&i) = policy_index.get(r.policy.as_str()) {
            used[i] += r.amount;
        }
    }

    let mut admitted = Vec::new();
    let mut waits = vec![false; config.policies.len()];
    let mut held = vec![Amount::ZERO; config.pools.len()];
    while admitted.len() < max {
        // The policies that still have jobs waiting, and what is held for those below their
        // reservation (rule 4). A job that is not reserved belongs to a policy at or past its
        // reservation, which holds nothing: all that is held is held for others.
        waits.fill(false);
        for l in &lines {
            if l.next < l.jobs.len() {
                waits[l.policy] = true;
            }
        }
        let holding = config
            .policies
            .iter()
            .enumerate()
            .any(|(i, p)| waits[i] && used[i] < p.reservation);
        held.fill(Amount::ZERO);
        if holding {
            hold(config, &free, &used, &waits, &mut held);
        }

        // The first job that can run, by rule 5's order.
        let mut best: Option<(OrderKey, usize, usize)> = None;
        for (li, l) in lines.iter().enumerate() {
            if l.next >= l.jobs.len() {
                continue;
            }
            let policy = &config.policies[l.policy];
            if used[l.policy] + l.amount > policy.limit {
                continue;
            }
            let reserved = used[l.policy] < policy.reservation;
            let Some(&(pool, pool_rank)) = l.pools.iter().find(|&&(p, _)| {
                let room = if reserved { free[p] } else { free[p] - held[p] };
                l.amount <= room
            }) else {
                continue;
            };
            let key = (
                !reserved,
                pool,
                pool_rank,
                l.policy_rank,
                l.policy,
                l.queue_index,
            );
            if best.as_ref().is_none_or(|(k, _, _)| key < *k) {
                best = Some((key, li, pool));
            }
        }
        let Some((key, li, pool)) = best else { break };
        let l = &mut lines[li];
        let job = l.jobs[l.next];
        l.next += 1;
        free[pool] -= l.amount;
        used[l.policy] += l.amount;
        admitted.push(Admission {
            id: job.id.clone(),
            queue: l.id.to_string(),
            policy: config.policies[l.policy].id.clone(),
            profile: config.profiles[l.profile].id.clone(),
            pool: config.pools[pool].id.clone(),
            amount: l.amount,
            reserved: !key.0,
        });
    }
    admitted
}

/// Rule 4: the capacity held on each pool for the policies that wait below their reservation.
fn hold(
    config: &Configuration,
    free: &[Amount],
    used: &[Amount],
    waits: &[bool],
    held: &mut [Amount],
) {
    for (pi, policy) in config.policies.iter().enumerate() {
        if !waits[pi] || used[pi] >= policy.reservation {
            continue;
        }
        let mut lacking = policy.reservation - used[pi];
        // Its queues in order (those with nothing waiting still reach their pools).
        for q in &policy.queues {
            let Some(profile) = config.profile(&q.profile) else {
                continue;
            };
            for link in &profile.links {
                if lacking <= Amount::ZERO {
                    break;
                }
                let Some(p) = config.pools.iter().position(|p| p.id == link.pool) else {
                    continue;
                };
                let room = free[p] - held[p];
                if room <= Amount::ZERO {
                    continue;
                }
                let h = if room < lacking { room } else { lacking };
                held[p] += h;
                lacking -= h;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::resources::{Link, Policy, PolicyQueue, Pool, Profile};

    fn pool(id: &str, capacity: i64, priority: &[&str]) -> Pool {
        Pool {
            id: id.into(),
            name: id.into(),
            capacity: Amount::units(capacity),
            description: String::new(),
            priority: priority.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn profile(id: &str, allotment: Amount, pools: &[&str], policies: &[&str]) -> Profile {
        Profile {
            id: id.into(),
            name: id.into(),
            allotment,
            links: pools
                .iter()
                .map(|p| Link {
                    name: format!("{id} on {p}"),
                    pool: p.to_string(),
                })
                .collect(),
            policy_priority: policies.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn policy(id: &str, reservation: i64, limit: i64, queues: &[(&str, &str)]) -> Policy {
        Policy {
            id: id.into(),
            name: id.into(),
            group: format!("{id}-group"),
            reservation: Amount::units(reservation),
            limit: Amount::units(limit),
            description: String::new(),
            queues: queues
                .iter()
                .map(|(q, p)| PolicyQueue {
                    id: q.to_string(),
                    name: q.to_string(),
                    profile: p.to_string(),
                })
                .collect(),
        }
    }

    fn jobs(queue: &str, n: usize, from: i64) -> Vec<Waiting> {
        (0..n)
            .map(|i| Waiting {
                id: format!("{queue}-{}", i + 1),
                queue: queue.into(),
                seq: from + i as i64,
            })
            .collect()
    }

    /// The seed's example: Bare Metal (8) first in the 4xGPU profile's precedence, then H100 (8);
    /// Dev and Research each reserve 8 and may use 16, Dev above Research; four 4-GPU jobs each.
    fn seed() -> (Configuration, Vec<Waiting>) {
        let config = Configuration {
            pools: vec![
                pool("bare-metal", 8, &["4xgpu"]),
                pool("h100", 8, &["4xgpu"]),
            ],
            profiles: vec![profile(
                "4xgpu",
                Amount::units(4),
                &["bare-metal", "h100"],
                &["dev", "research"],
            )],
            policies: vec![
                policy("dev", 8, 16, &[("dev-4x", "4xgpu")]),
                policy("research", 8, 16, &[("research-4x", "4xgpu")]),
            ],
        };
        // Dev enqueued first: it does not matter, the reservations decide.
        let mut waiting = jobs("dev-4x", 4, 0);
        waiting.extend(jobs("research-4x", 4, 100));
        (config, waiting)
    }

    #[test]
    fn the_seed_s_example_comes_out_exactly() {
        let (config, waiting) = seed();
        let a = allocate(&config, &[], &waiting);
        let placed: Vec<(&str, &str)> =
            a.iter().map(|a| (a.id.as_str(), a.pool.as_str())).collect();
        assert_eq!(
            placed,
            [
                ("dev-4x-1", "bare-metal"),
                ("dev-4x-2", "bare-metal"),
                ("research-4x-1", "h100"),
                ("research-4x-2", "h100"),
            ]
        );
        assert!(a.iter().all(|a| a.reserved));
        // Without reservations, Dev (above Research) would have taken everything.
        let mut greedy = config.clone();
        for p in &mut greedy.policies {
            p.reservation = Amount::ZERO;
        }
        let a = allocate(&greedy, &[], &waiting);
        assert!(a.iter().all(|a| a.policy == "dev"), "{a:?}");
        assert_eq!(a.len(), 4);
    }

    #[test]
    fn a_pool_s_execution_priority_decides_between_profiles() {
        // H100's priority: 2-GPU jobs first, then 4, then 8, then 0.5.
        let config = Configuration {
            pools: vec![pool("h100", 8, &["2x", "4x", "8x", "half"])],
            profiles: vec![
                profile("half", Amount(50), &["h100"], &["p"]),
                profile("2x", Amount::units(2), &["h100"], &["p"]),
                profile("4x", Amount::units(4), &["h100"], &["p"]),
                profile("8x", Amount::units(8), &["h100"], &["p"]),
            ],
            policies: vec![policy(
                "p",
                0,
                100,
                &[
                    ("q-half", "half"),
                    ("q-2", "2x"),
                    ("q-4", "4x"),
                    ("q-8", "8x"),
                ],
            )],
        };
        let mut waiting = Vec::new();
        for q in ["q-half", "q-8", "q-4", "q-2"] {
            waiting.extend(jobs(q, 1, 0));
        }
        let a = allocate(&config, &[], &waiting);
        let order: Vec<&str> = a.iter().map(|a| a.id.as_str()).collect();
        // 2 then 4 (6 of 8 used); the 8-GPU job waits; half a GPU still fits.
        assert_eq!(order, ["q-2-1", "q-4-1", "q-half-1"]);
    }

    #[test]
    fn a_job_takes_the_first_linked_pool_that_holds_it_now() {
        let config = Configuration {
            pools: vec![pool("b", 8, &[]), pool("a", 4, &[])],
            profiles: vec![profile("4x", Amount::units(4), &["a", "b"], &[])],
            policies: vec![policy("p", 0, 100, &[("q", "4x")])],
        };
        let a = allocate(&config, &[], &jobs("q", 4, 0));
        let pools: Vec<&str> = a.iter().map(|a| a.pool.as_str()).collect();
        assert_eq!(pools, ["a", "b", "b"]);
    }

    #[test]
    fn limits_and_fifo_hold() {
        let config = Configuration {
            pools: vec![pool("big", 100, &["9x", "1x"])],
            profiles: vec![
                profile("1x", Amount::units(1), &["big"], &[]),
                profile("9x", Amount::units(9), &["big"], &[]),
            ],
            policies: vec![policy("p", 0, 10, &[("q9", "9x"), ("q1", "1x")])],
        };
        let mut waiting = jobs("q9", 2, 0);
        waiting.extend(jobs("q1", 3, 0));
        let a = allocate(&config, &[], &waiting);
        let order: Vec<&str> = a.iter().map(|a| a.id.as_str()).collect();
        // 9 + 1 = the limit; the second 9-GPU job and the other 1-GPU jobs wait.
        assert_eq!(order, ["q9-1", "q1-1"]);
        // Without a priority, profiles go by name: the 1-GPU jobs first, and the 9-GPU job no
        // longer fits under the limit.
        let mut by_name = config.clone();
        by_name.pools[0].priority.clear();
        let a = allocate(&by_name, &[], &waiting);
        let order: Vec<&str> = a.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(order, ["q1-1", "q1-2", "q1-3"]);
    }

    #[test]
    fn capacity_is_held_for_an_unmet_reservation() {
        // Research waits for 8 GPUs on a pool where 4 are in use; Dev, past its reservation,
        // may not take the 4 that are free: Research reserves them.
        let config = Configuration {
            pools: vec![pool("h100", 8, &[])],
            profiles: vec![
                profile("8x", Amount::units(8), &["h100"], &[]),
                profile("4x", Amount::units(4), &["h100"], &[]),
            ],
            policies: vec![
                policy("dev", 4, 16, &[("dev-4", "4x")]),
                policy("research", 8, 8, &[("res-8", "8x")]),
            ],
        };
        let running = [Running {
            id: "r".into(),
            policy: "dev".into(),
            pool: "h100".into(),
            amount: Amount::units(4),
        }];
        let a = allocate(
            &config,
            &running,
            &[jobs("dev-4", 1, 0), jobs("res-8", 1, 0)].concat(),
        );
        assert!(a.is_empty(), "{a:?}");
        // Once Research has nothing waiting, Dev grows.
        let a = allocate(&config, &running, &jobs("dev-4", 1, 0));
        assert_eq!(a.len(), 1);
        assert!(!a[0].reserved);
    }

    #[test]
    fn releasing_admits_the_next_job_and_quarters_never_drift() {
        let config = Configuration {
            pools: vec![pool("p", 1, &[])],
            profiles: vec![profile("quarter", Amount(25), &["p"], &[])],
            policies: vec![policy("x", 0, 1, &[("q", "quarter")])],
        };
        let mut running: Vec<Running> = Vec::new();
        let mut waiting = jobs("q", 4003, 0);
        let mut done = 0;
        for cycle in 0..1000 {
            let a = allocate(&config, &running, &waiting);
            // Always exactly as many as fill the pool: never more, never fewer.
            assert_eq!(running.len() + a.len(), 4, "cycle {cycle}");
            for adm in a {
                waiting.retain(|w| w.id != adm.id);
                running.push(Running {
                    id: adm.id,
                    policy: adm.policy,
                    pool: adm.pool,
                    amount: adm.amount,
                });
            }
            // The oldest running job ends.
            running.remove(0);
            done += 1;
        }
        assert_eq!(done, 1000);
        let a = allocate(&config, &running, &waiting);
        assert_eq!(a.len(), 1, "one quarter free after 1,000 cycles");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn scenario() -> impl Strategy<Value = (Configuration, Vec<Waiting>)> {
            (
                prop::collection::vec(1i64..12, 1..4),
                prop::collection::vec(
                    (
                        prop::sample::select(vec![25i64, 50, 100, 200, 400, 800]),
                        any::<u8>(),
                    ),
                    1..5,
                ),
                prop::collection::vec((0i64..10, 0i64..16, any::<u8>()), 1..5),
                prop::collection::vec((any::<u8>(), any::<u8>()), 0..40),
            )
                .prop_map(|(pools, profiles, policies, jobs)| {
                    let pool_ids: Vec<String> =
                        (0..pools.len()).map(|i| format!("pool{i}")).collect();
                    let profile_ids: Vec<String> =
                        (0..profiles.len()).map(|i| format!("prof{i}")).collect();
                    let config = Configuration {
                        pools: pools
                            .iter()
                            .enumerate()
                            .map(|(i, c)| Pool {
                                id: pool_ids[i].clone(),
                                name: pool_ids[i].clone(),
                                capacity: Amount::units(*c),
                                description: String::new(),
                                priority: profile_ids.iter().rev().cloned().collect(),
                            })
                            .collect(),
                        profiles: profiles
                            .iter()
                            .enumerate()
                            .map(|(i, (a, links))| Profile {
                                id: profile_ids[i].clone(),
                                name: profile_ids[i].clone(),
                                allotment: Amount(*a),
                                links: pool_ids
                                    .iter()
                                    .enumerate()
                                    .filter(|(j, _)| {
                                        links & (1 << j) != 0
                                            || *j == *links as usize % pool_ids.len()
                                    })
                                    .map(|(_, p)| Link {
                                        name: p.clone(),
                                        pool: p.clone(),
                                    })
                                    .collect(),
                                policy_priority: vec![],
                            })
                            .collect(),
                        policies: policies
                            .iter()
                            .enumerate()
                            .map(|(i, (r, l, q))| Policy {
                                id: format!("pol{i}"),
                                name: format!("pol{i}"),
                                group: String::new(),
                                reservation: Amount::units(*r),
                                limit: Amount::units((*l).max(*r)),
                                description: String::new(),
                                queues: (0..2)
                                    .map(|k| PolicyQueue {
                                        id: format!("pol{i}-q{k}"),
                                        name: String::new(),
                                        profile: profile_ids[(*q as usize + k) % profile_ids.len()]
                                            .clone(),
                                    })
                                    .collect(),
                            })
                            .collect(),
                    };
                    let waiting = jobs
                        .iter()
                        .enumerate()
                        .map(|(n, (p, k))| Waiting {
                            id: format!("job{n}"),
                            queue: format!("pol{}-q{}", *p as usize % policies.len(), k % 2),
                            seq: n as i64,
                        })
                        .collect();
                    (config, waiting)
                })
        }

        proptest! {
            #[test]
            fn admissions_keep_every_rule((config, waiting) in scenario()) {
                let a = allocate(&config, &[], &waiting);
                // Deterministic, whatever order the jobs come in.
                let mut reversed = waiting.clone();
                reversed.reverse();
                prop_assert_eq!(&a, &allocate(&config, &[], &reversed));
                let mut on_pool: BTreeMap<&str, Amount> = BTreeMap::new();
                let mut by_policy: BTreeMap<&str, Amount> = BTreeMap::new();
                for adm in &a {
                    *on_pool.entry(adm.pool.as_str()).or_default() += adm.amount;
                    *by_policy.entry(adm.policy.as_str()).or_default() += adm.amount;
                    let prof = config.profile(&adm.profile).unwrap();
                    prop_assert!(prof.links.iter().any(|l| l.pool == adm.pool));
                }
                for p in &config.pools {
                    prop_assert!(on_pool.get(p.id.as_str()).copied().unwrap_or_default() <= p.capacity);
                }
                for p in &config.policies {
                    prop_assert!(by_policy.get(p.id.as_str()).copied().unwrap_or_default() <= p.limit);
                }
                // FIFO: what a queue ran is its oldest jobs.
                for (qid, _) in config.queues() {
                    let line: Vec<&str> = waiting.iter().filter(|w| w.queue == qid).map(|w| w.id.as_str()).collect();
                    let ran: Vec<&str> = a.iter().filter(|x| x.queue == qid).map(|x| x.id.as_str()).collect();
                    prop_assert_eq!(&line[..ran.len()], &ran[..]);
                }
                // Reservations honoured whenever feasible: a policy left below its reservation
                // with a job waiting could not fit that job anywhere within its limit.
                let free: BTreeMap<&str, Amount> = config.pools.iter()
                    .map(|p| (p.id.as_str(), p.capacity - on_pool.get(p.id.as_str()).copied().unwrap_or_default()))
                    .collect();
                let queues = config.queues();
                for (qid, (pol, q)) in &queues {
                    let used = by_policy.get(pol.id.as_str()).copied().unwrap_or_default();
                    let ran = a.iter().filter(|x| x.queue == *qid).count();
                    let Some(_) = waiting.iter().filter(|w| w.queue == *qid).nth(ran) else { continue };
                    if used >= pol.reservation { continue; }
                    let prof = config.profile(&q.profile).unwrap();
                    let fits = prof.links.iter().any(|l| free[l.pool.as_str()] >= prof.allotment);
                    prop_assert!(!fits || used + prof.allotment > pol.limit,
                        "queue {} waits below its reservation though its job fits", qid);
                }
            }
        }
    }
}
