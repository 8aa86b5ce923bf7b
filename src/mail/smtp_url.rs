//! `CONSOL_SMTP_URL`: checked once at start-up so that a bad URL is a
//! configuration error naming the setting, never a failed send at month end.
//!
//! - `smtp://user:pass@host:587` — STARTTLS, required (a server that does
//!   not offer it is refused rather than sent credentials in the clear);
//! - `smtps://user:pass@host:465` — TLS from the first byte;
//! - `smtp://host:25?tls=none` — no TLS at all, for a relay on the same
//!   machine or the tests' local server.

use lettre::AsyncSmtpTransport;
use lettre::Tokio1Executor;

/// How the connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    StartTls,
    Wrapper,
    None,
}

/// A checked SMTP URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub has_credentials: bool,
    /// The URL in lettre's own form (its `tls` parameter).
    lettre_url: String,
}

/// Checks an SMTP URL; the error says what is wrong in words.
pub fn parse(raw: &str) -> Result<SmtpUrl, String> {
    let url = reqwest::Url::parse(raw.trim()).map_err(|e| format!("is not a URL ({e})"))?;
    let scheme = url.scheme().to_string();
    if scheme != "smtp" && scheme != "smtps" {
        return Err(format!(
            "must start with smtp:// (STARTTLS) or smtps:// (TLS), not {scheme}://"
        ));
    }
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or("names no server (smtp://user:password@host:port)")?
        .to_string();
    let mut tls_param = None;
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "tls" => tls_param = Some(v.to_string()),
            other => return Err(format!("has an unknown parameter '{other}' (only tls=)")),
        }
    }
    let tls = match (scheme.as_str(), tls_param.as_deref()) {
        ("smtps", None) => SmtpTls::Wrapper,
        ("smtps", Some(v)) => {
            return Err(format!(
                "smtps:// is always TLS; drop ?tls={v} (or use smtp:// for STARTTLS)"
            ));
        }
        ("smtp", None | Some("required")) => SmtpTls::StartTls,
        ("smtp", Some("none")) => SmtpTls::None,
        (_, Some(v)) => return Err(format!("tls={v} is not one of required, none")),
        _ => unreachable!("scheme checked above"),
    };
    let has_credentials = !url.username().is_empty() || url.password().is_some();
    if has_credentials && url.password().is_none() {
        return Err("has a user name but no password (smtp://user:password@host)".into());
    }
    let port = url.port().unwrap_or(match tls {
        SmtpTls::StartTls => 587,
        SmtpTls::Wrapper => 465,
        SmtpTls::None => 25,
    });
    // lettre reads the same URL; only its tls parameter differs.
    let mut lettre = url.clone();
    lettre.set_query(match tls {
        SmtpTls::StartTls => Some("tls=required"),
        SmtpTls::Wrapper | SmtpTls::None => None,
    });
    if lettre.port().is_none() {
        let _ = lettre.set_port(Some(port));
    }
    let parsed = SmtpUrl {
        host,
        port,
        tls,
        has_credentials,
        lettre_url: lettre.to_string(),
    };
    // lettre's own reading of it (TLS parameters, credentials), without
    // building the pool, which needs a running runtime.
    AsyncSmtpTransport::<Tokio1Executor>::from_url(&parsed.lettre_url)
        .map_err(|e| format!("cannot be used: {e}"))?;
    Ok(parsed)
}

impl SmtpUrl {
    /// A pooled transport for this server (call it inside the runtime: the
    /// pool starts a task). Connecting happens at the first send; a server that does not answer within the timeout is an error
    /// the delivery retries.
    pub fn transport(
        &self,
    ) -> Result<AsyncSmtpTransport<Tokio1Executor>, lettre::transport::smtp::Error> {
        Ok(
            AsyncSmtpTransport::<Tokio1Executor>::from_url(&self.lettre_url)?
                .timeout(Some(std::time::Duration::from_secs(30)))
                .build(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_forms_are_read() {
        let u = parse("smtp://me:secret@mail.example.com").unwrap();
        assert_eq!(
            (u.tls, u.port, u.has_credentials),
            (SmtpTls::StartTls, 587, true)
        );
        let u = parse("smtps://me:p%40ss@mail.example.com").unwrap();
        assert_eq!((u.tls, u.port), (SmtpTls::Wrapper, 465));
        let u = parse("smtp://127.0.0.1:2525?tls=none").unwrap();
        assert_eq!(
            (u.tls, u.port, u.has_credentials),
            (SmtpTls::None, 2525, false)
        );
    }

    #[test]
    fn bad_urls_say_why() {
        for (raw, says) in [
            ("http://mail.example.com", "must start with smtp://"),
            ("mail.example.com", "is not a URL"),
            ("smtp://", "names no server"),
            ("smtp://mail.example.com?tls=maybe", "tls=maybe"),
            ("smtps://mail.example.com?tls=none", "always TLS"),
            ("smtp://me@mail.example.com", "no password"),
            ("smtp://mail.example.com?port=1", "unknown parameter"),
        ] {
            let e = parse(raw).unwrap_err();
            assert!(e.contains(says), "{raw}: {e}");
        }
    }
}
