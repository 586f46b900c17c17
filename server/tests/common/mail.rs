//! A real SMTP server on loopback for the tests that send e-mail: aiosmtpd (`make smtp-venv`),
//! keeping what it receives in a Maildir.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use atrium_server::crypto;
use atrium_server::mail::{SmtpSettings, TlsMode};

use super::settings;

/// aiosmtpd, started on a free port, storing what it receives in a Maildir.
pub struct MailServer {
    child: Child,
    pub port: u16,
    maildir: PathBuf,
}

impl MailServer {
    fn python() -> PathBuf {
        std::env::var_os("ATRIUM_SMTP_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(std::env::var("HOME").unwrap_or_default())
                    .join(".cache/atrium/smtpvenv/bin/python")
            })
    }

    pub async fn start() -> Self {
        let python = Self::python();
        assert!(
            python.exists(),
            "{} is missing: `make smtp-venv` creates the venv with aiosmtpd",
            python.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let maildir = std::env::temp_dir().join(format!("atrium-mail-{}", crypto::new_id()));
        let mut child = Command::new(&python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start aiosmtpd");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Self {
                    child,
                    port,
                    maildir,
                };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("aiosmtpd did not listen on port {port}");
    }

    pub fn settings(&self) -> atrium_server::state::Settings {
        smtp_settings(self.port)
    }

    /// The messages received so far, as text with quoted-printable soft breaks undone.
    pub fn messages(&self) -> Vec<String> {
        let Ok(dir) = std::fs::read_dir(self.maildir.join("new")) else {
            return vec![];
        };
        dir.filter_map(Result::ok)
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .map(|m| {
                m.replace("=\r\n", "")
                    .replace("=\n", "")
                    .replace("=3D", "=")
            })
            .collect()
    }

    /// Waits for the message to `to` and returns the invitation link in it.
    pub async fn link_sent_to(&self, to: &str) -> String {
        for _ in 0..100 {
            if let Some(m) = self
                .messages()
                .into_iter()
                .find(|m| m.lines().any(|l| l.starts_with("To:") && l.contains(to)))
            {
                let link = m
                    .split_whitespace()
                    .find(|w| w.contains("/invite?token="))
                    .unwrap_or_else(|| panic!("no link in the mail to {to}:\n{m}"));
                return link.to_string();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no mail to {to} arrived");
    }
}

impl Drop for MailServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}

pub fn smtp_settings(port: u16) -> atrium_server::state::Settings {
    atrium_server::state::Settings {
        smtp: Some(
            SmtpSettings::new(
                "127.0.0.1",
                Some(port),
                None,
                None,
                "Atrium <atrium@example.com>",
                TlsMode::None,
            )
            .unwrap(),
        ),
        ..settings()
    }
}
