//! `make bench`, third part: the resource allocator (`app::domain::resources::allocator`) — one
//! pass over 100,000 waiting tasks across 30 policies and 5 pools sized so that about half of them
//! can run, next to a naive allocator that admits one task per pass (it runs the same rules again
//! from the start for every task) in the same run. Writes its section of `BENCHMARKS.md`.
//!
//! ```text
//! cargo run -p server --release --example bench_resources -- --out BENCHMARKS.md
//! ```

#[path = "support/mod.rs"]
mod support;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use support::Lcg;

use app::domain::resources::allocator::{Admission, Running, Waiting, allocate, allocate_at_most};
use app::domain::resources::{Amount, Configuration, Link, Policy, PolicyQueue, Pool, Profile};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const POOLS: usize = 5;
const PROFILES: usize = 8;
const POLICIES: usize = 30;
const QUEUES_PER_POLICY: usize = 2;

#[derive(Debug, Parser)]
#[command(about = "Benchmarks the resource allocator")]
struct Args {
    /// Waiting tasks.
    #[arg(long, default_value_t = 100_000)]
    tasks: usize,
    /// Tasks the naive allocator admits (one pass each) to measure its time per task.
    #[arg(long, default_value_t = 100)]
    naive_tasks: usize,
    /// Markdown report whose "Resource allocator" section to replace (or append).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// The configuration and the queues: profiles of 0.5, 1, 2 and 4 GPUs linked to two or three
/// pools each; pools sized so that about half of the waiting work fits.
fn scenario(tasks: usize) -> (Configuration, Vec<Waiting>) {
    let mut rng = Lcg(11);
    let allotments = [50i64, 100, 200, 400];
    let profiles: Vec<Profile> = (0..PROFILES)
        .map(|i| Profile {
            id: format!("profile{i}"),
            name: format!("Profile {i}"),
            allotment: Amount(allotments[i % allotments.len()]),
            links: (0..2 + i % 2)
                .map(|k| {
                    let pool = (i + k) % POOLS;
                    Link {
                        name: format!("profile{i} on pool{pool}"),
                        pool: format!("pool{pool}"),
                    }
                })
                .collect(),
            policy_priority: (0..POLICIES).map(|p| format!("policy{p}")).collect(),
        })
        .collect();
    let policies: Vec<Policy> = (0..POLICIES)
        .map(|p| Policy {
            id: format!("policy{p}"),
            name: format!("Policy {p}"),
            group: format!("group{p}"),
            reservation: Amount::units(20),
            limit: Amount::units(4000),
            description: String::new(),
            queues: (0..QUEUES_PER_POLICY)
                .map(|k| PolicyQueue {
                    id: format!("policy{p}-q{k}"),
                    name: format!("policy{p}-q{k}"),
                    profile: format!("profile{}", (p + k) % PROFILES),
                })
                .collect(),
        })
        .collect();
    let queues: Vec<(String, i64)> = policies
        .iter()
        .flat_map(|p| {
            p.queues.iter().map(|q| {
                let prof = profiles.iter().find(|f| f.id == q.profile).unwrap();
                (q.id.clone(), prof.allotment.0)
            })
        })
        .collect();
    let mut waiting = Vec::with_capacity(tasks);
    let mut demand = 0i64;
    for n in 0..tasks {
        let (queue, amount) = &queues[rng.next(queues.len())];
        demand += amount;
        waiting.push(Waiting {
            id: format!("task{n}"),
            queue: queue.clone(),
            seq: n as i64,
        });
    }
    let per_pool = Amount(demand / 2 / POOLS as i64 / 100 * 100);
    let pools = (0..POOLS)
        .map(|i| Pool {
            id: format!("pool{i}"),
            name: format!("Pool {i}"),
            capacity: per_pool,
            description: String::new(),
            priority: (0..PROFILES).rev().map(|f| format!("profile{f}")).collect(),
        })
        .collect();
    (
        Configuration {
            pools,
            profiles,
            policies,
        },
        waiting,
    )
}

/// One task per pass: every pass reads the queues and the pools again from the start and admits
/// one task.
fn naive(config: &Configuration, waiting: &[Waiting], count: usize) -> Vec<Admission> {
    let mut running: Vec<Running> = Vec::new();
    let mut left: Vec<Waiting> = waiting.to_vec();
    let mut out = Vec::new();
    while out.len() < count {
        let Some(first) = allocate_at_most(config, &running, &left, 1)
            .into_iter()
            .next()
        else {
            break;
        };
        left.retain(|w| w.id != first.id);
        running.push(Running {
            id: first.id.clone(),
            policy: first.policy.clone(),
            pool: first.pool.clone(),
            amount: first.amount,
        });
        out.push(first);
    }
    out
}

fn main() {
    let args = Args::parse();
    let (config, waiting) = scenario(args.tasks);
    // Warm-up, then the best of three passes.
    let _ = allocate(&config, &[], &waiting);
    let mut best = f64::MAX;
    let mut admitted = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        admitted = allocate(&config, &[], &waiting);
        best = best.min(started.elapsed().as_secs_f64() * 1e3);
    }
    let naive_count = args.naive_tasks.min(admitted.len());
    let started = Instant::now();
    let slow = naive(&config, &waiting, naive_count);
    let naive_ms = started.elapsed().as_secs_f64() * 1e3;
    assert_eq!(
        slow.iter().map(|a| &a.id).collect::<Vec<_>>(),
        admitted[..slow.len()]
            .iter()
            .map(|a| &a.id)
            .collect::<Vec<_>>(),
        "the naive loop admits the same tasks in the same order"
    );
    let per_task_batch_us = best * 1e3 / admitted.len().max(1) as f64;
    let per_task_naive_us = naive_ms * 1e3 / slow.len().max(1) as f64;
    let naive_all_s = per_task_naive_us * admitted.len() as f64 / 1e6;
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mut section = String::new();
    let _ = writeln!(section, "## Resource allocator\n");
    let _ = writeln!(
        section,
        "Generated by `make bench` (`server/examples/bench_resources.rs`).\n"
    );
    let _ = writeln!(section, "- Command: `make bench`");
    let _ = writeln!(section, "- Machine: {cores} cores");
    let _ = writeln!(
        section,
        "- Scale: {} waiting tasks in {} queues of {POLICIES} policies (reservation 20 each), {PROFILES} profiles of 0.5, 1, 2 and 4 GPUs linked to two or three of {POOLS} pools, pools sized to hold about half of the work. The allocator's pure function (`app/src/domain/resources/allocator.rs`), release build, best of three passes.",
        args.tasks,
        POLICIES * QUEUES_PER_POLICY
    );
    let _ = writeln!(
        section,
        "- Baseline in the same run: a naive allocator that admits one task per pass (the same rules from the start for every task), over its first {} admissions; its whole run is extrapolated.\n",
        slow.len()
    );
    let _ = writeln!(
        section,
        "| allocator | tasks admitted | time | per task | vs naive |\n|---|---:|---:|---:|---:|"
    );
    let _ = writeln!(
        section,
        "| one pass (batch) | {} | {best:.1} ms | {per_task_batch_us:.2} µs | {:.0}× faster |",
        admitted.len(),
        per_task_naive_us / per_task_batch_us.max(1e-9)
    );
    let _ = writeln!(
        section,
        "| naive, one task per pass | {} | {naive_ms:.1} ms | {per_task_naive_us:.0} µs | 1× (all {}: about {naive_all_s:.0} s) |\n",
        slow.len(),
        admitted.len()
    );
    let _ = writeln!(
        section,
        "Target: one pass over 100,000 waiting tasks ≤ 100 ms: {}.",
        if best <= 100.0 { "met" } else { "not met" }
    );
    println!("{section}");
    if let Some(path) = &args.out {
        support::write_section(path, "## Resource allocator", &section)
            .expect("BENCHMARKS.md is writable");
    }
}
