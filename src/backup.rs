//! `consol backup` and `consol restore` for the SQLite database.
//!
//! A backup is made with `VACUUM INTO`, which writes a consistent snapshot
//! of the database as one transaction sees it, so it is safe while the
//! server and its workers write. It goes to a hidden file beside the
//! destination, is checked (`PRAGMA integrity_check`, a Consol migration
//! history) and only then takes the destination's name: a failed backup
//! leaves no half file.
//!
//! A restore checks the file before touching the target: a SQLite database
//! that passes its integrity check, with a migration history this binary
//! knows (none newer, none it has not got). The copy gets this binary's
//! newer migrations applied beside the target and then takes the target's
//! name; a target that already holds data is moved aside, never deleted,
//! and only with `--force`.
//!
//! PostgreSQL has its own tools (`pg_dump`, `pg_restore`), which do this
//! better than Consol could; both commands say so instead of pretending.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, bail};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqliteConnection};

use crate::store::Store;

/// What `consol backup` says when the database is PostgreSQL.
pub const POSTGRES_BACKUP: &str = "consol backup copies the SQLite database only; \
this instance uses PostgreSQL. Back it up with pg_dump, which takes a consistent \
snapshot while Consol runs: pg_dump --format=custom --file=consol.dump \"$CONSOL_DATABASE_URL\" \
(see Backups in README.md)";

/// What `consol restore` says when the database is PostgreSQL.
pub const POSTGRES_RESTORE: &str = "consol restore restores a SQLite database only; \
this instance uses PostgreSQL. Restore a pg_dump file with pg_restore into an empty \
database: pg_restore --no-owner --dbname=\"$CONSOL_DATABASE_URL\" consol.dump, then \
run consol migrate (see Backups in README.md)";

/// What a checked database holds: the migrations applied, newest last.
#[derive(Debug)]
pub struct Checked {
    pub migrations: usize,
    pub latest: Option<i64>,
}

/// `consol backup --out FILE`: a consistent copy of the SQLite database at
/// `database_url`, made while it is in use.
pub async fn backup(database_url: &str, out: &Path, force: bool) -> anyhow::Result<Checked> {
    let source = sqlite_file(database_url, POSTGRES_BACKUP)?;
    if !source.is_file() {
        bail!("there is no database at {} to back up", source.display());
    }
    if out.exists() && !force {
        bail!(
            "{} already exists; choose another file or pass --force to replace it",
            out.display()
        );
    }
    let partial = Partial::beside(out, "backup")?;
    {
        let mut conn = open(&source)
            .await
            .with_context(|| format!("cannot open the database {}", source.display()))?;
        let tmp = partial
            .path
            .to_str()
            .context("the backup's path is not UTF-8")?;
        // One statement, one read transaction: a snapshot as of its start,
        // whatever the server writes meanwhile.
        sqlx::query("VACUUM INTO $1")
            .bind(tmp)
            .execute(&mut conn)
            .await
            .with_context(|| format!("the copy to {} failed", out.display()))?;
        conn.close().await?;
    }
    let checked = check(&partial.path)
        .await
        .context("the copy did not pass its check, so no backup was written")?;
    partial.sync()?;
    if force {
        std::fs::rename(&partial.path, out)
            .with_context(|| format!("cannot write {}", out.display()))?;
    } else {
        // A hard link fails if the name was taken meanwhile: never
        // overwrite a file that appeared while the copy was made.
        std::fs::hard_link(&partial.path, out).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => anyhow::anyhow!(
                "{} appeared while the backup was made; nothing was replaced",
                out.display()
            ),
            _ => anyhow::Error::new(e).context(format!("cannot write {}", out.display())),
        })?;
    }
    drop(partial);
    Ok(checked)
}

/// What `consol restore` did.
#[derive(Debug)]
pub struct Restored {
    pub checked: Checked,
    /// The migrations this binary applied on top of the backup's.
    pub applied: usize,
    /// Where the database that was in the target's place went.
    pub moved_aside: Option<PathBuf>,
}

/// `consol restore --from FILE`: the backup becomes the database at
/// `database_url`. Refuses a target that holds data unless `force`.
pub async fn restore(database_url: &str, from: &Path, force: bool) -> anyhow::Result<Restored> {
    let target = sqlite_file(database_url, POSTGRES_RESTORE)?;
    if !from.is_file() {
        bail!("there is no file {} to restore from", from.display());
    }
    let wal = with_suffix(from, "-wal");
    if wal.exists() {
        bail!(
            "{} has a write-ahead log beside it ({}): it is a database in use, not a backup; \
             make one with consol backup",
            from.display(),
            wal.display()
        );
    }
    if same_file(from, &target) {
        bail!("{} is the database itself", from.display());
    }
    if let Some(what) = holds_data(&target).await?
        && !force
    {
        bail!(
            "{} already holds {what}; nothing was changed. Stop Consol and pass --force to \
             replace it (the current database is kept beside it)",
            target.display()
        );
    }
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    }
    let partial = Partial::beside(&target, "restore")?;
    std::fs::copy(from, &partial.path)
        .with_context(|| format!("cannot read {}", from.display()))?;
    let checked = check(&partial.path)
        .await
        .with_context(|| format!("{} cannot be restored; nothing was changed", from.display()))?;
    let applied = migrate(&partial.path).await.with_context(|| {
        format!(
            "{} cannot be brought up to date; nothing was changed",
            from.display()
        )
    })?;
    partial.sync()?;
    let moved_aside = move_aside(&target)?;
    std::fs::rename(&partial.path, &target)
        .with_context(|| format!("cannot write {}", target.display()))?;
    drop(partial);
    Ok(Restored {
        checked,
        applied,
        moved_aside,
    })
}

/// The SQLite file a database URL names; PostgreSQL gets `postgres_note`.
fn sqlite_file(database_url: &str, postgres_note: &str) -> anyhow::Result<PathBuf> {
    if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        bail!("{postgres_note}");
    }
    if !database_url.starts_with("sqlite:") {
        bail!("CONSOL_DATABASE_URL must start with sqlite: or postgres://");
    }
    let opts = SqliteConnectOptions::from_str(database_url)
        .context("CONSOL_DATABASE_URL is not a SQLite URL")?;
    let file = opts.get_filename().to_path_buf();
    if file == Path::new(":memory:") || file.as_os_str().is_empty() {
        bail!("an in-memory database has nothing to back up or restore");
    }
    Ok(file)
}

/// One connection to an existing file, waiting for the server's writer
/// rather than failing while it holds the lock.
async fn open(file: &Path) -> Result<SqliteConnection, sqlx::Error> {
    SqliteConnectOptions::new()
        .filename(file)
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(30))
        .connect()
        .await
}

/// The file is a sound SQLite database with a Consol migration history
/// that this binary knows: not newer, none missing, none changed.
async fn check(file: &Path) -> anyhow::Result<Checked> {
    let mut conn = open(file).await.context("it cannot be opened")?;
    let checked = check_on(&mut conn).await;
    conn.close().await.ok();
    checked
}

async fn check_on(conn: &mut SqliteConnection) -> anyhow::Result<Checked> {
    let integrity: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check")
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.message().contains("not a database") => {
                anyhow::anyhow!("it is not a SQLite database")
            }
            _ => anyhow::Error::new(e).context("it is not a readable SQLite database"),
        })?;
    if integrity.len() != 1 || integrity[0].0 != "ok" {
        let first: Vec<&str> = integrity.iter().take(3).map(|r| r.0.as_str()).collect();
        bail!("its integrity check failed: {}", first.join("; "));
    }
    let has_history: Option<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_optional(&mut *conn)
    .await?;
    if has_history.is_none() {
        bail!("it is not a Consol database (it has no migration history)");
    }
    let applied: Vec<(i64, Vec<u8>, bool)> =
        sqlx::query_as("SELECT version, checksum, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut *conn)
            .await
            .context("its migration history cannot be read")?;
    if applied.is_empty() {
        bail!("it is not a Consol database (its migration history is empty)");
    }
    let ours = sqlx::migrate!("migrations/sqlite");
    let newest_ours = ours.iter().map(|m| m.version).max().unwrap_or(0);
    for (version, checksum, success) in &applied {
        if !success {
            bail!("its migration {version} did not complete");
        }
        if *version > newest_ours {
            bail!(
                "it was made by a newer Consol (migration {version}; this one knows up to \
                 {newest_ours}); restore it with that version or later"
            );
        }
        match ours.iter().find(|m| m.version == *version) {
            None => bail!("its migration {version} is not one of this Consol's"),
            Some(m) if m.checksum.as_ref() != checksum.as_slice() => {
                bail!("its migration {version} differs from this Consol's")
            }
            Some(_) => {}
        }
    }
    Ok(Checked {
        migrations: applied.len(),
        latest: applied.last().map(|a| a.0),
    })
}

/// Applies this binary's migrations to the copy; returns how many were new.
/// The copy is left as one file (no write-ahead log) to be renamed.
async fn migrate(file: &Path) -> anyhow::Result<usize> {
    let opts = SqliteConnectOptions::new()
        .filename(file)
        .create_if_missing(false);
    let store = Store::connect_sqlite(opts).await?;
    let Store::Sqlite(pool) = &store else {
        unreachable!("connect_sqlite gives a SQLite store")
    };
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(pool)
            .await
    };
    let before = count().await?;
    store.migrate().await?;
    let after = count().await?;
    store.close().await;
    let mut conn = open(file).await?;
    sqlx::query("PRAGMA journal_mode = DELETE")
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(usize::try_from(after - before).unwrap_or(0))
}

/// What an existing target holds, in words, or `None` when it is missing,
/// empty or a Consol database without users, groups or organisations.
/// Anything unreadable counts as data: it is not ours to overwrite.
async fn holds_data(target: &Path) -> anyhow::Result<Option<String>> {
    let Ok(meta) = std::fs::metadata(target) else {
        return Ok(None);
    };
    if meta.len() == 0 {
        return Ok(None);
    }
    // Read-write, though it only reads: SQLite cannot open a WAL-mode
    // file read-only without its shared-memory file, which a stopped
    // server has removed.
    let Ok(mut conn) = open(target).await else {
        return Ok(Some("a file that is not a Consol database".into()));
    };
    let mut held = Vec::new();
    for (table, what) in [
        ("users", "users"),
        ("groups", "groups"),
        ("organisations", "organisations"),
    ] {
        let n: Result<i64, _> =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(&mut conn)
                .await;
        match n {
            Ok(0) => {}
            Ok(n) => held.push(format!("{n} {what}")),
            Err(_) => {
                let tables: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master")
                    .fetch_one(&mut conn)
                    .await
                    .unwrap_or(1);
                conn.close().await.ok();
                return Ok((tables > 0).then(|| "a database that is not Consol's".into()));
            }
        }
    }
    conn.close().await.ok();
    Ok((!held.is_empty()).then(|| held.join(", ")))
}

/// Moves the target database (and its write-ahead log and shared memory,
/// which belong to it) to `NAME.before-restore-STAMP`.
fn move_aside(target: &Path) -> anyhow::Result<Option<PathBuf>> {
    if !target.exists() {
        return Ok(None);
    }
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let aside = with_suffix(target, &format!(".before-restore-{stamp}"));
    // The log and shared memory first: a database whose log is gone is
    // still a database; a log left beside the restored file would be
    // replayed into it.
    for suffix in ["-wal", "-shm"] {
        let from = with_suffix(target, suffix);
        if from.exists() {
            let to = with_suffix(&aside, suffix);
            std::fs::rename(&from, &to)
                .with_context(|| format!("cannot move {} aside", from.display()))?;
        }
    }
    std::fs::rename(target, &aside)
        .with_context(|| format!("cannot move {} aside", target.display()))?;
    Ok(Some(aside))
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// A hidden file beside the destination, removed (with any log SQLite left
/// beside it) unless it was renamed into place.
struct Partial {
    path: PathBuf,
}

impl Partial {
    fn beside(dest: &Path, what: &str) -> anyhow::Result<Self> {
        let name = dest
            .file_name()
            .with_context(|| format!("{} is not a file name", dest.display()))?;
        let dir = dest
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !dir.is_dir() {
            bail!("the directory {} does not exist", dir.display());
        }
        let path = dir.join(format!(
            ".{}.{what}-partial-{}",
            name.to_string_lossy(),
            std::process::id()
        ));
        let p = Partial { path };
        p.remove();
        Ok(p)
    }

    /// On disk before it takes the destination's name.
    fn sync(&self) -> anyhow::Result<()> {
        std::fs::File::open(&self.path)
            .and_then(|f| f.sync_all())
            .with_context(|| format!("cannot write {}", self.path.display()))
    }

    fn remove(&self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(with_suffix(&self.path, suffix));
        }
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        self.remove();
    }
}
