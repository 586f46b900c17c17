//! The `atrium` command line: `serve` (the default), `migrate`, and `user create`.

use std::io::{IsTerminal, Read};
use std::sync::Arc;

use clap::{Parser, Subcommand};

use app::domain::Role;

use crate::config::{DbArgs, ServeArgs};
use crate::crypto::{self, MasterKey};
use crate::services::Services;
use crate::services::accounts::NewUser;
use crate::state::{Clock, Core, Settings};
use crate::{db, store};

#[derive(Debug, Parser)]
#[command(
    name = "atrium",
    version,
    about = "Workspace settings and administration for ClearML-style ML platforms"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(DbArgs),
    /// Manage users.
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. The password is read from standard input when it is piped in, otherwise
    /// generated and printed once.
    Create {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        username: Option<String>,
        /// Make the user an administrator of the workspace.
        #[arg(long)]
        admin: bool,
        /// Workspace to join (created if no workspace has this name); default: the first workspace.
        #[arg(long)]
        workspace: Option<String>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Connects, migrates, and builds the services.
pub async fn open(db_args: &DbArgs, settings: Settings) -> anyhow_like::Result<Services> {
    let db = db::connect(&db_args.url())
        .await
        .map_err(|e| format!("cannot open the database {}: {e}", db_args.url_masked()))?;
    db::migrate(&db)
        .await
        .map_err(|e| format!("migrations failed: {e}"))?;
    let key = match &db_args.master_key {
        Some(text) => {
            MasterKey::from_base64(text).map_err(|e| format!("ATRIUM_MASTER_KEY: {e}"))?
        }
        None => MasterKey::load_or_create(&db_args.data_dir).map_err(|e| e.to_string())?,
    };
    let clock = Arc::new(Clock::default());
    // The token signing secret is shared by every replica through the database, sealed by the master key.
    let mut conn = db.pool.acquire().await.map_err(|e| e.to_string())?;
    let candidate = key.encrypt(&crypto::random_bytes(64));
    let sealed =
        store::secrets::get_or_insert(&mut conn, "jwt_signing_key", &candidate, clock.now_ms())
            .await
            .map_err(|e| e.to_string())?;
    key.decrypt(&sealed).map_err(|_| {
        "the master key does not open this database's secrets: start with the master key it was created with".to_string()
    })?;
    drop(conn);
    Ok(Services::new(Core {
        db,
        key,
        clock,
        settings: Arc::new(settings),
    }))
}

/// A tiny error alias: messages for people, printed as they are.
pub mod anyhow_like {
    pub type Result<T> = std::result::Result<T, String>;
}

pub fn settings_of(args: &ServeArgs) -> Settings {
    Settings {
        public_url: args.public_url(),
        self_hosted: args.self_hosted,
        session_ms: args.session_hours.max(1) * 3600 * 1000,
        max_body_bytes: args.max_body_bytes,
    }
}

/// Runs the command line; returns the process exit code.
pub async fn run(cli: Cli) -> i32 {
    let result = match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(args)) => serve(args).await,
        Some(Command::Migrate(db)) => migrate(&db).await,
        Some(Command::User {
            action:
                UserCommand::Create {
                    db,
                    email,
                    name,
                    username,
                    admin,
                    workspace,
                    json,
                },
        }) => create_user(&db, email, name, username, admin, workspace, json).await,
    };
    match result {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("atrium: {message}");
            1
        }
    }
}

/// Settings for commands that do not serve.
fn offline_settings() -> Settings {
    Settings {
        public_url: String::new(),
        self_hosted: true,
        session_ms: 3600 * 1000,
        max_body_bytes: 1024 * 1024,
    }
}

async fn migrate(db: &DbArgs) -> anyhow_like::Result<()> {
    open(db, offline_settings()).await?;
    println!("Database {} is up to date.", db.url_masked());
    Ok(())
}

async fn create_user(
    db: &DbArgs,
    email: String,
    name: String,
    username: Option<String>,
    admin: bool,
    workspace: Option<String>,
    json: bool,
) -> anyhow_like::Result<()> {
    let services = open(db, offline_settings()).await?;
    let stdin = std::io::stdin();
    let piped = if stdin.is_terminal() {
        None
    } else {
        let mut text = String::new();
        stdin
            .lock()
            .read_to_string(&mut text)
            .map_err(|e| e.to_string())?;
        text.lines()
            .next()
            .map(str::to_string)
            .filter(|l| !l.is_empty())
    };
    let generated = piped.is_none();
    let password = piped.unwrap_or_else(crypto::generate_password);
    let role = if admin { Role::Admin } else { Role::Member };
    let created = services
        .accounts
        .create_user(NewUser {
            email,
            name,
            username,
            password: password.clone(),
            role,
            workspace,
        })
        .await
        .map_err(|e| e.to_string())?;
    if json {
        let mut value = serde_json::to_value(&created).map_err(|e| e.to_string())?;
        if generated {
            value["password"] = serde_json::Value::String(password);
        }
        println!("{value}");
    } else {
        println!(
            "Created {} <{}> ({}) in workspace \"{}\".",
            created.name,
            created.email,
            created.role.label(),
            created.workspace_name
        );
        if generated {
            println!("Password (shown once): {password}");
        }
    }
    Ok(())
}

async fn serve(args: ServeArgs) -> anyhow_like::Result<()> {
    tracing::info!(config = %args.describe(), "starting");
    let services = open(&args.db, settings_of(&args)).await?;
    let site = args.site_dir();
    if !site
        .join("pkg")
        .join(format!("{}.js", app::OUTPUT_NAME))
        .exists()
    {
        tracing::warn!(site = %site.display(), "the browser bundle is missing: pages will render without interactivity (run `make build`)");
    }
    let options = crate::http::leptos_options(&site.to_string_lossy(), args.bind);
    let app = crate::http::router(services.clone(), options);
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.bind))?;
    let url = args.public_url();
    println!("Atrium is running at {url}");
    if let Some(token) = services
        .sessions
        .open_setup_link_if_empty()
        .await
        .map_err(|e| e.to_string())?
    {
        println!("First start: create the administrator at {url}/setup?token={token}");
        println!(
            "(one-time link, valid for 24 hours; a restart before it is used prints a new one)"
        );
    }
    let sweeper = services.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            if let Ok(mut conn) = sweeper.core.db.pool.acquire().await {
                let _ =
                    store::sessions::delete_expired(&mut conn, sweeper.core.clock.now_ms()).await;
            }
        }
    });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown())
    .await
    .map_err(|e| e.to_string())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
