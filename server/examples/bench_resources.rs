//! `make bench`, third part: the resource allocator (`app::domain::resources::allocator`) — one
//! pass over 100,000 waiting tasks across 30 policies and 5 pools sized so that about half of them
//! can run, next to a naive allocator that admits one task per pass (it runs the same rules again
//! from the start for every task) in the same run; and end to end on SQLite and PostgreSQL, 15,000
//! tasks already queued in policy queues, from turning resource management on until every
//! admissible task is admitted and shows in the API's figures. Writes its section of
//! `BENCHMARKS.md`.
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
use serde_json::{Value, json};
use support::{Lcg, exec, postgres_db};

use app::domain::catalog::Kind;
use app::domain::identity::{Actor, Channel};
use app::domain::resources::allocator::{Admission, Running, Waiting, allocate, allocate_at_most};
use app::domain::resources::{Amount, Configuration, Link, Policy, PolicyQueue, Pool, Profile};
use app::domain::{Identity, Role};
use atrium_server::config::DbArgs;
use atrium_server::store;
use atrium_server::store::resources::QueueRole;

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
    /// Tasks already queued in the end-to-end run.
    #[arg(long, default_value_t = 15_000)]
    queued: usize,
    /// Markdown report whose "Resource allocator" section to replace (or append).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The PostgreSQL server to create a database on.
    #[arg(
        long,
        env = "ATRIUM_TEST_POSTGRES",
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    postgres: String,
}

/// One end-to-end run.
struct EndToEnd {
    name: &'static str,
    admitted: usize,
    /// What the allocator's pure pass admits over the same queues (the admissible tasks).
    admissible: usize,
    /// From `set_enabled` until the admissions show in `resource_configuration.get` and the pool
    /// queues' lengths.
    total_ms: f64,
    /// The pure pass alone over the same input (the baseline).
    pass_ms: f64,
}

/// A workspace with the scenario's configuration provisioned and `queued` tasks waiting in its
/// policy queues (filled through SQL and the store; the configuration through the service), then
/// resource management turned on and timed.
async fn end_to_end(name: &'static str, db: DbArgs, queued: usize) -> Result<EndToEnd, String> {
    let services = support::open(&db).await?;
    let ws = "wsalloc0";
    let now = 1_800_000_000_000i64;
    exec(
        &services,
        "INSERT INTO workspaces (id, name, created_ms)",
        &[vec![json!(ws), json!("Allocation"), json!(now)]],
    )
    .await?;
    exec(
        &services,
        "INSERT INTO users (id, username, email, name, kind, created_ms, updated_ms)",
        &[vec![
            json!("admin"),
            json!("admin"),
            json!("admin@example.com"),
            json!("Admin"),
            json!("person"),
            json!(now),
            json!(now),
        ]],
    )
    .await?;
    exec(
        &services,
        "INSERT INTO memberships (workspace_id, user_id, role, created_ms)",
        &[vec![json!(ws), json!("admin"), json!("admin"), json!(now)]],
    )
    .await?;
    let groups: Vec<Vec<Value>> = (0..POLICIES)
        .map(|p| {
            vec![
                json!(format!("group{p}")),
                json!(ws),
                json!(format!("Group {p}")),
                json!(""),
                json!(now),
            ]
        })
        .collect();
    exec(
        &services,
        "INSERT INTO user_groups (id, workspace_id, name, description, created_ms)",
        &groups,
    )
    .await?;
    let who = Identity {
        user_id: "admin".into(),
        user_name: "Admin".into(),
        email: "admin@example.com".into(),
        workspace_id: ws.into(),
        workspace_name: "Allocation".into(),
        role: Role::Admin,
        channel: Channel::Api,
        actor: Actor::Person,
    };
    let admin = who.admin("bench").map_err(|e| e.to_string())?;
    let (config, waiting) = scenario(queued);
    let r = &services.resources;
    let v = r
        .save(&admin, &config, 0)
        .await
        .map_err(|e| e.to_string())?;
    r.provision(&admin, v).await.map_err(|e| e.to_string())?;
    // The policy queues' catalog ids.
    let mut conn = services
        .core
        .db
        .pool
        .acquire()
        .await
        .map_err(|e| e.to_string())?;
    let made = store::resources::queues(&mut conn, ws)
        .await
        .map_err(|e| e.to_string())?;
    let queue_of = |config_queue: &str| -> String {
        let (policy, q) = config
            .policies
            .iter()
            .find_map(|p| {
                p.queues
                    .iter()
                    .find(|q| q.id == config_queue)
                    .map(|q| (p, q))
            })
            .expect("a queue of the scenario");
        made.iter()
            .find(|m| matches!(&m.role, QueueRole::Policy { policy: p, profile, .. } if *p == policy.id && *profile == q.profile))
            .map(|m| m.queue_id.clone())
            .expect("provisioned")
    };
    let mut tx = services
        .core
        .db
        .begin_write()
        .await
        .map_err(|e| e.to_string())?;
    for w in &waiting {
        let doc = json!({
            "id": w.id, "name": w.id, "type": "training", "status": "queued", "user": "admin",
            "company": ws, "created": "2027-01-15T08:00:00.000+00:00", "project": null,
            "execution": {"queue": queue_of(&w.queue)},
        });
        store::catalog::insert(&mut tx, ws, Kind::Task, &doc, now)
            .await
            .map_err(|e| e.to_string())?;
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    let entries: Vec<Vec<Value>> = waiting
        .iter()
        .map(|w| {
            vec![
                json!(w.id),
                json!(queue_of(&w.queue)),
                json!(ws),
                json!(w.seq),
                json!(now),
            ]
        })
        .collect();
    exec(
        &services,
        "INSERT INTO queue_entries (task_id, queue_id, workspace_id, position, added_ms)",
        &entries,
    )
    .await?;
    if name == "PostgreSQL" {
        sqlx::query("ANALYZE")
            .execute(&mut *conn)
            .await
            .map_err(|e| e.to_string())?;
    }
    drop(conn);

    let started = Instant::now();
    let admitted = r
        .set_enabled(&admin, true)
        .await
        .map_err(|e| e.to_string())?;
    let view = r.get(&admin).await.map_err(|e| e.to_string())?;
    let total_ms = started.elapsed().as_secs_f64() * 1e3;
    let running: usize = view.usage.profiles.iter().map(|p| p.running).sum();
    let mut conn = services
        .core
        .db
        .pool
        .acquire()
        .await
        .map_err(|e| e.to_string())?;
    let on_pools: i64 = store::catalog::queue_lengths(&mut conn, ws)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|(q, _)| {
            made.iter()
                .any(|m| &m.queue_id == q && matches!(m.role, QueueRole::Pool { .. }))
        })
        .map(|(_, n)| n)
        .sum();
    if running != admitted || on_pools as usize != admitted {
        return Err(format!(
            "{name}: {admitted} admitted, but the API shows {running} running and {on_pools} on the pools' queues"
        ));
    }
    let started = Instant::now();
    let admissible = allocate(&config, &[], &waiting).len();
    let pass_ms = started.elapsed().as_secs_f64() * 1e3;
    services.core.db.pool.close().await;
    Ok(EndToEnd {
        name,
        admitted,
        admissible,
        total_ms,
        pass_ms,
    })
}

async fn end_to_end_both(args: &Args) -> Result<Vec<EndToEnd>, String> {
    let dir = std::env::temp_dir().join(format!("atrium-bench-alloc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let sqlite = end_to_end(
        "SQLite",
        DbArgs {
            data_dir: dir.clone(),
            database_url: None,
            master_key: None,
        },
        args.queued,
    )
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    let (pg_args, pg_name) = postgres_db(&args.postgres).await?;
    let pg_dir = pg_args.data_dir.clone();
    let postgres = end_to_end("PostgreSQL", pg_args, args.queued).await;
    let _ = std::fs::remove_dir_all(&pg_dir);
    if let Ok(admin) = atrium_server::db::connect(&args.postgres).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)"))
            .execute(&admin.pool)
            .await;
    }
    Ok(vec![sqlite?, postgres?])
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
            priority: profiles
                .iter()
                .rev()
                .filter(|f| f.links.iter().any(|l| l.pool == format!("pool{i}")))
                .map(|f| f.id.clone())
                .collect(),
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

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let ends = match end_to_end_both(&args).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("bench_resources: {e}");
            std::process::exit(1);
        }
    };
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
        "End to end: {} tasks already queued in the policy queues of the same scenario (30 policies, 5 pools sized to hold about half), through the services on each database — from `resource_configuration.set_enabled` until every admissible task is admitted (moved to its pool's queue, its allotment recorded, in one transaction) and shows in `resource_configuration.get` and the pools' queue lengths. Baseline in the same run: the allocator's pure pass over the same queues.\n",
        args.queued
    );
    let _ = writeln!(
        section,
        "| database | admitted | admissible | enable → visible | pure pass | ratio |\n|---|---:|---:|---:|---:|---:|"
    );
    for e in &ends {
        let _ = writeln!(
            section,
            "| {} | {} | {} | {:.0} ms | {:.1} ms | {:.0}× |",
            e.name,
            e.admitted,
            e.admissible,
            e.total_ms,
            e.pass_ms,
            e.total_ms / e.pass_ms.max(1e-9)
        );
    }
    let worst = ends.iter().map(|e| e.total_ms).fold(0.0, f64::max);
    let _ = writeln!(section);
    let _ = writeln!(
        section,
        "Targets: one pass over 100,000 waiting tasks ≤ 100 ms: {}. {} queued tasks admitted and visible ≤ 1 s: worst {worst:.0} ms, {}.",
        if best <= 100.0 { "met" } else { "not met" },
        args.queued,
        if worst <= 1000.0 && ends.iter().all(|e| e.admitted == e.admissible) {
            "met"
        } else {
            "not met"
        }
    );
    println!("{section}");
    if let Some(path) = &args.out {
        support::write_section(path, "## Resource allocator", &section)
            .expect("BENCHMARKS.md is writable");
    }
}
