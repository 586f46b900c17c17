//! `atrium`: the server binary.

use clap::Parser;

/// mimalloc: the server allocates many short-lived buffers per request (JSON, headers), where it
/// is markedly faster than the system allocator under concurrency.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ATRIUM_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let code = atrium_server::cli::run(atrium_server::cli::Cli::parse()).await;
    std::process::exit(code);
}
