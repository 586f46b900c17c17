//! `make bench`, second part: the access rules at Grafana's worst published scale — 13,000
//! objects, 2,000 users, 300 groups and 130,000 rules in one workspace — on SQLite and on
//! PostgreSQL. Measures the listings a member of 20 groups gets (`tasks.get_all` and
//! `projects.get_all`, a page of 500, filtered by the rules) next to the same listings unfiltered
//! (an administrator's, in the same run), one check of the evaluator, and how long reading a
//! workspace's rules into memory takes. Writes its section of `BENCHMARKS.md`.
//!
//! ```text
//! cargo run -p server --release --example bench_access_rules -- --out BENCHMARKS.md [--calls 200]
//! ```

#[path = "support/mod.rs"]
mod support;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use serde_json::{Map, Value, json};
use support::{Lcg, exec, postgres_db};

use app::domain::access_rules::{Principal, Target};
use app::domain::catalog::Kind;
use app::domain::identity::{Actor, Channel};
use app::domain::{Identity, Role};
use atrium_server::config::DbArgs;
use atrium_server::services::Services;
use atrium_server::services::access_rules::{Viewer, workspace_access};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USERS: usize = 2_000;
const GROUPS: usize = 300;
const TOP_PROJECTS: usize = 100;
const SUB_PROJECTS: usize = 9;
const TASKS_PER_PROJECT: usize = 10;
const MODELS_PER_PROJECT: usize = 2;
const RULES_PER_OBJECT: usize = 10;
const MEMBER_GROUPS: usize = 20;
const PAGE: usize = 500;

#[derive(Debug, Parser)]
#[command(about = "Benchmarks the access rules at scale")]
struct Args {
    /// Listing calls measured per scenario.
    #[arg(long, default_value_t = 200)]
    calls: usize,
    /// Markdown report whose "Access rules" section to replace (or append).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The PostgreSQL server to create a database on.
    #[arg(
        long,
        env = "ATRIUM_TEST_POSTGRES",
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    postgres: String,
    /// Keeps the SQLite folder and the PostgreSQL database afterwards (their names are printed),
    /// to look at the plans of the listings' queries.
    #[arg(long)]
    keep: bool,
}

fn id(prefix: &str, n: usize) -> String {
    format!("{prefix}{n:08x}")
}

struct Scale {
    member: Identity,
    admin: Identity,
    /// A task deep in the tree and its project, for the single check.
    task: (String, String),
    objects: usize,
    rules: usize,
    load_ms: f64,
}

fn identity(user: &str, ws: &str, role: Role) -> Identity {
    Identity {
        user_id: user.into(),
        user_name: user.into(),
        email: format!("{user}@example.com"),
        workspace_id: ws.into(),
        workspace_name: "Scale".into(),
        role,
        channel: Channel::Api,
        actor: Actor::Person,
    }
}

/// Fills a workspace at the scale, straight through SQL (the services would hash 2,000 passwords).
async fn fill(s: &Services) -> Result<Scale, String> {
    let ws = "wsscale0";
    let now = 1_800_000_000_000i64;
    let mut rng = Lcg(7);
    exec(
        s,
        "INSERT INTO workspaces (id, name, created_ms)",
        &[vec![json!(ws), json!("Scale"), json!(now)]],
    )
    .await?;
    let users: Vec<String> = (0..USERS).map(|i| id("u", i)).collect();
    let rows: Vec<Vec<Value>> = users
        .iter()
        .map(|u| {
            vec![
                json!(u),
                json!(u),
                json!(format!("{u}@example.com")),
                json!(u),
                json!("person"),
                json!(now),
                json!(now),
            ]
        })
        .collect();
    exec(
        s,
        "INSERT INTO users (id, username, email, name, kind, created_ms, updated_ms)",
        &rows,
    )
    .await?;
    let rows: Vec<Vec<Value>> = users
        .iter()
        .enumerate()
        .map(|(i, u)| {
            vec![
                json!(ws),
                json!(u),
                json!(if i == 0 { "admin" } else { "member" }),
                json!(now),
            ]
        })
        .collect();
    exec(
        s,
        "INSERT INTO memberships (workspace_id, user_id, role, created_ms)",
        &rows,
    )
    .await?;
    let groups: Vec<String> = (0..GROUPS).map(|i| id("g", i)).collect();
    let rows: Vec<Vec<Value>> = groups
        .iter()
        .map(|g| vec![json!(g), json!(ws), json!(g), json!(""), json!(now)])
        .collect();
    exec(
        s,
        "INSERT INTO user_groups (id, workspace_id, name, description, created_ms)",
        &rows,
    )
    .await?;
    // The measured member (user 1) is in 20 groups; everyone else in 3.
    let mut rows: Vec<Vec<Value>> = Vec::new();
    for (i, u) in users.iter().enumerate() {
        let n = if i == 1 { MEMBER_GROUPS } else { 3 };
        let mut picked = std::collections::BTreeSet::new();
        while picked.len() < n {
            picked.insert(rng.next(GROUPS));
        }
        rows.extend(picked.into_iter().map(|g| vec![json!(groups[g]), json!(u)]));
    }
    exec(s, "INSERT INTO group_members (group_id, user_id)", &rows).await?;
    // Projects: 100 at the top, 9 under each; 10 tasks and 2 models in every project.
    let mut objects: Vec<(Kind, String, String, Option<String>)> = Vec::new();
    for t in 0..TOP_PROJECTS {
        let top = id("p", t * 10);
        objects.push((Kind::Project, top.clone(), format!("Team {t}"), None));
        for c in 1..=SUB_PROJECTS {
            objects.push((
                Kind::Project,
                id("p", t * 10 + c),
                format!("Team {t}/Area {c}"),
                None,
            ));
        }
    }
    let projects: Vec<String> = objects.iter().map(|o| o.1.clone()).collect();
    for (p, project) in projects.iter().enumerate() {
        for k in 0..TASKS_PER_PROJECT {
            objects.push((
                Kind::Task,
                id("t", p * 100 + k),
                format!("run {p}-{k}"),
                Some(project.clone()),
            ));
        }
        for k in 0..MODELS_PER_PROJECT {
            objects.push((
                Kind::Model,
                id("m", p * 100 + k),
                format!("model {p}-{k}"),
                Some(project.clone()),
            ));
        }
    }
    let rows: Vec<Vec<Value>> = objects
        .iter()
        .map(|(kind, oid, name, project)| {
            let doc = json!({
                "id": oid, "name": name, "project": project, "company": ws, "user": users[2],
                "status": "completed", "type": "training", "created": "2026-11-29T08:00:00.000+00:00",
                "tags": ["bench"], "system_tags": [], "comment": "a benchmark object with a realistic amount of text",
                "script": {"repository": "https://example.com/repo.git", "entry_point": "train.py", "branch": "main"},
                "execution": {"parameters": {"lr": "0.1", "epochs": "10"}, "queue": null},
                "hyperparams": {"General": {"lr": {"section": "General", "name": "lr", "value": "0.1", "type": "float"}}},
            });
            vec![
                json!(oid), json!(ws), json!(kind.as_str()), json!(name), json!(project),
                json!(if *kind == Kind::Task { Some("completed") } else { None }), json!(doc.to_string()), json!(now), json!(now),
                doc["created"].clone(),
            ]
        })
        .collect();
    exec(s, "INSERT INTO catalog (id, workspace_id, kind, name, project_id, status, doc, created_ms, updated_ms, created)", &rows).await?;
    // Ten rules on every object, each naming one user or one group, Read Only or Read & Modify.
    let mut rules = Vec::new();
    let mut subjects = Vec::new();
    for (n, (kind, oid, _, _)) in objects.iter().enumerate() {
        for r in 0..RULES_PER_OBJECT {
            let rid = id("r", n * RULES_PER_OBJECT + r);
            let permission = if rng.next(2) == 0 { "read" } else { "modify" };
            rules.push(vec![
                json!(rid),
                json!(ws),
                json!(kind.as_str()),
                json!(oid),
                json!(permission),
                json!(now),
                json!(now),
            ]);
            let (skind, sid) = if rng.next(3) == 0 {
                ("group", groups[rng.next(GROUPS)].clone())
            } else {
                ("user", users[rng.next(USERS)].clone())
            };
            subjects.push(vec![json!(rid), json!(ws), json!(skind), json!(sid)]);
        }
    }
    exec(s, "INSERT INTO access_rules (id, workspace_id, kind, object_id, permission, created_ms, updated_ms)", &rules).await?;
    exec(
        s,
        "INSERT INTO access_rule_subjects (rule_id, workspace_id, kind, subject_id)",
        &subjects,
    )
    .await?;
    // The planner's statistics, as a database that has run a while has them (autovacuum on
    // PostgreSQL; `ANALYZE` or `PRAGMA optimize` on SQLite).
    sqlx::query("ANALYZE")
        .execute(&s.core.db.pool)
        .await
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut conn = s.core.db.pool.acquire().await.map_err(|e| e.to_string())?;
    s.core.caches.clear();
    workspace_access(&s.core, &mut conn, ws)
        .await
        .map_err(|e| format!("{e:?}"))?;
    let load_ms = started.elapsed().as_secs_f64() * 1e3;
    Ok(Scale {
        member: identity(&users[1], ws, Role::Member),
        admin: identity(&users[0], ws, Role::Admin),
        task: (id("t", 999 * 100 + 9), projects[999].clone()),
        objects: objects.len(),
        rules: rules.len(),
        load_ms,
    })
}

struct Timing {
    p50: f64,
    p99: f64,
    rows: usize,
}

/// One listing call's time and rows.
async fn one_listing(
    s: &Services,
    who: &Identity,
    kind: Kind,
    params: &Map<String, Value>,
) -> Result<(std::time::Duration, usize), String> {
    let started = Instant::now();
    let found = match kind {
        Kind::Task => s.catalog.tasks(who, params).await,
        _ => s.catalog.projects(who, params).await,
    }
    .map_err(|e| format!("{e:?}"))?;
    // Written out as the endpoint's answer is.
    let written = serde_json::to_vec(&found).map_err(|e| e.to_string())?;
    let elapsed = started.elapsed();
    std::hint::black_box(written);
    Ok((elapsed, found.len()))
}

fn timing(mut samples: Vec<std::time::Duration>, rows: usize) -> Timing {
    samples.sort();
    let at = |q: f64| {
        samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)].as_secs_f64() * 1e3
    };
    Timing {
        p50: at(0.5),
        p99: at(0.99),
        rows,
    }
}

/// The member's (filtered) and the administrator's (unfiltered) listing, called in turn so that
/// both see the machine in the same state.
async fn time_listings(
    s: &Services,
    scale: &Scale,
    kind: Kind,
    calls: usize,
) -> Result<(Timing, Timing), String> {
    let mut params = Map::new();
    params.insert("page".into(), json!(0));
    params.insert("page_size".into(), json!(PAGE));
    let (mut filtered, mut unfiltered) = (Vec::new(), Vec::new());
    let (mut rows_f, mut rows_u) = (0, 0);
    for i in 0..calls + 5 {
        let (f, n) = one_listing(s, &scale.member, kind, &params).await?;
        let (u, m) = one_listing(s, &scale.admin, kind, &params).await?;
        (rows_f, rows_u) = (n, m);
        if i >= 5 {
            filtered.push(f);
            unfiltered.push(u);
        }
    }
    Ok((timing(filtered, rows_f), timing(unfiltered, rows_u)))
}

struct DbResult {
    name: &'static str,
    scale: Scale,
    tasks: (Timing, Timing),
    projects: (Timing, Timing),
    check_ns: f64,
    viewer_check_ns: f64,
}

async fn run_on(name: &'static str, db: DbArgs, calls: usize) -> Result<DbResult, String> {
    let services = support::open(&db).await?;
    let scale = fill(&services).await?;
    let tasks = time_listings(&services, &scale, Kind::Task, calls).await?;
    let projects = time_listings(&services, &scale, Kind::Project, calls).await?;
    // One check: the evaluator alone, and through the caller's view (project chain lookup included).
    let mut conn = services
        .core
        .db
        .pool
        .acquire()
        .await
        .map_err(|e| e.to_string())?;
    let viewer = Viewer::of(&services.core, &mut conn, &scale.member)
        .await
        .map_err(|e| format!("{e:?}"))?;
    let principal: Principal = viewer.principal.clone();
    let grants = viewer.access.rules.grants(&principal);
    let chain = vec![scale.task.1.clone(), id("p", (TOP_PROJECTS - 1) * 10)];
    let target = Target {
        kind: Kind::Task,
        id: Some(&scale.task.0),
        projects: &chain,
    };
    let n = 2_000_000u32;
    let started = Instant::now();
    let mut granted = 0usize;
    for _ in 0..n {
        granted += std::hint::black_box(
            viewer
                .access
                .rules
                .level_with(std::hint::black_box(&grants), std::hint::black_box(&target)),
        ) as usize;
    }
    let check_ns = started.elapsed().as_secs_f64() * 1e9 / f64::from(n);
    let started = Instant::now();
    for _ in 0..n {
        granted += std::hint::black_box(viewer.level(
            Kind::Task,
            Some(&scale.task.0),
            Some(&scale.task.1),
        )) as usize;
    }
    let viewer_check_ns = started.elapsed().as_secs_f64() * 1e9 / f64::from(n);
    std::hint::black_box(granted);
    services.core.db.pool.close().await;
    Ok(DbResult {
        name,
        scale,
        tasks,
        projects,
        check_ns,
        viewer_check_ns,
    })
}

fn report(results: &[DbResult]) -> String {
    let mut out = String::new();
    let machine = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    writeln!(out, "## Access rules at scale\n").unwrap();
    writeln!(
        out,
        "Generated by `make bench` (`server/examples/bench_access_rules.rs`).\n"
    )
    .unwrap();
    writeln!(out, "- Command: `make bench`").unwrap();
    writeln!(
        out,
        "- Date: {}",
        app::domain::timefmt::date_time(time::OffsetDateTime::now_utc().unix_timestamp() * 1000)
    )
    .unwrap();
    writeln!(out, "- Machine: {cores} cores, {machine}").unwrap();
    writeln!(out, "- Scale (Grafana's worst published, PR #43278): one workspace with {} objects ({} projects in a two-level tree, {} tasks, {} models), {USERS} users, {GROUPS} groups, {} rules (ten on every object, each naming one user or one group). The measured member is in {MEMBER_GROUPS} groups; the unfiltered listing is an administrator's (the same code, no rule applied), measured in the same run.", results[0].scale.objects, TOP_PROJECTS * (1 + SUB_PROJECTS), TOP_PROJECTS * (1 + SUB_PROJECTS) * TASKS_PER_PROJECT, TOP_PROJECTS * (1 + SUB_PROJECTS) * MODELS_PER_PROJECT, results[0].scale.rules).unwrap();
    writeln!(out, "- Listings are the service calls behind `tasks.get_all` and `projects.get_all` with `page_size` {PAGE}, their documents written out as JSON as the endpoint answers them, a member's and an administrator's call in turn; the rules are in memory (read once, then cached until a change); the planner's statistics are gathered (`ANALYZE`) after the fill, as a database that has run a while has them.\n").unwrap();
    writeln!(out, "| database | listing | filtered p50 ms | filtered p99 ms | rows | unfiltered p50 ms | unfiltered p99 ms | rows | filtered / unfiltered (p50) |").unwrap();
    writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|").unwrap();
    for r in results {
        for (label, (f, u)) in [
            ("tasks.get_all", &r.tasks),
            ("projects.get_all", &r.projects),
        ] {
            writeln!(
                out,
                "| {} | {label} | {:.2} | {:.2} | {} | {:.2} | {:.2} | {} | {:.2}× |",
                r.name,
                f.p50,
                f.p99,
                f.rows,
                u.p50,
                u.p99,
                u.rows,
                f.p50 / u.p50
            )
            .unwrap();
        }
    }
    writeln!(out).unwrap();
    for r in results {
        writeln!(out, "- {}: one check {:.0} ns (the evaluator with the caller's grants), {:.0} ns through the caller's view (with the project chain looked up); reading the workspace's rules, memberships and tree into memory {:.0} ms.", r.name, r.check_ns, r.viewer_check_ns, r.scale.load_ms).unwrap();
    }
    writeln!(out).unwrap();
    let worst_ratio = results
        .iter()
        .flat_map(|r| {
            [
                r.tasks.0.p50 / r.tasks.1.p50,
                r.projects.0.p50 / r.projects.1.p50,
            ]
        })
        .fold(0.0, f64::max);
    let worst_p50 = results
        .iter()
        .flat_map(|r| [r.tasks.0.p50, r.projects.0.p50])
        .fold(0.0, f64::max);
    let worst_check = results
        .iter()
        .map(|r| r.check_ns.max(r.viewer_check_ns))
        .fold(0.0, f64::max);
    writeln!(out, "Targets:\n").unwrap();
    writeln!(
        out,
        "- Filtered listing ≤ 1.5× the unfiltered one: worst {worst_ratio:.2}×: {}.",
        if worst_ratio <= 1.5 { "met" } else { "not met" }
    )
    .unwrap();
    writeln!(
        out,
        "- Filtered listing p50 ≤ 5 ms: worst {worst_p50:.1} ms: {}.",
        if worst_p50 <= 5.0 { "met" } else { "not met" }
    )
    .unwrap();
    writeln!(
        out,
        "- One check ≤ 1 µs: worst {worst_check:.0} ns: {}.",
        if worst_check <= 1000.0 {
            "met"
        } else {
            "not met"
        }
    )
    .unwrap();
    out
}

#[tokio::main]
async fn main() {
    // The server's own errors (an internal error's cause) on standard error.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::WARN)
        .init();
    let args = Args::parse();
    if let Err(e) = run(&args).await {
        eprintln!("bench_access_rules: {e}");
        std::process::exit(1);
    }
}

async fn run(args: &Args) -> Result<(), String> {
    let calls = args.calls.max(1);
    let dir = std::env::temp_dir().join(format!("atrium-bench-rules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let sqlite = run_on(
        "SQLite",
        DbArgs {
            data_dir: dir.clone(),
            database_url: None,
            master_key: None,
        },
        calls,
    )
    .await;
    if args.keep {
        println!("kept: SQLite in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let (pg_args, pg_name) = postgres_db(&args.postgres).await?;
    let pg_dir = pg_args.data_dir.clone();
    let postgres = run_on("PostgreSQL", pg_args, calls).await;
    let _ = std::fs::remove_dir_all(&pg_dir);
    if args.keep {
        println!("kept: PostgreSQL database {pg_name}");
    } else if let Ok(admin) = atrium_server::db::connect(&args.postgres).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)"))
            .execute(&admin.pool)
            .await;
    }
    let results = vec![sqlite?, postgres?];
    let section = report(&results);
    println!("{section}");
    if let Some(path) = &args.out {
        support::write_section(path, "## Access rules at scale", &section)?;
    }
    Ok(())
}
