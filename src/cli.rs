//! The `consol` command line.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::Utc;
use clap::{Parser, Subcommand, ValueEnum};

use crate::auth::password;
use crate::config::{Role, Secret, Settings, default_database_url};
use crate::connect::XeroServices;
use crate::domain::Email;
use crate::shutdown;
use crate::startup::Application;
use crate::store::{AuditEntry, MAX_USER_NAME_CHARS, NewUser, Store, StoreError, TokenScope};

#[derive(Parser, Debug)]
#[command(
    name = "consol",
    version,
    about = "Financial consolidation for groups of Xero organisations"
)]
pub struct Cli {
    /// A TOML configuration file (also CONSOL_CONFIG). Environment variables
    /// override it.
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web app, the workers and the scheduler.
    Serve {
        /// Which part to run in this process (also CONSOL_ROLE).
        #[arg(long, value_enum)]
        role: Option<Role>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The one-command demo: a simulated Xero group, consolidated.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        #[arg(long, default_value = "127.0.0.1:8081")]
        sim_listen: SocketAddr,
        #[arg(long, default_value = "./data/demo")]
        data_dir: PathBuf,
    },
    /// The built-in Xero simulator on its own.
    XeroSim {
        #[arg(long, default_value = "127.0.0.1:8081")]
        listen: SocketAddr,
        #[arg(long, value_enum, default_value = "demo")]
        data: SimData,
        #[arg(long)]
        auto_approve: bool,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Grows the demo parent's invoices (41 gives about 100,000).
        #[arg(long, default_value_t = 1)]
        scale: u32,
        /// Copies of the four-organisation demo group (5 gives 20
        /// organisations), for load tests.
        #[arg(long, default_value_t = 1)]
        copies: u32,
    },
    /// API tokens for scripts and BI tools.
    ApiToken {
        #[command(subcommand)]
        command: ApiTokenCommand,
    },
    /// Month-end packs.
    Pack {
        #[command(subcommand)]
        command: PackCommand,
    },
    /// A consistent copy of the SQLite database, made while Consol runs
    /// (PostgreSQL: use pg_dump, as README.md says).
    Backup {
        /// The backup file to write.
        #[arg(long)]
        out: PathBuf,
        /// Replace OUT if it exists.
        #[arg(long)]
        force: bool,
        /// Back up the database of a demo's data directory instead of
        /// CONSOL_DATABASE_URL.
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Restore a backup as the SQLite database (stop Consol first). Refuses a
    /// database that holds data unless --force, which keeps it beside.
    Restore {
        /// A file written by consol backup.
        #[arg(long)]
        from: PathBuf,
        /// Replace a database that holds data (it is moved aside, not
        /// deleted).
        #[arg(long)]
        force: bool,
        /// Restore into a demo's data directory instead of
        /// CONSOL_DATABASE_URL.
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Exit 0 when the server at URL answers /healthz (for container health
    /// checks, which have no curl).
    Healthcheck {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user. The password is read from a prompt, or from the first
    /// line of standard input when it is not a terminal; never an argument.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "")]
        name: String,
        #[arg(long, value_enum, default_value = "user")]
        role: UserRole,
    },
}

#[derive(Subcommand, Debug)]
pub enum ApiTokenCommand {
    /// Print a new API token for a user (shown once; stored hashed).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "command line")]
        name: String,
        /// The token stops working after this many days (default: never).
        #[arg(long, value_parser = clap::value_parser!(i64).range(1..=3650))]
        expires_days: Option<i64>,
        /// The token may only read (GET); changes answer 403.
        #[arg(long)]
        read_only: bool,
        /// Use the database of a demo's data directory instead of
        /// CONSOL_DATABASE_URL.
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum PackCommand {
    /// Write a month's pack (pack.pdf, pack.xlsx and pack.json) from its latest
    /// snapshot, closing the month first when it is open and ready.
    Build {
        #[arg(long)]
        group: i64,
        /// YYYY-MM
        #[arg(long)]
        month: String,
        #[arg(long, default_value = ".")]
        out: PathBuf,
        /// Use the database of a demo's data directory instead of
        /// CONSOL_DATABASE_URL.
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// E-mail a month's pack to the group's schedule recipients now
    /// (through CONSOL_SMTP_URL, or into the outbox), closing the month
    /// first when it is open and ready. Each version is sent once.
    Send {
        #[arg(long)]
        group: i64,
        /// YYYY-MM
        #[arg(long)]
        month: String,
        /// Use the database (and outbox) of a demo's data directory
        /// instead of CONSOL_DATABASE_URL.
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum UserRole {
    /// May administer the whole instance.
    Admin,
    /// An ordinary user; group roles are given per group.
    User,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SimData {
    Demo,
    Empty,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { role } => {
            let mut settings = Settings::load(cli.config.as_deref())?;
            if let Some(r) = role {
                settings.role = r;
            }
            serve(settings).await
        }
        Command::Migrate => {
            let settings = Settings::load(cli.config.as_deref())?;
            let store = Store::connect(settings.database_url.expose()).await?;
            println!("database is up to date ({})", store.backend());
            Ok(())
        }
        Command::User {
            command: UserCommand::Add { email, name, role },
        } => {
            let settings = Settings::load(cli.config.as_deref())?;
            add_user(&settings, &email, &name, role).await
        }
        Command::Demo {
            listen,
            sim_listen,
            data_dir,
        } => {
            let settings = Settings::load(cli.config.as_deref())?;
            crate::demo::run(settings, listen, sim_listen, &data_dir).await
        }
        Command::XeroSim {
            listen,
            data,
            auto_approve,
            seed,
            scale,
            copies,
        } => {
            let data = match data {
                SimData::Demo => crate::sim::http::DataChoice::Demo,
                SimData::Empty => crate::sim::http::DataChoice::Empty,
            };
            crate::sim::http::run_cli(crate::sim::http::SimConfig {
                listen,
                data,
                auto_approve,
                seed,
                scale,
                copies,
                ..crate::sim::http::SimConfig::default()
            })
            .await
        }
        Command::ApiToken {
            command:
                ApiTokenCommand::Create {
                    email,
                    name,
                    expires_days,
                    read_only,
                    data_dir,
                },
        } => {
            let mut settings = Settings::load(cli.config.as_deref())?;
            if let Some(dir) = data_dir {
                settings.database_url = Secret::new(default_database_url(&dir));
            }
            let scope = TokenScope {
                expires_at: expires_days.map(|d| Utc::now() + chrono::Duration::days(d)),
                read_only,
            };
            create_api_token(&settings, &email, &name, scope).await
        }
        Command::Pack {
            command:
                PackCommand::Build {
                    group,
                    month,
                    out,
                    data_dir,
                },
        } => {
            let mut settings = Settings::load(cli.config.as_deref())?;
            if let Some(dir) = data_dir {
                settings.database_url = Secret::new(default_database_url(&dir));
            }
            build_pack(&settings, group, &month, &out).await
        }
        Command::Pack {
            command:
                PackCommand::Send {
                    group,
                    month,
                    data_dir,
                },
        } => {
            let mut settings = Settings::load(cli.config.as_deref())?;
            if let Some(dir) = data_dir {
                settings.database_url = Secret::new(default_database_url(&dir));
            }
            send_pack(&settings, group, &month).await
        }
        Command::Backup {
            out,
            force,
            data_dir,
        } => {
            let settings = settings_for(cli.config.as_deref(), data_dir)?;
            let done = crate::backup::backup(settings.database_url.expose(), &out, force).await?;
            println!(
                "backed up to {} ({} migrations, integrity ok)",
                out.display(),
                done.migrations
            );
            Ok(())
        }
        Command::Restore {
            from,
            force,
            data_dir,
        } => {
            let settings = settings_for(cli.config.as_deref(), data_dir)?;
            let done = crate::backup::restore(settings.database_url.expose(), &from, force).await?;
            if let Some(aside) = &done.moved_aside {
                println!("the database that was there is now {}", aside.display());
            }
            println!(
                "restored {} ({} migrations, {} applied now, integrity ok)",
                from.display(),
                done.checked.migrations,
                done.applied
            );
            Ok(())
        }
        Command::Healthcheck { addr } => healthcheck(addr),
    }
}

/// The settings, with the database of `data_dir` when one is given.
fn settings_for(
    config: Option<&std::path::Path>,
    data_dir: Option<PathBuf>,
) -> anyhow::Result<Settings> {
    let mut settings = Settings::load(config)?;
    if let Some(dir) = data_dir {
        settings.database_url = Secret::new(default_database_url(&dir));
    }
    Ok(settings)
}

/// Prunes what is past its retention (expired sessions, old login attempts
/// and webhook events) at start and then hourly, until shutdown. Several
/// processes doing it at once is harmless.
async fn prune_regularly(store: Store, shutdown: shutdown::Shutdown) {
    loop {
        match store.prune(Utc::now()).await {
            Ok(p) => tracing::debug!(?p, "pruned"),
            Err(e) => tracing::warn!(error = %e, "pruning failed; trying again in an hour"),
        }
        tokio::select! {
            _ = shutdown.clone().wait() => return,
            _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
        }
    }
}

/// The web app, the job workers and the scheduler, as `role` says; one
/// shutdown signal stops them all.
async fn serve(settings: Settings) -> anyhow::Result<()> {
    let (trigger, shutdown) = shutdown::channel();
    shutdown::on_signals(trigger);
    let role = settings.role;
    let store = Store::connect(settings.database_url.expose())
        .await
        .context("cannot open the database (CONSOL_DATABASE_URL)")?;
    let xero = Arc::new(XeroServices::from_settings(&settings, store.clone())?);
    let mut background = Vec::new();
    if role != Role::Web {
        let stale = Duration::from_secs(settings.worker_stale_seconds);
        let config = crate::jobs::WorkerConfig {
            stale_after: stale,
            heartbeat: stale / 6,
            concurrency: settings.worker_concurrency,
            grace: Duration::from_secs(settings.shutdown_grace_seconds),
            ..crate::jobs::WorkerConfig::default()
        };
        let mailer = Arc::new(crate::mail::Mailer::from_settings(&settings)?);
        tracing::info!(to = %mailer.describe(), "month-end mail");
        let worker = crate::sync::worker_with(store.clone(), xero.clone(), config).handle(
            crate::month_end::delivery::JOB_KIND,
            Arc::new(crate::month_end::delivery::Deliverer {
                store: store.clone(),
                mailer,
                public_url: settings.public_url.clone(),
            }),
        );
        background.push(tokio::spawn(worker.run(shutdown.clone())));
        background.push(tokio::spawn(crate::month_end::delivery::run(
            store.clone(),
            Duration::from_secs(settings.pack_tick_seconds),
            shutdown.clone(),
        )));
        background.push(tokio::spawn(crate::sync::schedule::run(
            store.clone(),
            chrono::Duration::hours(i64::from(settings.sync_interval_hours)),
            Duration::from_secs(60),
            shutdown.clone(),
        )));
    }
    if role != Role::Worker
        && let Some(code) = crate::auth::setup_code::issue_if_needed(&store, Utc::now()).await?
    {
        // Printed on purpose: the operator reads it from the log and types
        // it on /setup; it works once, and only while no user exists.
        tracing::warn!(
            "No administrator yet. Open {}/setup and enter the set-up code {code}",
            settings.public_url
        );
    }
    if role != Role::Web {
        background.push(tokio::spawn(prune_regularly(
            store.clone(),
            shutdown.clone(),
        )));
    }
    if role == Role::Worker {
        tracing::info!(backend = store.backend(), "consol worker running");
        shutdown.clone().wait().await;
    } else {
        let listener = std::net::TcpListener::bind(settings.listen)
            .with_context(|| format!("cannot listen on {} (CONSOL_LISTEN)", settings.listen))?;
        let port = listener.local_addr()?.port();
        let app = Application::build_with(settings, store.clone(), xero, listener, port)?;
        tracing::info!(port, backend = store.backend(), ?role, "consol is serving");
        app.run_until_stopped(shutdown).await?;
    }
    // The workers return once no job runs; only then is the pool closed,
    // so that no job meets a database torn down under it.
    for b in background {
        let _ = b.await;
    }
    store.close().await;
    Ok(())
}

async fn create_api_token(
    settings: &Settings,
    email: &str,
    name: &str,
    scope: TokenScope,
) -> anyhow::Result<()> {
    let email = Email::parse(email)?;
    let store = Store::connect(settings.database_url.expose()).await?;
    let Some(user) = store.user_by_email(&email).await? else {
        bail!("no user with the e-mail {email}");
    };
    let (_, token) = store
        .issue_api_token_with(user.id, name, scope, Utc::now())
        .await?;
    println!("{token}");
    Ok(())
}

/// `consol pack build`: closes the month when it is open (refusing with
/// the reasons when it is not ready), then writes the latest version's pack.
async fn build_pack(
    settings: &Settings,
    group_id: i64,
    month: &str,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    use crate::month_end;
    let month = crate::domain::Month::parse(month)
        .with_context(|| format!("--month {month} is not YYYY-MM"))?;
    let store = Store::connect(settings.database_url.expose()).await?;
    let version = closed_or_close(&store, group_id, month).await?;
    let (_, snapshot) = month_end::stored_snapshot(&store, &version).await?;
    let commentary = store.commentary(version.id).await?;
    let pack = month_end::build_pack(&snapshot, &version, &commentary)?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let json = serde_json::to_vec_pretty(&pack)?;
    let xlsx = month_end::pack_xlsx::pack_xlsx(&pack)?;
    let pdf = month_end::pack_pdf::render_pdf(&pack)?;
    for (name, bytes) in [("pack.json", json), ("pack.xlsx", xlsx), ("pack.pdf", pdf)] {
        let path = out.join(name);
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// The month's closed version, closing it first when it is open and ready.
async fn closed_or_close(
    store: &Store,
    group_id: i64,
    month: crate::domain::Month,
) -> anyhow::Result<crate::store::MonthEndVersion> {
    use crate::month_end::{self, MonthEndError};
    let Some(group) = store.group_by_id(group_id).await? else {
        bail!("no group with the id {group_id}");
    };
    let latest = store.latest_month_end(group.id, month).await?;
    Ok(match latest {
        Some(v) if v.is_closed() => v,
        _ => match month_end::close(store, &group, month, None, Utc::now()).await {
            Ok(v) => {
                println!("closed {month} as version {}", v.version);
                v
            }
            Err(MonthEndError::NotReady(reasons)) => {
                let list: Vec<String> = reasons
                    .iter()
                    .map(|r| format!("  - {}", r.message))
                    .collect();
                bail!("{month} cannot be closed yet:\n{}", list.join("\n"));
            }
            Err(e) => return Err(e.into()),
        },
    })
}

async fn send_pack(settings: &Settings, group_id: i64, month: &str) -> anyhow::Result<()> {
    let month = crate::domain::Month::parse(month)
        .with_context(|| format!("--month {month} is not YYYY-MM"))?;
    let mailer = crate::mail::Mailer::from_settings(settings)?;
    let store = Store::connect(settings.database_url.expose()).await?;
    closed_or_close(&store, group_id, month).await?;
    let deliverer = crate::month_end::delivery::Deliverer {
        store,
        mailer: Arc::new(mailer),
        public_url: settings.public_url.clone(),
    };
    let reply = crate::month_end::delivery::send_now(&deliverer, group_id, month).await?;
    println!("sent the {month} pack: {reply}");
    Ok(())
}

async fn add_user(
    settings: &Settings,
    email: &str,
    name: &str,
    role: UserRole,
) -> anyhow::Result<()> {
    let email = Email::parse(email)?;
    if name.trim().chars().count() > MAX_USER_NAME_CHARS {
        bail!("the name must be at most {MAX_USER_NAME_CHARS} characters");
    }
    let pw = read_password()?;
    password::check_policy(&pw).map_err(anyhow::Error::msg)?;
    let hash = password::hash(&pw)?;
    let store = Store::connect(settings.database_url.expose()).await?;
    let now = Utc::now();
    let new = NewUser {
        email: &email,
        name: name.trim(),
        password_hash: &hash,
        is_admin: matches!(role, UserRole::Admin),
    };
    let user = match store.create_user(&new, now).await {
        Ok(u) => u,
        Err(StoreError::Conflict(_)) => bail!("a user with the e-mail {email} already exists"),
        Err(e) => return Err(e.into()),
    };
    store
        .audit(
            &AuditEntry::new("user.create", None).detail(format!("{email} (command line)")),
            now,
        )
        .await?;
    println!("added user {} (id {})", user.email, user.id);
    Ok(())
}

fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let a = rpassword::prompt_password("Password: ")?;
        let b = rpassword::prompt_password("Password again: ")?;
        if a != b {
            bail!("the two passwords differ");
        }
        Ok(a)
    } else {
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        let pw = line.trim_end_matches(['\r', '\n']).to_string();
        if pw.is_empty() {
            bail!("no password on standard input");
        }
        Ok(pw)
    }
}

fn healthcheck(addr: SocketAddr) -> anyhow::Result<()> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(3))
        .with_context(|| format!("cannot connect to {addr}"))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        s,
        "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut resp = String::new();
    s.read_to_string(&mut resp)?;
    if resp.starts_with("HTTP/1.1 200") {
        Ok(())
    } else {
        bail!("unhealthy: {}", resp.lines().next().unwrap_or("no answer"))
    }
}
