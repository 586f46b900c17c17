//! Outgoing e-mail over SMTP: invitation links go out this way when the operator configured a mail
//! server (`--smtp-host` and friends). A link that went only by e-mail proves, when followed, that its
//! holder reads that mailbox — that is what verifies an address. Sending happens after the
//! transaction that made the invitation committed; a failure is reported per address in words an
//! administrator can act on, and the full error goes to the log.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TlsMode {
    /// Plain SMTP (a relay on loopback or a trusted network; no credentials over other networks).
    None,
    /// SMTP upgraded with STARTTLS (submission, port 587 by default).
    Starttls,
    /// SMTP inside TLS from the first byte (port 465 by default).
    Tls,
}

impl TlsMode {
    pub fn default_port(self) -> u16 {
        match self {
            TlsMode::None => 25,
            TlsMode::Starttls => 587,
            TlsMode::Tls => 465,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::None => "none",
            TlsMode::Starttls => "starttls",
            TlsMode::Tls => "tls",
        }
    }
}

/// The mail server settings in effect.
#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from: Mailbox,
    pub tls: TlsMode,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl SmtpSettings {
    /// Checks and assembles the settings from the command line's values.
    pub fn new(
        host: &str,
        port: Option<u16>,
        username: Option<String>,
        password: Option<String>,
        from: &str,
        tls: TlsMode,
    ) -> Result<Self, String> {
        let host = host.trim().to_string();
        if host.is_empty() {
            return Err("--smtp-host is empty".into());
        }
        let from: Mailbox = from.trim().parse().map_err(|e| {
            format!(
                "--smtp-from: '{from}' is not an address like \"Atrium <atrium@example.com>\" ({e})"
            )
        })?;
        if username.is_some() != password.is_some() {
            return Err("--smtp-username and --smtp-password go together".into());
        }
        if tls == TlsMode::None && username.is_some() && !is_loopback(&host) {
            return Err(format!(
                "--smtp-tls none would send the SMTP password in clear to {host}: use starttls or tls"
            ));
        }
        Ok(Self {
            port: port.unwrap_or(tls.default_port()),
            host,
            username,
            password,
            from,
            tls,
        })
    }

    /// A summary for the start-up log; the password is never shown.
    pub fn describe(&self) -> String {
        format!(
            "smtp://{}{}:{} tls={} from={}",
            self.username
                .as_deref()
                .map(|u| format!("{u}:***@"))
                .unwrap_or_default(),
            self.host,
            self.port,
            self.tls.as_str(),
            self.from
        )
    }

    fn transport(
        &self,
    ) -> Result<AsyncSmtpTransport<Tokio1Executor>, lettre::transport::smtp::Error> {
        let builder = match self.tls {
            TlsMode::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host),
            TlsMode::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&self.host)?,
            TlsMode::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&self.host)?,
        };
        let mut builder = builder
            .port(self.port)
            .timeout(Some(Duration::from_secs(20)));
        if let (Some(user), Some(password)) = (&self.username, &self.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(builder.build())
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// One plain-text message, with files attached when there are any.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
    pub attachments: Vec<Attachment>,
}

/// A file attached to a message.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Sends one message. The error is a sentence for the person who asked for the sending.
pub async fn send(settings: &SmtpSettings, mail: Mail) -> Result<(), String> {
    let to: Mailbox = mail
        .to
        .parse()
        .map_err(|_| "the address cannot be used in an e-mail".to_string())?;
    let builder = Message::builder()
        .from(settings.from.clone())
        .to(to)
        .subject(mail.subject);
    let message = if mail.attachments.is_empty() {
        builder.header(ContentType::TEXT_PLAIN).body(mail.body)
    } else {
        let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(mail.body));
        for a in mail.attachments {
            let content_type = ContentType::parse(&a.content_type)
                .unwrap_or(ContentType::parse("application/octet-stream").expect("a valid type"));
            parts = parts.singlepart(
                lettre::message::Attachment::new(a.filename).body(a.bytes, content_type),
            );
        }
        builder.multipart(parts)
    };
    let message = message.map_err(|e| {
        tracing::warn!(error = %e, "could not build an e-mail");
        "the message could not be built".to_string()
    })?;
    let transport = settings.transport().map_err(|e| explain(settings, &e))?;
    match transport.send(message).await {
        Ok(_) => Ok(()),
        Err(e) => Err(explain(settings, &e)),
    }
}

/// Logs a sending error in full and says what it means in a few words.
fn explain(settings: &SmtpSettings, e: &lettre::transport::smtp::Error) -> String {
    tracing::warn!(error = %e, smtp = %settings.describe(), "sending e-mail failed");
    if e.is_permanent() {
        let code = e.status().map(|c| c.to_string()).unwrap_or_default();
        format!("the mail server refused it (SMTP {code})")
    } else if e.is_transient() {
        "the mail server is busy or unavailable right now".into()
    } else if e.is_timeout() {
        "the mail server did not answer in time".into()
    } else if e.is_tls() {
        "a secure connection to the mail server could not be made".into()
    } else {
        "the mail server could not be reached".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked() {
        let ok = SmtpSettings::new(
            "127.0.0.1",
            None,
            Some("u".into()),
            Some("p".into()),
            "Atrium <atrium@example.com>",
            TlsMode::None,
        )
        .unwrap();
        assert_eq!(ok.port, 25);
        assert!(!ok.describe().contains(":p@"));
        assert!(ok.describe().contains("u:***@127.0.0.1:25"));
        assert!(
            SmtpSettings::new(
                "mail.example.com",
                None,
                Some("u".into()),
                Some("p".into()),
                "a@example.com",
                TlsMode::None
            )
            .unwrap_err()
            .contains("in clear")
        );
        assert!(
            SmtpSettings::new(
                "h",
                None,
                Some("u".into()),
                None,
                "a@example.com",
                TlsMode::Tls
            )
            .is_err()
        );
        assert!(
            SmtpSettings::new("h", None, None, None, "not an address", TlsMode::Tls)
                .unwrap_err()
                .starts_with("--smtp-from")
        );
        assert_eq!(
            SmtpSettings::new("h", None, None, None, "a@example.com", TlsMode::Starttls)
                .unwrap()
                .port,
            587
        );
    }
}
