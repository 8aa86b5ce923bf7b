//! Typed configuration: defaults, then an optional TOML file, then `CONSOL_*`
//! environment variables. Every bad value is reported as one line naming the
//! setting.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::auth::proxies::TrustedProxies;

/// A secret value: shown as `[redacted]` by `Debug` and `Display`, so it cannot
/// reach a log line by accident. Read it with [`Secret::expose`].
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// What a `consol serve` process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Web server only.
    Web,
    /// Background workers and scheduler only.
    Worker,
    /// Both (the default).
    All,
}

#[derive(Clone, Debug)]
pub struct Settings {
    /// `sqlite://...` or `postgres://...`.
    pub database_url: Secret,
    pub listen: SocketAddr,
    /// The address users reach Consol at; decides the `Secure` cookie flag
    /// and the OAuth redirect URI.
    pub public_url: String,
    pub secret_key: Option<Secret>,
    /// Earlier keys, comma-separated in `CONSOL_SECRET_KEY_PREVIOUS`: still
    /// decrypt, never encrypt (for key rotation).
    pub secret_key_previous: Vec<Secret>,
    pub xero_client_id: Option<String>,
    pub xero_client_secret: Option<Secret>,
    pub xero_webhook_key: Option<Secret>,
    /// Unset: the real Xero hosts. Set: every Xero host maps to this address.
    pub xero_base_url: Option<String>,
    /// The OAuth scopes asked for (`CONSOL_XERO_SCOPES`, space-separated);
    /// by default Xero's read-only granular set.
    pub xero_scopes: Vec<String>,
    /// Checked at load (`mail::smtp_url`); unset: mail goes to the outbox.
    pub smtp_url: Option<Secret>,
    /// The sender of every message (`CONSOL_MAIL_FROM`).
    pub mail_from: String,
    /// Where messages go without an SMTP server (`CONSOL_OUTBOX_DIR`;
    /// default: `outbox/` beside a SQLite database, else `./outbox`).
    pub outbox_dir: Option<PathBuf>,
    pub role: Role,
    /// A running job whose worker sent no heartbeat for this long is given
    /// to another worker (`CONSOL_WORKER_STALE_SECONDS`, default 60).
    pub worker_stale_seconds: u64,
    /// Jobs one worker process runs at once (`CONSOL_WORKER_CONCURRENCY`,
    /// default 20). Sync jobs mostly wait on Xero's per-organisation
    /// limits, so one process can sync many organisations side by side.
    pub worker_concurrency: usize,
    /// Every connected organisation is synced when its last run is older
    /// than this (`CONSOL_SYNC_INTERVAL_HOURS`, default 24: nightly).
    pub sync_interval_hours: u32,
    /// How often a worker's pack scheduler looks at the schedules
    /// (`CONSOL_PACK_TICK_SECONDS`, default 60).
    pub pack_tick_seconds: u64,
    /// On SIGTERM, how long syncs in progress may take to finish before
    /// they stop at a safe point and go back to the queue
    /// (`CONSOL_SHUTDOWN_GRACE_SECONDS`, default 10).
    pub shutdown_grace_seconds: u64,
    /// Tracing filter, such as `info` or `consol=debug`.
    pub log: String,
    /// Reverse proxies whose `X-Forwarded-For` is believed
    /// (`CONSOL_TRUSTED_PROXIES`: addresses and CIDR blocks, comma-separated).
    /// Empty by default: the socket's address is the client's.
    pub trusted_proxies: TrustedProxies,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {setting}: {message}")]
pub struct ConfigError {
    pub setting: String,
    pub message: String,
}

impl ConfigError {
    pub(crate) fn new(setting: &str, message: impl Into<String>) -> Self {
        Self {
            setting: setting.to_string(),
            message: message.into(),
        }
    }
}

/// The optional file's shape: the same names as the environment variables,
/// lower case and without the prefix (`database_url = "..."`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    database_url: Option<String>,
    listen: Option<String>,
    public_url: Option<String>,
    secret_key: Option<String>,
    secret_key_previous: Option<String>,
    xero_client_id: Option<String>,
    xero_client_secret: Option<String>,
    xero_webhook_key: Option<String>,
    xero_base_url: Option<String>,
    xero_scopes: Option<String>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    outbox_dir: Option<String>,
    role: Option<String>,
    worker_stale_seconds: Option<String>,
    worker_concurrency: Option<String>,
    sync_interval_hours: Option<String>,
    pack_tick_seconds: Option<String>,
    shutdown_grace_seconds: Option<String>,
    log: Option<String>,
    trusted_proxies: Option<String>,
}

/// A whole number setting within `range`; `default` when unset.
fn number<T>(
    setting: &str,
    raw: Option<String>,
    default: T,
    range: std::ops::RangeInclusive<T>,
    what: &str,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd,
{
    let Some(v) = raw else {
        return Ok(default);
    };
    v.trim()
        .parse::<T>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| ConfigError::new(setting, format!("'{v}' is not {what}")))
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// The default database: a SQLite file under `./data/`.
pub fn default_database_url(data_dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", data_dir.join("consol.db").display())
}

impl Settings {
    /// Loads from the process environment and, when `CONSOL_CONFIG` or
    /// `config_file` names one, a TOML file.
    pub fn load(config_file: Option<&Path>) -> Result<Self, ConfigError> {
        let env: HashMap<String, String> = std::env::vars()
            .filter(|(k, _)| k.starts_with("CONSOL_"))
            .collect();
        Self::from_sources(config_file, &env)
    }

    /// The pure part of [`Settings::load`], for tests.
    pub fn from_sources(
        config_file: Option<&Path>,
        env: &HashMap<String, String>,
    ) -> Result<Self, ConfigError> {
        let path: Option<PathBuf> = config_file
            .map(Path::to_path_buf)
            .or_else(|| env.get("CONSOL_CONFIG").map(PathBuf::from));
        let file = match path {
            Some(p) => read_file(&p)?,
            None => FileSettings::default(),
        };

        // Environment wins over the file; empty variables count as unset.
        let pick = |name: &str, from_file: Option<String>| -> Option<String> {
            env.get(&format!("CONSOL_{}", name.to_uppercase()))
                .filter(|v| !v.trim().is_empty())
                .cloned()
                .or(from_file)
        };

        let listen_raw = pick("listen", file.listen).unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let listen: SocketAddr = listen_raw.trim().parse().map_err(|_| {
            ConfigError::new(
                "CONSOL_LISTEN",
                format!("'{listen_raw}' is not an address such as 127.0.0.1:8080"),
            )
        })?;

        let database_url = pick("database_url", file.database_url)
            .unwrap_or_else(|| default_database_url(Path::new("./data")));
        check_database_url(&database_url)?;

        let public_url =
            pick("public_url", file.public_url).unwrap_or_else(|| format!("http://{listen}"));
        let public_url = public_url.trim_end_matches('/').to_string();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(ConfigError::new(
                "CONSOL_PUBLIC_URL",
                format!("'{public_url}' must start with http:// or https://"),
            ));
        }

        let xero_base_url =
            pick("xero_base_url", file.xero_base_url).map(|u| u.trim_end_matches('/').to_string());
        if let Some(u) = &xero_base_url
            && !(u.starts_with("http://") || u.starts_with("https://"))
        {
            return Err(ConfigError::new(
                "CONSOL_XERO_BASE_URL",
                format!("'{u}' must start with http:// or https://"),
            ));
        }

        let role = match pick("role", file.role) {
            None => Role::All,
            Some(r) => match r.trim().to_ascii_lowercase().as_str() {
                "web" => Role::Web,
                "worker" => Role::Worker,
                "all" => Role::All,
                _ => {
                    return Err(ConfigError::new(
                        "CONSOL_ROLE",
                        format!("'{r}' is not one of web, worker, all"),
                    ));
                }
            },
        };

        let secret_key = pick("secret_key", file.secret_key).map(Secret::new);
        if let Some(k) = &secret_key
            && k.expose().len() < 32
        {
            return Err(ConfigError::new(
                "CONSOL_SECRET_KEY",
                "must be at least 32 characters (generate one with `openssl rand -base64 32`)",
            ));
        }

        let worker_stale_seconds = number(
            "CONSOL_WORKER_STALE_SECONDS",
            pick("worker_stale_seconds", file.worker_stale_seconds),
            60,
            3..=u64::MAX,
            "a number of seconds (3 or more)",
        )?;
        let worker_concurrency = number(
            "CONSOL_WORKER_CONCURRENCY",
            pick("worker_concurrency", file.worker_concurrency),
            20,
            1..=256,
            "a number of jobs from 1 to 256",
        )?;
        let shutdown_grace_seconds = number(
            "CONSOL_SHUTDOWN_GRACE_SECONDS",
            pick("shutdown_grace_seconds", file.shutdown_grace_seconds),
            10,
            0..=3600,
            "a number of seconds from 0 to 3600",
        )?;
        let sync_interval_hours = number(
            "CONSOL_SYNC_INTERVAL_HOURS",
            pick("sync_interval_hours", file.sync_interval_hours),
            24,
            1..=24 * 31,
            "a number of hours from 1 to 744",
        )?;
        let pack_tick_seconds = number(
            "CONSOL_PACK_TICK_SECONDS",
            pick("pack_tick_seconds", file.pack_tick_seconds),
            60,
            1..=3600,
            "a number of seconds from 1 to 3600",
        )?;
        let secret_key_previous = pick("secret_key_previous", file.secret_key_previous)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(Secret::new)
                    .collect()
            })
            .unwrap_or_default();
        let xero_scopes = match pick("xero_scopes", file.xero_scopes) {
            Some(v) => v.split_whitespace().map(str::to_string).collect(),
            None => crate::xero::client::DEFAULT_SCOPES
                .iter()
                .map(|s| s.to_string())
                .collect(),
        };

        let trusted_proxies = match pick("trusted_proxies", file.trusted_proxies) {
            Some(v) => TrustedProxies::parse(&v)
                .map_err(|e| ConfigError::new("CONSOL_TRUSTED_PROXIES", e))?,
            None => TrustedProxies::default(),
        };

        let smtp_url = pick("smtp_url", file.smtp_url).map(Secret::new);
        if let Some(u) = &smtp_url {
            crate::mail::smtp_url::parse(u.expose())
                .map_err(|e| ConfigError::new("CONSOL_SMTP_URL", e))?;
        }
        let mail_from = pick("mail_from", file.mail_from)
            .unwrap_or_else(|| "Consol <consol@localhost>".to_string());
        if let Err(e) = mail_from.parse::<lettre::message::Mailbox>() {
            return Err(ConfigError::new(
                "CONSOL_MAIL_FROM",
                format!(
                    "'{mail_from}' is not an address such as Consol <consol@example.com> ({e})"
                ),
            ));
        }
        let outbox_dir = pick("outbox_dir", file.outbox_dir).map(PathBuf::from);

        let xero_webhook_key = pick("xero_webhook_key", file.xero_webhook_key).map(Secret::new);
        if xero_webhook_key
            .as_ref()
            .is_some_and(|k| k.expose().trim().is_empty())
        {
            // With an empty key anyone could sign a webhook.
            return Err(ConfigError::new(
                "CONSOL_XERO_WEBHOOK_KEY",
                "is empty; give Xero's webhook key, or leave the setting out to refuse webhooks",
            ));
        }

        Ok(Self {
            database_url: Secret::new(database_url),
            listen,
            public_url,
            secret_key,
            secret_key_previous,
            xero_client_id: pick("xero_client_id", file.xero_client_id),
            xero_client_secret: pick("xero_client_secret", file.xero_client_secret)
                .map(Secret::new),
            xero_webhook_key,
            xero_base_url,
            xero_scopes,
            smtp_url,
            mail_from,
            outbox_dir,
            role,
            worker_stale_seconds,
            worker_concurrency,
            sync_interval_hours,
            pack_tick_seconds,
            shutdown_grace_seconds,
            log: pick("log", file.log).unwrap_or_else(|| "info".to_string()),
            trusted_proxies,
        })
    }

    /// Cookies get the `Secure` flag when users reach Consol over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// The outbox directory (see [`Settings::outbox_dir`] the field).
    pub fn outbox_dir(&self) -> PathBuf {
        self.outbox_dir.clone().unwrap_or_else(|| {
            sqlite_dir(self.database_url.expose())
                .unwrap_or_else(|| PathBuf::from("."))
                .join("outbox")
        })
    }

    /// Production means users reach Consol over https: then a missing
    /// `CONSOL_SECRET_KEY` is a start-up error, never a generated key.
    pub fn is_production(&self) -> bool {
        self.secure_cookies()
    }

    /// The keys that encrypt tokens at rest. Without `CONSOL_SECRET_KEY`, a
    /// single SQLite install outside production gets a random key kept
    /// beside its database (`secret.key`, readable by its owner only);
    /// production and PostgreSQL (several processes) must set one.
    pub fn keyring(&self) -> Result<crate::crypto::Keyring, ConfigError> {
        let previous: Vec<&str> = self
            .secret_key_previous
            .iter()
            .map(|k| k.expose())
            .collect();
        if let Some(k) = &self.secret_key {
            return Ok(crate::crypto::Keyring::new(k.expose(), &previous));
        }
        let missing = |why: &str| {
            ConfigError::new(
                "CONSOL_SECRET_KEY",
                format!(
                    "is required {why} (at least 32 characters, such as `openssl rand -base64 32`)"
                ),
            )
        };
        if self.is_production() {
            return Err(missing("when CONSOL_PUBLIC_URL is https"));
        }
        let Some(dir) = sqlite_dir(self.database_url.expose()) else {
            return Err(missing(
                "with PostgreSQL, where every process must share it",
            ));
        };
        let path = dir.join("secret.key");
        let key = match std::fs::read_to_string(&path) {
            Ok(k) if k.trim().len() >= 32 => k.trim().to_string(),
            _ => {
                let k = crate::auth::token::random_token();
                std::fs::create_dir_all(&dir)
                    .and_then(|_| write_private(&path, &k))
                    .map_err(|e| {
                        ConfigError::new(
                            "CONSOL_SECRET_KEY",
                            format!("is unset and {} cannot be written: {e}", path.display()),
                        )
                    })?;
                tracing::warn!(path = %path.display(), "CONSOL_SECRET_KEY is unset; generated a key for this install");
                k
            }
        };
        Ok(crate::crypto::Keyring::new(&key, &previous))
    }
}

/// The directory of a SQLite database file, if the URL names one.
fn sqlite_dir(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    Some(
        Path::new(path)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(".")),
    )
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(contents.as_bytes())
}

fn read_file(path: &Path) -> Result<FileSettings, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigError::new(
            "CONSOL_CONFIG",
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    toml::from_str(&text).map_err(|e| {
        let msg = e.message().to_string();
        ConfigError::new("CONSOL_CONFIG", format!("{}: {msg}", path.display()))
    })
}

fn check_database_url(url: &str) -> Result<(), ConfigError> {
    let ok = ["sqlite:", "postgres://", "postgresql://"]
        .iter()
        .any(|p| url.starts_with(p));
    if ok {
        Ok(())
    } else {
        // Never echo the URL: it may carry a password.
        Err(ConfigError::new(
            "CONSOL_DATABASE_URL",
            "must start with sqlite: or postgres://",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_need_nothing() {
        let s = Settings::from_sources(None, &env(&[])).unwrap();
        assert_eq!(s.listen.to_string(), DEFAULT_LISTEN);
        assert!(s.database_url.expose().starts_with("sqlite://"));
        assert_eq!(s.public_url, "http://127.0.0.1:8080");
        assert_eq!(s.role, Role::All);
        assert!(!s.secure_cookies());
    }

    #[test]
    fn bad_values_name_the_setting() {
        let e = Settings::from_sources(None, &env(&[("CONSOL_LISTEN", "nope")])).unwrap_err();
        assert_eq!(e.setting, "CONSOL_LISTEN");
        let e = Settings::from_sources(None, &env(&[("CONSOL_DATABASE_URL", "mysql://u:pw@x")]))
            .unwrap_err();
        assert_eq!(e.setting, "CONSOL_DATABASE_URL");
        assert!(!e.to_string().contains("pw"), "the URL is never echoed");
        let e = Settings::from_sources(None, &env(&[("CONSOL_SECRET_KEY", "short")])).unwrap_err();
        assert_eq!(e.setting, "CONSOL_SECRET_KEY");
        let e = Settings::from_sources(None, &env(&[("CONSOL_ROLE", "boss")])).unwrap_err();
        assert_eq!(e.setting, "CONSOL_ROLE");
        let e = Settings::from_sources(None, &env(&[("CONSOL_TRUSTED_PROXIES", "10.0.0.0/40")]))
            .unwrap_err();
        assert_eq!(e.setting, "CONSOL_TRUSTED_PROXIES");
    }

    #[test]
    fn trusted_proxies_are_read() {
        let s = Settings::from_sources(None, &env(&[])).unwrap();
        assert!(s.trusted_proxies.is_empty());
        let s = Settings::from_sources(
            None,
            &env(&[("CONSOL_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")]),
        )
        .unwrap();
        assert!(s.trusted_proxies.trusts("10.2.3.4".parse().unwrap()));
        assert!(!s.trusted_proxies.trusts("11.2.3.4".parse().unwrap()));
    }

    #[test]
    fn numbers_are_checked_against_their_range() {
        let s = Settings::from_sources(None, &env(&[])).unwrap();
        assert_eq!(
            (
                s.worker_concurrency,
                s.worker_stale_seconds,
                s.sync_interval_hours
            ),
            (20, 60, 24)
        );
        let s =
            Settings::from_sources(None, &env(&[("CONSOL_WORKER_CONCURRENCY", " 4 ")])).unwrap();
        assert_eq!(s.worker_concurrency, 4);
        assert_eq!(s.shutdown_grace_seconds, 10, "the default grace period");
        let s =
            Settings::from_sources(None, &env(&[("CONSOL_SHUTDOWN_GRACE_SECONDS", "2")])).unwrap();
        assert_eq!(s.shutdown_grace_seconds, 2);
        for (setting, bad) in [
            ("CONSOL_WORKER_CONCURRENCY", "0"),
            ("CONSOL_WORKER_CONCURRENCY", "many"),
            ("CONSOL_WORKER_STALE_SECONDS", "2"),
            ("CONSOL_SYNC_INTERVAL_HOURS", "745"),
            ("CONSOL_SHUTDOWN_GRACE_SECONDS", "soon"),
        ] {
            let e = Settings::from_sources(None, &env(&[(setting, bad)])).unwrap_err();
            assert_eq!(e.setting, setting);
            assert!(e.message.starts_with(&format!("'{bad}' is not ")), "{e}");
        }
    }

    #[test]
    fn file_then_environment() {
        let dir = std::env::temp_dir().join(format!("consol-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("consol.toml");
        std::fs::write(
            &f,
            "listen = \"127.0.0.1:9000\"\npublic_url = \"https://c.example\"\n",
        )
        .unwrap();
        let s = Settings::from_sources(Some(&f), &env(&[])).unwrap();
        assert_eq!(s.listen.port(), 9000);
        assert!(s.secure_cookies());
        let s =
            Settings::from_sources(Some(&f), &env(&[("CONSOL_LISTEN", "127.0.0.1:9100")])).unwrap();
        assert_eq!(s.listen.port(), 9100, "environment wins over the file");

        std::fs::write(&f, "xero_webhook_key = \"  \"\n").unwrap();
        let e = Settings::from_sources(Some(&f), &env(&[])).unwrap_err();
        assert_eq!(e.setting, "CONSOL_XERO_WEBHOOK_KEY");

        std::fs::write(&f, "lisen = 1\n").unwrap();
        let e = Settings::from_sources(Some(&f), &env(&[])).unwrap_err();
        assert_eq!(e.setting, "CONSOL_CONFIG");
        assert!(e.to_string().contains("lisen"), "{e}");
    }

    #[test]
    fn keys_are_required_in_production_and_on_postgres() {
        let https =
            Settings::from_sources(None, &env(&[("CONSOL_PUBLIC_URL", "https://c.example")]))
                .unwrap();
        assert_eq!(https.keyring().unwrap_err().setting, "CONSOL_SECRET_KEY");
        let pg = Settings::from_sources(None, &env(&[("CONSOL_DATABASE_URL", "postgres://x/y")]))
            .unwrap();
        assert_eq!(pg.keyring().unwrap_err().setting, "CONSOL_SECRET_KEY");

        // A local SQLite install gets a key of its own, kept and reused.
        let dir = std::env::temp_dir().join(format!("consol-key-{}", std::process::id()));
        let url = format!("sqlite://{}/consol.db?mode=rwc", dir.display());
        let local = Settings::from_sources(None, &env(&[("CONSOL_DATABASE_URL", &url)])).unwrap();
        let a = local.keyring().unwrap();
        let sealed = a.encrypt("t", b"x");
        let b = local.keyring().unwrap();
        assert_eq!(b.decrypt("t", &sealed).unwrap(), b"x");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn scopes_default_to_read_only() {
        let s = Settings::from_sources(None, &env(&[])).unwrap();
        assert!(s.xero_scopes.contains(&"offline_access".to_string()));
        assert!(
            s.xero_scopes
                .iter()
                .all(|x| !x.starts_with("accounting.") || x.ends_with(".read"))
        );
        let s = Settings::from_sources(
            None,
            &env(&[("CONSOL_XERO_SCOPES", "openid accounting.transactions.read")]),
        )
        .unwrap();
        assert_eq!(s.xero_scopes, ["openid", "accounting.transactions.read"]);
    }

    #[test]
    fn secrets_are_redacted() {
        let s = Settings::from_sources(
            None,
            &env(&[
                ("CONSOL_SECRET_KEY", "0123456789abcdef0123456789abcdef-top"),
                ("CONSOL_XERO_CLIENT_SECRET", "xero-very-secret"),
            ]),
        )
        .unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains("top"));
        assert!(!shown.contains("xero-very-secret"));
        assert!(shown.contains("[redacted]"));
    }
}
