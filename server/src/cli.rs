//! The `atrium` command line: `serve` (the default), `migrate`, and `user create`.

use std::io::{IsTerminal, Read};
use std::sync::Arc;

use clap::{Parser, Subcommand};

use app::domain::Role;

use crate::config::{DbArgs, ServeArgs};
use crate::crypto::{self, MasterKey};
use crate::services::Services;
use crate::services::users::{NewUser, Placement};
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
    Serve(Box<ServeArgs>),
    /// Apply database migrations and exit.
    Migrate(DbArgs),
    /// Manage users.
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
    /// Manage API credentials (works while the server runs).
    Credentials {
        #[command(subcommand)]
        action: CredentialsCommand,
    },
    /// Manage workspaces (works while the server runs).
    Workspace {
        #[command(subcommand)]
        action: WorkspaceCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum CredentialsCommand {
    /// Create a key pair for a user; the secret is printed once.
    Create {
        #[command(flatten)]
        db: DbArgs,
        /// The user's e-mail or username.
        #[arg(long)]
        user: String,
        /// The workspace (by name) the credentials act in; default: the user's first.
        #[arg(long)]
        workspace: Option<String>,
        #[arg(long, default_value = "")]
        label: String,
        /// Days until the credentials expire.
        #[arg(long)]
        expires_in_days: Option<i64>,
        /// The server's public URL, for the printed configuration section.
        #[arg(
            long,
            env = "ATRIUM_PUBLIC_URL",
            default_value = "http://127.0.0.1:3000"
        )]
        public_url: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Allow or refuse password login in a workspace (the way back in when its identity provider
    /// fails: `--enabled true`).
    PasswordLogin {
        #[command(flatten)]
        db: DbArgs,
        /// The workspace's name.
        #[arg(long)]
        name: String,
        #[arg(long, action = clap::ArgAction::Set)]
        enabled: bool,
    },
    /// Set the most members a workspace may have (members and pending invitations count).
    Seats {
        #[command(flatten)]
        db: DbArgs,
        /// The workspace's name.
        #[arg(long)]
        name: String,
        /// The limit, or "none".
        #[arg(long)]
        max: String,
    },
    /// Create a workspace owned and administered by an existing user.
    Create {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        name: String,
        /// The owner's e-mail or username.
        #[arg(long)]
        owner: String,
        #[arg(long)]
        json: bool,
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
        /// Whoever creates a workspace this way owns and administers it.
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
    let sealed_pepper = store::secrets::get_or_insert(
        &mut conn,
        "credential_pepper",
        &key.encrypt(&crypto::random_bytes(32)),
        clock.now_ms(),
    )
    .await
    .map_err(|e| e.to_string())?;
    let pepper = key.decrypt(&sealed_pepper).map_err(|e| e.to_string())?;
    let signing = key.decrypt(&sealed).map_err(|e| e.to_string())?;
    drop(conn);
    Ok(Services::new(Core {
        db,
        key,
        tokens: crate::tokens::TokenKeys::new(&signing),
        pepper: Arc::new(pepper),
        usage: Arc::default(),
        caches: Arc::default(),
        replica_id: crypto::new_id().into(),
        clock,
        settings: Arc::new(settings),
    }))
}

/// A tiny error alias: messages for people, printed as they are.
pub mod anyhow_like {
    pub type Result<T> = std::result::Result<T, String>;
}

pub fn settings_of(args: &ServeArgs) -> anyhow_like::Result<Settings> {
    Ok(Settings {
        public_url: args.public_url(),
        files_url: args.files_url(),
        token_default_secs: args.token_hours.max(1) * 3600,
        token_max_secs: args.token_max_hours.max(args.token_hours).max(1) * 3600,
        self_hosted: args.self_hosted,
        session_ms: args.session_hours.max(1) * 3600 * 1000,
        max_body_bytes: args.max_body_bytes,
        smtp: args.smtp.settings()?,
        files: args.files_settings()?,
        sso_private_hosts: args.sso_private_hosts,
        prices: args.prices()?,
        test_clock: if args.test_clock && !args.bind.ip().is_loopback() {
            return Err("--test-clock is for tests on loopback only".into());
        } else {
            args.test_clock
        },
    })
}

/// Runs the command line; returns the process exit code.
pub async fn run(cli: Cli) -> i32 {
    let result = match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(args)) => serve(*args).await,
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
        Some(Command::Credentials {
            action:
                CredentialsCommand::Create {
                    db,
                    user,
                    workspace,
                    label,
                    expires_in_days,
                    public_url,
                    json,
                },
        }) => {
            create_credentials(
                &db,
                &user,
                workspace.as_deref(),
                &label,
                expires_in_days,
                &public_url,
                json,
            )
            .await
        }
        Some(Command::Workspace {
            action: WorkspaceCommand::Seats { db, name, max },
        }) => set_seats(&db, &name, &max).await,
        Some(Command::Workspace {
            action: WorkspaceCommand::PasswordLogin { db, name, enabled },
        }) => set_password_login(&db, &name, enabled).await,
        Some(Command::Workspace {
            action:
                WorkspaceCommand::Create {
                    db,
                    name,
                    owner,
                    json,
                },
        }) => create_workspace(&db, &name, &owner, json).await,
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
        files_url: String::new(),
        token_default_secs: 3600,
        token_max_secs: 3600,
        self_hosted: true,
        session_ms: 3600 * 1000,
        max_body_bytes: 1024 * 1024,
        smtp: None,
        files: app::services::files::FilesSettings {
            root: std::path::PathBuf::from("files"),
            max_bytes: 0,
            bucket: None,
        },
        sso_private_hosts: false,
        prices: app::domain::billing::PriceTable::default(),
        test_clock: false,
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
        .users
        .create(NewUser {
            email,
            name,
            username,
            password: password.clone(),
            role,
            workspace: workspace
                .map(Placement::Named)
                .unwrap_or(Placement::Default),
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

async fn create_credentials(
    db: &DbArgs,
    user: &str,
    workspace: Option<&str>,
    label: &str,
    expires_in_days: Option<i64>,
    public_url: &str,
    json: bool,
) -> anyhow_like::Result<()> {
    let public_url = public_url.trim_end_matches('/').to_string();
    let files_url = ServeArgs::files_url_for(&public_url);
    let settings = Settings {
        public_url,
        files_url,
        ..offline_settings()
    };
    let services = open(db, settings).await?;
    let who = services
        .workspaces
        .identity_for(user, workspace)
        .await
        .map_err(|e| e.to_string())?;
    let created = services
        .credentials
        .create(&who, None, label, expires_in_days)
        .await
        .map_err(|e| e.to_string())?;
    if json {
        let value = serde_json::json!({
            "access_key": created.info.access_key,
            "secret_key": created.secret_key,
            "label": created.info.label,
            "workspace_id": created.info.workspace_id,
            "workspace_name": created.info.workspace_name,
            "expires_ms": created.info.expires_ms,
            "config_section": created.config_section,
        });
        println!("{value}");
    } else {
        println!(
            "Credentials for {} in workspace \"{}\" (the secret is shown once):\n",
            who.email, who.workspace_name
        );
        print!("{}", created.config_section);
    }
    Ok(())
}

async fn create_workspace(
    db: &DbArgs,
    name: &str,
    owner: &str,
    json: bool,
) -> anyhow_like::Result<()> {
    let services = open(db, offline_settings()).await?;
    let ws = services
        .workspaces
        .create_workspace(name, owner)
        .await
        .map_err(|e| e.to_string())?;
    if json {
        println!(
            "{}",
            serde_json::json!({"id": ws.id, "name": ws.name, "owner": owner})
        );
    } else {
        println!(
            "Created workspace \"{}\" ({}), administered by {owner}.",
            ws.name, ws.id
        );
    }
    Ok(())
}

async fn set_password_login(db: &DbArgs, name: &str, enabled: bool) -> anyhow_like::Result<()> {
    let services = open(db, offline_settings()).await?;
    services
        .identity_providers
        .set_password_login_by_name(name, enabled)
        .await
        .map_err(|e| e.to_string())?;
    if enabled {
        println!("People of workspace \"{name}\" may log in with their passwords.");
    } else {
        println!("People of workspace \"{name}\" log in through its identity provider only.");
    }
    Ok(())
}

async fn set_seats(db: &DbArgs, name: &str, max: &str) -> anyhow_like::Result<()> {
    let max = match max.trim() {
        "none" | "" => None,
        n => Some(
            n.parse::<i64>()
                .map_err(|_| format!("--max: '{n}' is not a number or \"none\""))?,
        ),
    };
    let services = open(db, offline_settings()).await?;
    services
        .workspaces
        .set_seats(name, max)
        .await
        .map_err(|e| e.to_string())?;
    match max {
        Some(m) => println!("Workspace \"{name}\" may have at most {m} members."),
        None => println!("Workspace \"{name}\" has no seat limit."),
    }
    Ok(())
}

async fn serve(args: ServeArgs) -> anyhow_like::Result<()> {
    tracing::info!(config = %args.describe(), "starting");
    let services = open(&args.db, settings_of(&args)?).await?;
    let site = args.site_dir();
    if !crate::assets::has_bundle(&site) {
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
    if services.core.db.kind == crate::db::Kind::Postgres {
        tokio::spawn(listen_for_changes(args.db.url(), services.clone()));
    }
    let flusher = services.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
        loop {
            tick.tick().await;
            flusher.core.usage.flush(&flusher.core.db).await;
            if let Err(e) = flusher.billing.refresh_api_limits().await {
                tracing::warn!(error = %e, "API call limits could not be refreshed");
            }
        }
    });
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
    // SAML metadata read from a URL is read again every hour (a provider publishes a new signing
    // certificate there before it starts using it).
    let refresher = services.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(e) = refresher.identity_providers.refresh_metadata().await {
                tracing::warn!(error = %e, "SAML metadata could not be refreshed");
            }
        }
    });
    // The allocator also runs on a timer: it frees what tasks of agents that stopped reporting
    // held, and picks up what a replica that stopped between a change and its run left.
    let allocator = services.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(10));
        loop {
            tick.tick().await;
            if let Err(e) = crate::services::resources::settle_all(&allocator.core).await {
                tracing::warn!(error = %e, "the allocator could not run");
            }
        }
    });
    // Invoices are issued once a period has ended (each once, whichever replica runs first).
    let invoicer = services.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(10));
        loop {
            tick.tick().await;
            if let Err(e) = invoicer.billing.issue_due().await {
                tracing::warn!(error = %e, "invoices could not be issued");
            }
        }
    });
    let result = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown())
    .await
    .map_err(|e| e.to_string());
    services.core.usage.flush(&services.core.db).await;
    result
}

/// Clears this replica's caches when another replica announces a change (PostgreSQL only; an
/// embedded SQLite database has one server). Reconnects after a failure, clearing the caches since
/// notifications may have been missed meanwhile.
pub async fn listen_for_changes(url: String, services: Services) {
    use sqlx::postgres::PgListener;
    loop {
        match PgListener::connect(&url).await {
            Ok(mut listener) => {
                if let Err(e) = listener.listen(crate::services::cache::CHANNEL).await {
                    tracing::warn!(error = %e, "could not listen for changes");
                } else {
                    services.core.caches.clear();
                    loop {
                        match listener.recv().await {
                            Ok(n) if n.payload() != services.core.replica_id.as_ref() => {
                                services.core.caches.clear()
                            }
                            Ok(_) => {}
                            Err(e) => {
                                tracing::warn!(error = %e, "change listener lost its connection");
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not connect the change listener"),
        }
        services.core.caches.clear();
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
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
