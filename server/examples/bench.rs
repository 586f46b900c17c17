//! `make bench`: throughput and latency of Atrium's pages next to a bare axum handler, measured in
//! the same process and the same run, written to `BENCHMARKS.md`.
//!
//! The Atrium router is built exactly as `atrium serve` builds it (fresh SQLite database in a
//! temporary folder, every middleware layer); a bare axum app with one handler serves as the
//! baseline. A closed-loop load generator (tokio + hyper, HTTP/1.1 keep-alive) keeps a fixed number
//! of connections busy against each scenario in turn: a warm-up, then a measured run.
//!
//! To add a benchmark, add a [`Scenario`] to [`scenarios`]; data it needs (a user to log in as, …)
//! can be created through `services` in `main` before the runs start.
//!
//! ```text
//! cargo run -p server --release --example bench -- --out BENCHMARKS.md [--seconds 10] [--warmup 2] [--connections 64]
//! ```

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, header};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use atrium_server::cli;
use atrium_server::config::DbArgs;
use atrium_server::config::ServeArgs;
use atrium_server::http as atrium_http;

/// The `atrium` binary's allocator, so that the figures are those of the real server.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(about = "Benchmarks Atrium's pages against a bare axum handler")]
struct Args {
    /// Measured seconds per scenario.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Warm-up seconds per scenario (same connections, not measured).
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Markdown report to write (besides the table on standard output).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// `atrium serve`'s flags, to build its default settings.
#[derive(Debug, Parser)]
struct ServeDefaults {
    #[command(flatten)]
    serve: ServeArgs,
}

/// Which of the two servers a scenario talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Bare,
    Atrium,
}

/// One benchmarked request, sent over and over.
#[derive(Debug, Clone)]
struct Scenario {
    name: &'static str,
    target: Target,
    method: Method,
    path: &'static str,
    headers: Vec<(&'static str, String)>,
    body: &'static str,
}

/// The baseline: a handler that returns a short static text, with no middleware.
fn bare() -> Scenario {
    Scenario {
        name: "bare axum handler",
        target: Target::Bare,
        method: Method::GET,
        path: "/",
        headers: vec![],
        body: "",
    }
}

const BARE_TEXT: &str = "Hello, world!\n";

/// Below this share of the cores during a measured run, something else was using the machine.
const MIN_CPU_SHARE: f64 = 0.85;
/// Above this difference between the two bare runs, the machine's speed changed during the benchmark.
const MAX_DRIFT: f64 = 0.1;

/// What the API scenarios authenticate with: a key pair and a token issued from it.
struct Fixtures {
    basic: String,
    bearer: String,
}

/// A user with a key pair, made through the services as an operator would, and a token.
async fn fixtures(services: &atrium_server::services::Services) -> Result<Fixtures, String> {
    use base64::Engine;
    let created = services
        .users
        .create(atrium_server::services::users::NewUser {
            email: "bench@example.com".into(),
            name: "Bench User".into(),
            username: None,
            password: "bench-password-1".into(),
            role: app::domain::Role::Member,
            workspace: atrium_server::services::users::Placement::Named("Bench".into()),
        })
        .await
        .map_err(|e| e.to_string())?;
    let who = services
        .workspaces
        .identity_for(&created.email, None)
        .await
        .map_err(|e| e.to_string())?;
    let key = services
        .credentials
        .create(&who, None, "bench", None)
        .await
        .map_err(|e| e.to_string())?;
    let caller = services
        .credentials
        .authenticate_basic(&key.info.access_key, &key.secret_key, "bench")
        .await
        .map_err(|e| e.message())?;
    let (token, _) = services
        .credentials
        .issue_token(&caller, None, None)
        .await
        .map_err(|e| e.to_string())?;
    let pair = format!("{}:{}", key.info.access_key, key.secret_key);
    Ok(Fixtures {
        basic: format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        ),
        bearer: format!("Bearer {token}"),
    })
}

/// The Atrium scenarios, in the order they run (between the two baseline runs).
fn scenarios(f: &Fixtures) -> Vec<Scenario> {
    vec![
        Scenario {
            name: "GET /login (SSR)",
            target: Target::Atrium,
            method: Method::GET,
            path: "/login",
            headers: vec![("accept", "text/html".into())],
            body: "",
        },
        Scenario {
            name: "auth.login (HTTP Basic)",
            target: Target::Atrium,
            method: Method::GET,
            path: "/auth.login",
            headers: vec![("authorization", f.basic.clone())],
            body: "",
        },
        Scenario {
            name: "users.get_current_user (Bearer)",
            target: Target::Atrium,
            method: Method::GET,
            path: "/v2.23/users.get_current_user",
            headers: vec![("authorization", f.bearer.clone())],
            body: "",
        },
    ]
}

/// What one measured run saw.
#[derive(Debug, Default)]
struct Run {
    /// Latency of every measured request, in microseconds, from sending to the last body byte.
    latencies: Vec<u32>,
    errors: u64,
    first_error: Option<String>,
    elapsed: Duration,
    response_bytes: usize,
    /// The share of all cores this process used during the measured window (1.0 = every core busy).
    cpu_share: Option<f64>,
}

impl Run {
    fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Nearest-rank percentile, in milliseconds.
    fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        let i = rank.clamp(1, self.latencies.len()) - 1;
        f64::from(self.latencies[i]) / 1000.0
    }

    fn max_ms(&self) -> f64 {
        self.latencies
            .last()
            .map_or(f64::NAN, |&v| f64::from(v) / 1000.0)
    }
}

/// One row of the report.
struct Row {
    name: String,
    per_second: f64,
    p50: f64,
    p99: f64,
    max: f64,
    errors: u64,
    response_bytes: usize,
}

impl Row {
    fn of(name: &str, run: &Run) -> Row {
        Row {
            name: name.to_string(),
            per_second: run.per_second(),
            p50: run.percentile_ms(50.0),
            p99: run.percentile_ms(99.0),
            max: run.max_ms(),
            errors: run.errors,
            response_bytes: run.response_bytes,
        }
    }
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ATRIUM_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    if let Err(message) = run(&args).await {
        eprintln!("bench: {message}");
        std::process::exit(1);
    }
}

async fn run(args: &Args) -> Result<(), String> {
    if args.connections == 0 || args.seconds <= 0.0 || args.warmup < 0.0 {
        return Err("--connections and --seconds must be positive".into());
    }
    let data_dir = std::env::temp_dir().join(format!(
        "atrium-bench-{}-{}",
        std::process::id(),
        time::OffsetDateTime::now_utc().unix_timestamp_nanos()
    ));
    std::fs::create_dir_all(&data_dir)
        .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    let result = bench(args, &data_dir).await;
    let _ = std::fs::remove_dir_all(&data_dir);
    result
}

async fn bench(args: &Args, data_dir: &Path) -> Result<(), String> {
    let load_at_start = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string));
    let (stop, stopped) = watch::channel(false);

    // The bare baseline.
    let bare_app = Router::new().route("/", get(|| async { BARE_TEXT }));
    let bare_listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let bare_addr = bare_listener.local_addr().map_err(|e| e.to_string())?;
    let bare_server = tokio::spawn({
        let mut stopped = stopped.clone();
        async move {
            axum::serve(bare_listener, bare_app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.wait_for(|s| *s).await;
                })
                .await
        }
    });

    // Atrium, as `atrium serve` builds it.
    let db = DbArgs {
        data_dir: data_dir.to_path_buf(),
        database_url: None,
        master_key: None,
    };
    let atrium_listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let atrium_addr = atrium_listener.local_addr().map_err(|e| e.to_string())?;
    // The settings `atrium serve` would run with (its defaults, and any ATRIUM_* variables).
    let serve = ServeDefaults::parse_from(["atrium", "--bind", &atrium_addr.to_string()]).serve;
    let settings = cli::settings_of(&serve)?;
    let services = cli::open(&db, settings).await?;
    let site = site_dir();
    let bundle = site
        .join("pkg")
        .join(format!("{}.js", app::OUTPUT_NAME))
        .exists();
    let options = atrium_http::leptos_options(&site.to_string_lossy(), atrium_addr);
    let atrium_app = atrium_http::router(services.clone(), options);
    let atrium_server = tokio::spawn({
        let mut stopped = stopped.clone();
        async move {
            axum::serve(
                atrium_listener,
                atrium_app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                let _ = stopped.wait_for(|s| *s).await;
            })
            .await
        }
    });

    let addr_of = |target| match target {
        Target::Bare => bare_addr,
        Target::Atrium => atrium_addr,
    };
    let load = Load {
        connections: args.connections,
        warmup: Duration::from_secs_f64(args.warmup),
        measured: Duration::from_secs_f64(args.seconds),
    };
    let scenarios = scenarios(&fixtures(&services).await?);
    println!(
        "{} connections, {:.1} s warm-up + {:.1} s measured per scenario; {} runs (~{:.0} s)",
        load.connections,
        args.warmup,
        args.seconds,
        scenarios.len() + 2,
        (args.warmup + args.seconds) * (scenarios.len() + 2) as f64
    );

    // Bare, every scenario, bare again: the baseline is the mean of the two bare runs.
    let mut outcome = Ok(());
    let mut bare_runs = Vec::new();
    let mut rows = Vec::new();
    let mut cpu_shares = Vec::new();
    let baseline = bare();
    let plan: Vec<&Scenario> = std::iter::once(&baseline)
        .chain(scenarios.iter())
        .chain(std::iter::once(&baseline))
        .collect();
    for scenario in plan {
        let addr = addr_of(scenario.target);
        if let Err(e) = probe(addr, scenario).await {
            outcome = Err(format!("{}: {e}", scenario.name));
            break;
        }
        eprintln!("running {} …", scenario.name);
        let run = load.drive(addr, scenario).await;
        let row = Row::of(scenario.name, &run);
        eprintln!(
            "  {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors, {} of the cores{}",
            row.per_second,
            row.p50,
            row.p99,
            row.errors,
            run.cpu_share
                .map_or("?".into(), |s| format!("{:.0} %", s * 100.0)),
            run.first_error
                .as_deref()
                .map(|e| format!(" (first: {e})"))
                .unwrap_or_default()
        );
        cpu_shares.push((scenario.name, run.cpu_share));
        if scenario.target == Target::Bare {
            bare_runs.push(run);
        } else {
            rows.push(row);
        }
    }

    let _ = stop.send(true);
    for server in [bare_server, atrium_server] {
        match tokio::time::timeout(Duration::from_secs(5), server).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => eprintln!("bench: a server stopped with an error: {e}"),
            Ok(Err(e)) => eprintln!("bench: a server task failed: {e}"),
            Err(_) => eprintln!("bench: a server did not stop within 5 s"),
        }
    }
    services.core.db.pool.close().await;
    outcome?;

    let baseline = baseline_row(&bare_runs);
    let mut all = vec![baseline];
    all.extend(rows);
    let report = Report {
        args,
        rows: &all,
        bare_runs: bare_runs.iter().map(Run::per_second).collect(),
        cpu_shares,
        load_at_start,
        site: &site,
        bundle,
    };
    print!("\n{}", report.text_table());
    if let Some(warning) = report.noise_warning() {
        println!("\nwarning: {warning}");
    }
    if let Some(out) = &args.out {
        std::fs::write(out, report.markdown())
            .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
        println!("\nwrote {}", out.display());
    }
    Ok(())
}

/// The site folder the release binary would use: `$CARGO_TARGET_DIR/release/site`, else `site` in the
/// folder above this example's executable (`target/release/examples/..`), else `target/site`.
fn site_dir() -> PathBuf {
    let from_target = std::env::var_os("CARGO_TARGET_DIR")
        .map(|dir| PathBuf::from(dir).join("release").join("site"));
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent()?.parent().map(|p| p.join("site")));
    from_target
        .into_iter()
        .chain(beside)
        .find(|dir| dir.is_dir())
        .unwrap_or_else(|| PathBuf::from("target/site"))
}

/// The baseline row: the mean rate of the bare runs, latencies of both runs together.
fn baseline_row(runs: &[Run]) -> Row {
    let mut merged = Run::default();
    for run in runs {
        merged.latencies.extend_from_slice(&run.latencies);
        merged.errors += run.errors;
        merged.response_bytes = run.response_bytes;
    }
    merged.latencies.sort_unstable();
    let mut row = Row::of(bare().name, &merged);
    row.per_second = runs.iter().map(Run::per_second).sum::<f64>() / runs.len().max(1) as f64;
    row
}

/// One request before the run, so that a broken scenario fails loudly instead of measuring errors.
async fn probe(addr: SocketAddr, scenario: &Scenario) -> Result<(), String> {
    let mut conn = Conn::open(addr).await?;
    let (status, _) = conn.send(addr, scenario).await?;
    if status.is_success() {
        Ok(())
    } else {
        Err(format!(
            "{} {} answered {status}, expected 2xx",
            scenario.method, scenario.path
        ))
    }
}

/// An HTTP/1.1 keep-alive client connection.
struct Conn {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
}

impl Conn {
    async fn open(addr: SocketAddr) -> Result<Conn, String> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Conn { sender })
    }

    /// Sends the scenario's request and reads the whole response; returns its status and size.
    async fn send(
        &mut self,
        addr: SocketAddr,
        scenario: &Scenario,
    ) -> Result<(hyper::StatusCode, usize), String> {
        let mut request = Request::builder()
            .method(scenario.method.clone())
            .uri(scenario.path)
            .header(header::HOST, addr.to_string());
        for (name, value) in &scenario.headers {
            request = request.header(*name, value.as_str());
        }
        let request = request
            .body(Full::new(Bytes::from_static(scenario.body.as_bytes())))
            .map_err(|e| e.to_string())?;
        self.sender.ready().await.map_err(|e| e.to_string())?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok((status, body.len()))
    }
}

/// The shape of the load: how many connections, how long.
struct Load {
    connections: usize,
    warmup: Duration,
    measured: Duration,
}

impl Load {
    /// Keeps every connection busy through the warm-up and the measured window; each connection
    /// sends its next request as soon as the previous response has been read.
    async fn drive(&self, addr: SocketAddr, scenario: &Scenario) -> Run {
        let scenario = Arc::new(scenario.clone());
        let start = Instant::now() + Duration::from_millis(50);
        let measure_from = start + self.warmup;
        let until = measure_from + self.measured;
        let tasks: Vec<_> = (0..self.connections)
            .map(|_| {
                let scenario = scenario.clone();
                tokio::spawn(
                    async move { client(addr, &scenario, start, measure_from, until).await },
                )
            })
            .collect();
        tokio::time::sleep_until(measure_from.into()).await;
        let cpu_before = process_cpu_seconds();
        let mut run = Run::default();
        for task in tasks {
            let Ok(part) = task.await else {
                run.errors += 1;
                continue;
            };
            run.latencies.extend_from_slice(&part.latencies);
            run.errors += part.errors;
            run.first_error = run.first_error.or(part.first_error);
            run.response_bytes = run.response_bytes.max(part.response_bytes);
        }
        // Requests that started inside the window, over the time until the last of them finished.
        run.elapsed = Instant::now().saturating_duration_since(measure_from);
        run.cpu_share = cpu_before
            .zip(process_cpu_seconds())
            .map(|(before, after)| {
                (after - before) / run.elapsed.as_secs_f64().max(1e-9) / cores() as f64
            });
        run.latencies.sort_unstable();
        run
    }
}

/// One connection's share of a run.
async fn client(
    addr: SocketAddr,
    scenario: &Scenario,
    start: Instant,
    measure_from: Instant,
    until: Instant,
) -> Run {
    let mut run = Run {
        latencies: Vec::with_capacity(16 * 1024),
        ..Run::default()
    };
    tokio::time::sleep_until(start.into()).await;
    let mut conn: Option<Conn> = None;
    loop {
        let sent = Instant::now();
        if sent >= until {
            break;
        }
        let measured = sent >= measure_from;
        let result = match conn.as_mut() {
            Some(c) => c.send(addr, scenario).await,
            None => match Conn::open(addr).await {
                Ok(c) => conn.insert(c).send(addr, scenario).await,
                Err(e) => Err(e),
            },
        };
        let latency = sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
        let failure = match result {
            Ok((status, bytes)) if status.is_success() => {
                run.response_bytes = bytes;
                if measured {
                    run.latencies.push(latency);
                }
                continue;
            }
            Ok((status, _)) => format!("status {status}"),
            Err(e) => {
                conn = None;
                // Do not spin on a refused connection.
                tokio::time::sleep(Duration::from_millis(10)).await;
                e
            }
        };
        if measured {
            run.errors += 1;
            run.first_error.get_or_insert(failure);
        }
    }
    run
}

/// Everything the report shows.
struct Report<'a> {
    args: &'a Args,
    rows: &'a [Row],
    bare_runs: Vec<f64>,
    cpu_shares: Vec<(&'static str, Option<f64>)>,
    load_at_start: Option<String>,
    site: &'a Path,
    bundle: bool,
}

impl Report<'_> {
    /// Why the figures may not be trustworthy: other processes took CPU, or the baseline drifted.
    fn noise_warning(&self) -> Option<String> {
        let starved = self
            .cpu_shares
            .iter()
            .any(|(_, share)| share.is_some_and(|s| s < MIN_CPU_SHARE));
        let drift = match self.bare_runs.as_slice() {
            [first, .., last] => (last / first - 1.0).abs(),
            _ => 0.0,
        };
        (starved || drift > MAX_DRIFT).then(|| {
            format!(
                "the machine was not quiet (a run got less than {:.0} % of the cores, or the two bare \
                 runs differ by more than {:.0} %); other processes were competing for the CPU, so \
                 compare these figures with care and rerun on an idle machine.",
                MIN_CPU_SHARE * 100.0,
                MAX_DRIFT * 100.0
            )
        })
    }

    fn baseline(&self) -> f64 {
        self.rows.first().map_or(f64::NAN, |r| r.per_second)
    }

    fn text_table(&self) -> String {
        let mut out = format!(
            "{:<24} {:>10} {:>8} {:>8} {:>8} {:>7} {:>8}\n",
            "scenario", "req/s", "p50 ms", "p99 ms", "max ms", "errors", "vs bare"
        );
        for row in self.rows {
            let _ = writeln!(
                out,
                "{:<24} {:>10.0} {:>8.2} {:>8.2} {:>8.2} {:>7} {:>7.3}x",
                row.name,
                row.per_second,
                row.p50,
                row.p99,
                row.max,
                row.errors,
                row.per_second / self.baseline()
            );
        }
        out
    }

    fn markdown(&self) -> String {
        let cores = command_output("nproc", &[]).unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.to_string())
                .unwrap_or_else(|_| "?".into())
        });
        let cpu = proc_field("/proc/cpuinfo", "model name").unwrap_or_else(|| "unknown CPU".into());
        let memory = proc_field("/proc/meminfo", "MemTotal")
            .and_then(|v| v.trim_end_matches("kB").trim().parse::<f64>().ok())
            .map(|kb| format!("{:.1} GiB memory", kb / 1024.0 / 1024.0))
            .unwrap_or_else(|| "unknown memory".into());
        let rustc = command_output("rustc", &["--version"]).unwrap_or_else(|| "unknown".into());
        let commit = command_output("git", &["rev-parse", "--short", "HEAD"])
            .map(|c| {
                let dirty =
                    command_output("git", &["status", "--porcelain", "--untracked-files=no"])
                        .is_some_and(|s| !s.is_empty());
                if dirty {
                    format!("{c} (with uncommitted changes)")
                } else {
                    c
                }
            })
            .unwrap_or_else(|| "unknown".into());
        let date = time::OffsetDateTime::now_utc()
            .format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute] UTC"
            ))
            .unwrap_or_default();
        let baseline = self.baseline();
        let cores_n: f64 = cores.parse().unwrap_or(1.0);

        let mut md = String::new();
        md.push_str("# Benchmarks\n\n");
        md.push_str(
            "Generated by `make bench` (`server/examples/bench.rs`); run it again to refresh this file.\n\n",
        );
        md.push_str("## Method\n\n");
        let _ = writeln!(
            md,
            "One process starts the Atrium router exactly as `atrium serve` builds it (a fresh SQLite \
             database in a temporary folder, every middleware layer, tracing at the default \
             `info,sqlx=warn` level) and, beside it, a bare axum app whose one handler returns a \
             {}-byte static text. Both listen on 127.0.0.1. A closed-loop load generator (tokio + \
             hyper, HTTP/1.1 keep-alive) keeps {} connections busy: each sends a request, reads the \
             whole response, then sends the next. Each scenario gets a {:.0} s warm-up on the same \
             connections, then a {:.0} s measured run in which every request's latency (request sent \
             to last body byte) is recorded. Responses other than 2xx and transport failures count \
             as errors. The bare handler runs first and again last; its row is the mean of both runs \
             and is the baseline of the last column.\n",
            BARE_TEXT.len(),
            self.args.connections,
            self.args.warmup,
            self.args.seconds
        );
        md.push_str("## Latest run\n\n");
        md.push_str("- Command: `make bench`\n");
        let _ = writeln!(md, "- Date: {date}");
        let _ = writeln!(md, "- Machine: {cores} cores (`nproc`), {cpu}, {memory}");
        if let Some(load) = &self.load_at_start {
            let _ = writeln!(md, "- Load average (1 min) when the run started: {load}");
        }
        let _ = writeln!(md, "- Toolchain: {rustc}, release profile");
        let _ = writeln!(md, "- Commit: {commit}");
        let _ = writeln!(
            md,
            "- Load generator and servers run in one process on one tokio runtime and share the \
             same {cores} cores: the client's own work is part of every figure."
        );
        let _ = writeln!(
            md,
            "- Site folder: `{}` (browser bundle {})\n",
            self.site.display(),
            if self.bundle {
                "present"
            } else {
                "absent; the pages' HTML does not depend on it"
            }
        );
        md.push_str("| scenario | req/s | p50 ms | p99 ms | max ms | errors | vs bare |\n");
        md.push_str("|---|---:|---:|---:|---:|---:|---:|\n");
        for row in self.rows {
            let _ = writeln!(
                md,
                "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {:.3}× |",
                row.name,
                row.per_second,
                row.p50,
                row.p99,
                row.max,
                row.errors,
                row.per_second / baseline
            );
        }
        md.push('\n');
        if let [first, .., last] = self.bare_runs.as_slice() {
            let _ = writeln!(
                md,
                "- Bare runs: {first:.0} req/s before the scenarios, {last:.0} req/s after \
                 (drift {:+.1} %).",
                (last / first - 1.0) * 100.0
            );
        }
        for row in self.rows.iter().skip(1) {
            let extra_us = cores_n * (1.0 / row.per_second - 1.0 / baseline) * 1e6;
            let _ = writeln!(
                md,
                "- {}: {} bytes per response; about {:.0} µs of CPU per request beyond the bare handler.",
                row.name, row.response_bytes, extra_us
            );
        }
        let shares: Vec<String> = self
            .cpu_shares
            .iter()
            .map(|(name, share)| match share {
                Some(s) => format!("{name} {:.0} %", s * 100.0),
                None => format!("{name} unknown"),
            })
            .collect();
        let _ = writeln!(
            md,
            "- CPU this process got during each measured run, as a share of all {cores} cores: {}.",
            shares.join(", ")
        );
        md.push_str("\n## Targets\n\n");
        for row in self.rows.iter() {
            match row.name.as_str() {
                "auth.login (HTTP Basic)" => {
                    let per_core = row.per_second / cores_n;
                    let _ = writeln!(
                        md,
                        "- Logins per core: {per_core:.0}/s (target ≥ 12,000/s; the load generator's own work is \
                         counted in, so this is a floor): {}.",
                        if per_core >= 12_000.0 {
                            "met"
                        } else {
                            "not met"
                        }
                    );
                }
                "users.get_current_user (Bearer)" => {
                    let ratio = row.per_second / baseline;
                    let _ = writeln!(
                        md,
                        "- Authenticated `users.get_current_user` at {:.0} % of the bare handler's rate (target ≥ 60 %): {}.",
                        ratio * 100.0,
                        if ratio >= 0.6 { "met" } else { "not met" }
                    );
                }
                _ => {}
            }
        }
        if let Some(warning) = self.noise_warning() {
            let _ = writeln!(md, "\n**Warning:** {warning}");
        }
        md.push_str("\n## How to read\n\n");
        md.push_str(
            "Requests per second are what the cores sustain with the load generator running on them \
             too, so they are a floor for the server alone; compare rows with each other, not with \
             other machines. The last column is a row's rate over the bare baseline: the share of \
             raw axum + hyper + loopback throughput that is left once Atrium's middleware (request id, \
             tracing, metrics, security headers, session cookie check) and the page's work (Leptos \
             server-side rendering) are added. With every core busy, the CPU one request costs is \
             about cores ÷ req/s, so the extra CPU per request over the baseline is \
             cores × (1/req/s − 1/baseline req/s), given above. Latencies include waiting behind the \
             other connections (in a closed loop, p50 ≈ connections ÷ req/s): they show how a \
             saturated server answers, not how fast a single page loads. Errors should be 0, and \
             the CPU line close to 100 % for every run (a lower share or a large drift between the \
             two bare runs means other processes were using the machine); otherwise the figures \
             are not comparable.\n",
        );
        md
    }
}

/// The first line a command prints, trimmed; `None` when it cannot run or fails.
fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let output = std::process::Command::new(program)
        .args(args)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout);
    Some(text.lines().next().unwrap_or_default().trim().to_string())
}

/// The value of the first `key : value` line of a /proc file.
fn proc_field(path: &str, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        (k.trim() == key).then(|| v.trim().to_string())
    })
}

/// The number of cores this process may use.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// CPU time (user + system) used so far by this whole process, from `/proc/self/stat`.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name start with the state (field 3); utime and stime
    // are fields 14 and 15, in clock ticks of 1/100 s (USER_HZ).
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let utime: f64 = fields.next()?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    Some((utime + stime) / 100.0)
}
