//! The database. One set of repository functions over two backends: SQLite
//! (the embedded default) and PostgreSQL (when scaled out), picked once from
//! the URL scheme. Each function's SQL is written once and expanded for both
//! pools by [`on_pool!`]; only DDL (the two migration folders) and the few
//! statements that truly differ are written twice.

mod api_tokens;
mod audit;
mod balance_sheet;
mod changes;
mod chart;
mod data_versions;
mod documents;
mod entities;
mod group_load;
mod group_setup;
mod groups;
mod ic_balances;
mod jobs;
mod month_end;
mod organisations;
mod ownership;
mod pack_delivery;
mod report_amounts;
mod retention;
mod sessions;
mod sync_runs;
mod synced;
pub mod types;
mod users;
mod webhook_deliveries;
mod xero_tokens;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{ConnectOptions, PgPool, SqlitePool};

pub use api_tokens::{API_TOKEN_PREFIX, ApiTokenInfo, TokenScope};
pub use audit::{AuditEntry, AuditRow};
pub use chart::{ChartWrite, NewChartMapping, NewGroupAccount};
pub use data_versions::DataVersion;
pub use documents::{
    AllocationRow, BankTransactionRow, CreditNoteRow, LoadedKind, PaidDocument, PaymentRow,
    PrepaymentKind, PrepaymentRow,
};
pub use entities::{Disconnected, EntityView, Release};
pub use group_load::IcDocumentKind;
pub use group_setup::{
    GroupAccountRow, IcContactRow, MappingRow, RateRow, StoredAccount, StoredAmount, StoredContact,
    StoredInvoice, StoredLine, StoredOtherRow,
};
pub use groups::{Group, GroupRole, Member, MemberChange, NewGroup};
pub use ic_balances::{IcAccountRow, IcDocumentRow};
pub use jobs::{Enqueued, JobRow, NewJob, Requeued, StaleJobs};
pub use month_end::{Commentary, MonthEndConflict, MonthEndStoreError, MonthEndVersion};
pub use organisations::OrganisationDetails;
pub use ownership::{Contribution, OwnershipRow};
pub use pack_delivery::{
    Delivery, DocumentLine, DocumentState, MonthDocument, NewDelivery, PackSchedule, ScheduleWrite,
    Take,
};
pub use report_amounts::{ReportAmount, ReportKind, RowKind};
pub use retention::{LOGIN_ATTEMPT_DAYS, Pruned, WEBHOOK_EVENT_DAYS};
pub use sessions::Session;
pub use sync_runs::{RunProgress, RunStatus, SyncRun, SyncTarget};
pub use synced::{AccountRow, Changed, ContactRow, InvoiceLineRow, InvoiceRow, LineRow};
pub use users::{LoginAttempt, MAX_USER_NAME_CHARS, NewUser, User};
pub use xero_tokens::{NewTokenSet, OAuthStateRow, TokenSetRow};

/// Runs `$body` with `$pool` bound to the concrete pool of either backend.
/// The body is compiled twice, once per database, so the same SQL text and
/// bindings must type-check on both.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite($pool) => $body,
            $crate::store::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Starts a transaction that will write. On SQLite it takes the write lock
/// at once (`BEGIN IMMEDIATE`): a transaction that reads first and upgrades
/// later fails with "database is locked" instead of waiting its turn.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>>
    + Send;
}

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>>
    + Send {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>>
    + Send {
        self.begin()
    }
}

#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A uniqueness rule was broken; carries the constraint's name.
    #[error("already exists ({0})")]
    Conflict(String),
    #[error("unsupported database URL (expected sqlite: or postgres://)")]
    UnsupportedUrl,
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
}

impl StoreError {
    /// Worth trying again: the connection broke or was closed by the
    /// server, the pool had no connection in time, or the database asked
    /// the transaction to be retried (PostgreSQL serialisation failures and
    /// deadlocks, SQLite busy or locked).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Database(e) => match e {
                sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::Protocol(_)
                | sqlx::Error::WorkerCrashed => true,
                sqlx::Error::Database(db) => db.code().is_some_and(|c| {
                    // PostgreSQL: connection exceptions (08), serialisation
                    // failure and deadlock (40001, 40P01), server shutting
                    // down or starting (57P01-57P03), too many connections.
                    c.starts_with("08")
                        || matches!(
                            c.as_ref(),
                            "40001" | "40P01" | "57P01" | "57P02" | "57P03" | "53300"
                        )
                        // SQLite: SQLITE_BUSY and SQLITE_LOCKED, with their
                        // extended codes.
                        || c.parse::<i32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6))
                }),
                _ => false,
            },
            _ => false,
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Turns unique violations into [`StoreError::Conflict`], so callers can
/// answer 409/422 instead of 500.
pub(crate) fn map_conflict(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
    {
        return StoreError::Conflict(db.constraint().unwrap_or("unique").to_string());
    }
    StoreError::Database(e)
}

impl Store {
    /// Connects by URL scheme and applies pending migrations.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let store = if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?;
            Self::connect_sqlite(opts).await?
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::connect_postgres(PgConnectOptions::from_str(url)?).await?
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        store.migrate().await?;
        Ok(store)
    }

    /// SQLite with WAL (readers never block the writer), foreign keys on and
    /// a busy timeout so that concurrent writers wait instead of failing.
    pub async fn connect_sqlite(opts: SqliteConnectOptions) -> StoreResult<Self> {
        let file = opts.get_filename();
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty())
            && file != Path::new(":memory:")
        {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let opts = opts
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // A statement waiting its turn for SQLite's one writer is not
            // slow SQL: warn only past the busy timeout's order of time.
            .log_slow_statements(log::LevelFilter::Warn, Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await?;
        Ok(Self::Sqlite(pool))
    }

    pub async fn connect_postgres(opts: PgConnectOptions) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        Ok(Self::Postgres(pool))
    }

    /// A store of its own single connection to the same database, for
    /// `/healthz`: a check that waited for a pool connection behind busy
    /// pages would report a slow server, not whether the database answers.
    /// Connects on first use. An in-memory SQLite database (a new one per
    /// connection) keeps the pool, which is the only way to reach it.
    pub fn health_check_store(&self) -> Store {
        match self {
            Store::Sqlite(p) => {
                let opts = p.connect_options();
                if opts.get_filename() == Path::new(":memory:") {
                    return self.clone();
                }
                Store::Sqlite(
                    SqlitePoolOptions::new()
                        .max_connections(1)
                        .min_connections(0)
                        .acquire_timeout(Duration::from_secs(5))
                        .connect_lazy_with((*opts).clone()),
                )
            }
            Store::Postgres(p) => Store::Postgres(
                PgPoolOptions::new()
                    .max_connections(1)
                    .min_connections(0)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_lazy_with((*p.connect_options()).clone()),
            ),
        }
    }

    pub async fn migrate(&self) -> StoreResult<()> {
        match self {
            Store::Sqlite(p) => sqlx::migrate!("migrations/sqlite").run(p).await?,
            Store::Postgres(p) => sqlx::migrate!("migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// `sqlite` or `postgres`, for logs and the health check.
    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// A round trip to the database, for `/healthz`.
    pub async fn ping(&self) -> StoreResult<()> {
        on_pool!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }
}
