//! `atrium`: the server binary.

use clap::Parser;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ATRIUM_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let code = atrium_server::cli::run(atrium_server::cli::Cli::parse()).await;
    std::process::exit(code);
}
