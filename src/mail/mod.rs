//! Sending e-mail: through an SMTP server (`CONSOL_SMTP_URL`, lettre) or,
//! without one, into the outbox directory as `.eml` files that an admin page
//! lists (what the demo uses, so a newcomer sees the mail). Composing the
//! month-end messages is `month_end::mail`'s work; this module only
//! delivers a built message and says what the server answered.

pub mod outbox;
pub mod smtp_url;

use std::path::PathBuf;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{ConfigError, Settings};

/// Where messages go.
#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
        server: String,
    },
    Outbox {
        dir: PathBuf,
        from: Mailbox,
    },
}

/// A send that did not go through.
#[derive(Debug, thiserror::Error)]
#[error("{reply}")]
pub struct SendError {
    /// The server's reply, or what failed before it answered.
    pub reply: String,
    /// The server refused for good (5xx): trying again will not help.
    pub permanent: bool,
}

impl Mailer {
    /// From `CONSOL_SMTP_URL` and `CONSOL_MAIL_FROM` (both checked when
    /// the settings were loaded; checked again here for settings built by
    /// hand).
    pub fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        let from: Mailbox = settings
            .mail_from
            .parse()
            .map_err(|e| ConfigError::new("CONSOL_MAIL_FROM", format!("is not an address: {e}")))?;
        match &settings.smtp_url {
            Some(url) => {
                let url = smtp_url::parse(url.expose())
                    .map_err(|e| ConfigError::new("CONSOL_SMTP_URL", e))?;
                let transport = url
                    .transport()
                    .map_err(|e| ConfigError::new("CONSOL_SMTP_URL", e.to_string()))?;
                Ok(Self::Smtp {
                    transport,
                    from,
                    server: format!("{}:{}", url.host, url.port),
                })
            }
            None => Ok(Self::Outbox {
                dir: settings.outbox_dir(),
                from,
            }),
        }
    }

    pub fn from(&self) -> &Mailbox {
        match self {
            Self::Smtp { from, .. } | Self::Outbox { from, .. } => from,
        }
    }

    /// Where mail goes, for logs and pages.
    pub fn describe(&self) -> String {
        match self {
            Self::Smtp { server, .. } => format!("SMTP server {server}"),
            Self::Outbox { dir, .. } => format!("outbox {}", dir.display()),
        }
    }

    /// Delivers one message; the server's reply (or the file written) on
    /// success.
    pub async fn send(&self, message: &Message) -> Result<String, SendError> {
        match self {
            Self::Smtp { transport, .. } => match transport.send(message.clone()).await {
                Ok(r) => Ok(format!(
                    "{} {}",
                    r.code(),
                    r.message().collect::<Vec<_>>().join(" ")
                )),
                Err(e) => Err(SendError {
                    permanent: e.is_permanent(),
                    reply: smtp_error_words(&e),
                }),
            },
            Self::Outbox { dir, .. } => {
                let bytes = message.formatted();
                let path = outbox::write(dir, &bytes).map_err(|e| SendError {
                    reply: format!("cannot write to the outbox {}: {e}", dir.display()),
                    permanent: false,
                })?;
                Ok(format!("written to {}", path.display()))
            }
        }
    }
}

/// lettre's error with its chain of causes, which hold the server's reply
/// or the connection's failure.
fn smtp_error_words(e: &lettre::transport::smtp::Error) -> String {
    let mut words = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let s_text = s.to_string();
        if !words.contains(&s_text) {
            words.push_str(": ");
            words.push_str(&s_text);
        }
        source = s.source();
    }
    words
}
