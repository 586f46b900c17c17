//! One configuration struct from flags and `ATRIUM_*` environment variables, printed at start with
//! secrets masked.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

/// Where the data lives and how the server listens.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Folder for the embedded SQLite database and the master key. Created if missing.
    #[arg(long, env = "ATRIUM_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// PostgreSQL (or SQLite) URL; when set, used instead of the SQLite file in the data folder.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// The server master key (base64 of 32 bytes) that encrypts secrets at rest. Default: read from
    /// `<data-dir>/master.key`, created on first start.
    #[arg(long, env = "ATRIUM_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<String>,
}

impl DbArgs {
    /// The database URL in effect.
    pub fn url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("atrium.db").display()
            ),
        }
    }

    /// The URL with any password replaced, for logs.
    pub fn url_masked(&self) -> String {
        mask_url_password(&self.url())
    }
}

/// Settings of `atrium serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Address to listen on.
    #[arg(long, env = "ATRIUM_BIND", default_value = "127.0.0.1:3000")]
    pub bind: SocketAddr,
    /// The URL people reach this server at (for printed links). Default: http://<bind>.
    #[arg(long, env = "ATRIUM_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The folder with the browser bundle and static files. Default: `site` next to the binary.
    #[arg(long, env = "ATRIUM_SITE_DIR")]
    pub site_dir: Option<PathBuf>,
    /// Whether this is a self-hosted server (shows the anonymous-usage option).
    #[arg(long, env = "ATRIUM_SELF_HOSTED", default_value_t = true, action = clap::ArgAction::Set)]
    pub self_hosted: bool,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "ATRIUM_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// The files server clients are told to use (ClearML's `files_server`). Default: this server's
    /// own file server, `<public URL>/files`.
    #[arg(long, env = "ATRIUM_FILES_URL")]
    pub files_url: Option<String>,
    /// Where the file server keeps files (one folder per workspace). Default: `<data-dir>/files`.
    #[arg(long, env = "ATRIUM_FILES_DIR")]
    pub files_dir: Option<PathBuf>,
    /// The largest file the file server accepts, in bytes.
    #[arg(long, env = "ATRIUM_FILES_MAX_BYTES", default_value_t = 1024 * 1024 * 1024)]
    pub files_max_bytes: u64,
    /// Lifetime of API tokens when the client does not ask (hours).
    #[arg(long, env = "ATRIUM_TOKEN_HOURS", default_value_t = 24 * 7)]
    pub token_hours: i64,
    /// The longest token lifetime a client may ask for with `expiration_sec` (hours).
    #[arg(long, env = "ATRIUM_TOKEN_MAX_HOURS", default_value_t = 24 * 30)]
    pub token_max_hours: i64,
    /// Browser session lifetime in hours.
    #[arg(long, env = "ATRIUM_SESSION_HOURS", default_value_t = 24 * 7)]
    pub session_hours: i64,
    /// Let identity provider connections reach private and loopback addresses (discovery, keys,
    /// tokens, metadata). Off: public hosts only, since any workspace's administrator can enter
    /// these URLs.
    #[arg(long, env = "ATRIUM_SSO_PRIVATE_HOSTS", default_value_t = false, action = clap::ArgAction::Set)]
    pub sso_private_hosts: bool,
    /// The price table of usage & billing (TOML: `currency`, `[free]` limits, `[pro]` prices,
    /// `hard_limits`; see the README). Default: the documented defaults.
    #[arg(long, env = "ATRIUM_PRICES")]
    pub prices: Option<PathBuf>,
    /// Lets `POST /test/clock.advance` move this server's clock forward and run its background
    /// jobs (browser tests of month ends). Never on a server people use; loopback only.
    #[arg(long, env = "ATRIUM_TEST_CLOCK", default_value_t = false, action = clap::ArgAction::Set, hide = true)]
    pub test_clock: bool,
    #[command(flatten)]
    pub bucket: BucketArgs,
    #[command(flatten)]
    pub smtp: SmtpArgs,
}

/// The S3-compatible bucket the file server keeps files in instead of `--files-dir` (which then
/// only holds uploads under way). Without a bucket name, files stay in the folder.
#[derive(Debug, Clone, Args)]
pub struct BucketArgs {
    /// The bucket's name; set it to keep files as objects `<workspace id>/<path>` in it.
    #[arg(long, env = "ATRIUM_FILES_BUCKET")]
    pub files_bucket: Option<String>,
    /// The S3 endpoint URL, for a S3-compatible server (MinIO, moto …). Default: AWS,
    /// `https://s3.<region>.amazonaws.com`.
    #[arg(long, env = "ATRIUM_FILES_BUCKET_ENDPOINT")]
    pub files_bucket_endpoint: Option<String>,
    /// The bucket's region (signed into every request).
    #[arg(long, env = "ATRIUM_FILES_BUCKET_REGION", default_value = "us-east-1")]
    pub files_bucket_region: String,
    /// The access key id.
    #[arg(long, env = "ATRIUM_FILES_BUCKET_ACCESS_KEY")]
    pub files_bucket_access_key: Option<String>,
    /// The secret access key (prefer the environment or --files-bucket-secret-key-file: a flag
    /// shows in the process list).
    #[arg(long, env = "ATRIUM_FILES_BUCKET_SECRET_KEY", hide_env_values = true)]
    pub files_bucket_secret_key: Option<String>,
    /// A file holding the secret access key (its first line).
    #[arg(long, env = "ATRIUM_FILES_BUCKET_SECRET_KEY_FILE")]
    pub files_bucket_secret_key_file: Option<PathBuf>,
    /// Path-style URLs (`endpoint/bucket/key`) rather than virtual-hosted ones
    /// (`bucket.endpoint/key`). Default: path style with --files-bucket-endpoint, virtual-hosted
    /// for AWS.
    #[arg(long, env = "ATRIUM_FILES_BUCKET_PATH_STYLE", action = clap::ArgAction::Set)]
    pub files_bucket_path_style: Option<bool>,
}

impl BucketArgs {
    /// The bucket settings in effect: none without a bucket name, an error for an incomplete set.
    pub fn settings(&self) -> Result<Option<app::services::files::bucket::BucketSettings>, String> {
        let Some(bucket) = self.files_bucket.as_deref().filter(|b| !b.is_empty()) else {
            return Ok(None);
        };
        let region = self.files_bucket_region.clone();
        let access_key = self
            .files_bucket_access_key
            .clone()
            .ok_or("--files-bucket-access-key (ATRIUM_FILES_BUCKET_ACCESS_KEY) is required with --files-bucket")?;
        let secret_key = match (
            &self.files_bucket_secret_key,
            &self.files_bucket_secret_key_file,
        ) {
            (Some(_), Some(_)) => {
                return Err("give the bucket's secret key once: --files-bucket-secret-key or --files-bucket-secret-key-file".into());
            }
            (Some(s), None) => s.clone(),
            (None, Some(file)) => std::fs::read_to_string(file)
                .map_err(|e| {
                    format!(
                        "cannot read the bucket's secret key from {}: {e}",
                        file.display()
                    )
                })?
                .lines()
                .next()
                .unwrap_or_default()
                .trim()
                .to_string(),
            (None, None) => {
                return Err("--files-bucket-secret-key-file (ATRIUM_FILES_BUCKET_SECRET_KEY_FILE) or ATRIUM_FILES_BUCKET_SECRET_KEY is required with --files-bucket".into());
            }
        };
        if secret_key.is_empty() {
            return Err("the bucket's secret key is empty".into());
        }
        let endpoint = self
            .files_bucket_endpoint
            .clone()
            .unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
        Ok(Some(app::services::files::bucket::BucketSettings {
            path_style: self
                .files_bucket_path_style
                .unwrap_or(self.files_bucket_endpoint.is_some()),
            endpoint,
            bucket: bucket.to_string(),
            region,
            access_key,
            secret_key,
        }))
    }
}

/// The mail server invitation links go out through. Without a host, the console shows each link to
/// the administrator who invited, and accounts made through such links stay unverified.
#[derive(Debug, Clone, Args)]
pub struct SmtpArgs {
    /// SMTP server host name or address; set it to send invitation links by e-mail.
    #[arg(long, env = "ATRIUM_SMTP_HOST")]
    pub smtp_host: Option<String>,
    /// SMTP port. Default: 587 for starttls, 465 for tls, 25 for none.
    #[arg(long, env = "ATRIUM_SMTP_PORT")]
    pub smtp_port: Option<u16>,
    /// SMTP user name (with --smtp-password).
    #[arg(long, env = "ATRIUM_SMTP_USERNAME")]
    pub smtp_username: Option<String>,
    /// SMTP password.
    #[arg(long, env = "ATRIUM_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<String>,
    /// The sender, e.g. "Atrium <atrium@example.com>". Required with --smtp-host.
    #[arg(long, env = "ATRIUM_SMTP_FROM")]
    pub smtp_from: Option<String>,
    /// How the connection is protected: starttls, tls, or none (plain SMTP, e.g. a relay on loopback).
    #[arg(long, env = "ATRIUM_SMTP_TLS", value_enum, default_value_t = crate::mail::TlsMode::Starttls)]
    pub smtp_tls: crate::mail::TlsMode,
}

impl SmtpArgs {
    /// The mail settings in effect: none without a host, an error for an incomplete or unsafe set.
    pub fn settings(&self) -> Result<Option<crate::mail::SmtpSettings>, String> {
        let Some(host) = &self.smtp_host else {
            return Ok(None);
        };
        let from = self
            .smtp_from
            .as_deref()
            .ok_or("--smtp-from (ATRIUM_SMTP_FROM) is required with --smtp-host")?;
        crate::mail::SmtpSettings::new(
            host,
            self.smtp_port,
            self.smtp_username.clone(),
            self.smtp_password.clone(),
            from,
            self.smtp_tls,
        )
        .map(Some)
    }
}

impl ServeArgs {
    /// The price table: the file's, checked, or the defaults.
    pub fn prices(&self) -> Result<app::domain::billing::PriceTable, String> {
        let Some(path) = &self.prices else {
            return Ok(app::domain::billing::PriceTable::default());
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("--prices: cannot read {}: {e}", path.display()))?;
        let table: app::domain::billing::PriceTable =
            toml::from_str(&text).map_err(|e| format!("--prices {}: {e}", path.display()))?;
        table
            .check()
            .map_err(|e| format!("--prices {}: {e}", path.display()))?;
        Ok(table)
    }

    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.bind))
            .trim_end_matches('/')
            .to_string()
    }

    pub fn files_url(&self) -> String {
        match &self.files_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => Self::files_url_for(&self.public_url()),
        }
    }

    /// This server's own file server: `/files` under the public URL (the `clearml` SDK sends its
    /// token to any URL under its `files_server`, path included).
    pub fn files_url_for(public: &str) -> String {
        format!("{}{}", public.trim_end_matches('/'), crate::files::PREFIX)
    }

    /// The file server's folder (its files, or with a bucket its uploads under way).
    pub fn files_dir(&self) -> PathBuf {
        self.files_dir
            .clone()
            .unwrap_or_else(|| self.db.data_dir.join("files"))
    }

    /// Where the file server keeps files, and the largest it accepts.
    pub fn files_settings(&self) -> Result<app::services::files::FilesSettings, String> {
        let bucket = match self.bucket.settings()? {
            Some(b) => Some(app::services::files::bucket::Bucket::new(&b)?),
            None => None,
        };
        Ok(app::services::files::FilesSettings {
            root: self.files_dir(),
            max_bytes: self.files_max_bytes,
            bucket,
        })
    }

    /// The site folder: the flag, else `site` beside the executable, else `target/site` under the
    /// working directory (a development checkout).
    pub fn site_dir(&self) -> PathBuf {
        if let Some(dir) = &self.site_dir {
            return dir.clone();
        }
        let beside = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|p| p.join("site")));
        match beside {
            Some(dir) if dir.join("pkg").is_dir() => dir,
            _ => PathBuf::from("target/site"),
        }
    }

    /// A summary for the start-up log; secrets are masked.
    pub fn describe(&self) -> String {
        format!(
            "bind={} public_url={} files_url={} files_dir={} files_bucket={} files_max_bytes={} database={} data_dir={} site_dir={} master_key={} self_hosted={} max_body_bytes={} session_hours={} smtp={}",
            self.bind,
            self.public_url(),
            self.files_url(),
            self.files_dir().display(),
            match self.bucket.settings() {
                Ok(Some(b)) => b.describe(),
                Ok(None) => "(none: files are kept in files_dir)".into(),
                Err(e) => format!("(invalid: {e})"),
            },
            self.files_max_bytes,
            self.db.url_masked(),
            self.db.data_dir.display(),
            self.site_dir().display(),
            if self.db.master_key.is_some() {
                "(from environment)"
            } else {
                "(key file)"
            },
            self.self_hosted,
            self.max_body_bytes,
            self.session_hours,
            match self.smtp.settings() {
                Ok(Some(smtp)) => smtp.describe(),
                Ok(None) => "(none: invitation links are shown to the inviter)".into(),
                Err(e) => format!("(invalid: {e})"),
            }
        )
    }
}

/// Replaces the password in `scheme://user:password@host` with `***`.
pub fn mask_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_url_is_the_public_url_with_files() {
        assert_eq!(
            ServeArgs::files_url_for("https://atrium.example.com"),
            "https://atrium.example.com/files"
        );
        assert_eq!(
            ServeArgs::files_url_for("http://127.0.0.1:3000/"),
            "http://127.0.0.1:3000/files"
        );
        assert_eq!(
            ServeArgs::files_url_for("https://example.com/atrium"),
            "https://example.com/atrium/files"
        );
    }

    fn serve(args: &[&str]) -> ServeArgs {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            serve: ServeArgs,
        }
        <Cli as clap::Parser>::try_parse_from(std::iter::once("atrium").chain(args.iter().copied()))
            .unwrap()
            .serve
    }

    #[test]
    fn the_bucket_secret_is_read_from_a_file_and_never_described() {
        let file =
            std::env::temp_dir().join(format!("atrium-bucket-secret-{}", std::process::id()));
        std::fs::write(&file, "s3cr3t-value\n").unwrap();
        let args = serve(&[
            "--files-bucket",
            "atrium-files",
            "--files-bucket-endpoint",
            "http://127.0.0.1:9000",
            "--files-bucket-access-key",
            "AKIA1",
            "--files-bucket-secret-key-file",
            file.to_str().unwrap(),
        ]);
        let b = args.bucket.settings().unwrap().unwrap();
        assert_eq!(b.secret_key, "s3cr3t-value");
        assert!(b.path_style, "a custom endpoint defaults to path style");
        let described = args.describe();
        assert!(
            described.contains("s3://atrium-files at http://127.0.0.1:9000"),
            "{described}"
        );
        assert!(!described.contains("s3cr3t"), "{described}");
        assert!(!format!("{b:?}").contains("s3cr3t"));
        std::fs::remove_file(file).unwrap();
    }

    #[test]
    fn a_bucket_needs_its_keys_and_defaults_to_aws() {
        let e = serve(&["--files-bucket", "b1"])
            .bucket
            .settings()
            .unwrap_err();
        assert!(e.contains("--files-bucket-access-key"), "{e}");
        let args = serve(&[
            "--files-bucket",
            "b1",
            "--files-bucket-access-key",
            "k",
            "--files-bucket-secret-key",
            "s",
            "--files-bucket-region",
            "eu-west-1",
        ]);
        let b = args.bucket.settings().unwrap().unwrap();
        assert_eq!(b.endpoint, "https://s3.eu-west-1.amazonaws.com");
        assert!(!b.path_style);
        assert!(serve(&[]).bucket.settings().unwrap().is_none());
    }

    #[test]
    fn masks_passwords() {
        assert_eq!(
            mask_url_password("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(mask_url_password("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            mask_url_password("sqlite://./data/a.db"),
            "sqlite://./data/a.db"
        );
    }
}
