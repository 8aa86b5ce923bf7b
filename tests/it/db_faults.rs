//! Database errors that are worth retrying, produced for real on each
//! backend: a PostgreSQL connection closed by the server, a SQLite file
//! locked by another writer.

use std::str::FromStr;

use consol::store::{Store, StoreError};
use sqlx::Connection;

use crate::helpers::{Backend, TestDb, postgres_url};

crate::backends!(a_dropped_or_busy_database_is_a_transient_error);

async fn a_dropped_or_busy_database_is_a_transient_error(backend: Backend) {
    let db = TestDb::new(backend).await;
    let err: sqlx::Error = match &db.store {
        Store::Postgres(pool) => {
            let mut conn = pool.acquire().await.unwrap();
            let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            // The server drops the connection (a restart, a failover).
            let mut admin = sqlx::PgConnection::connect(&postgres_url()).await.unwrap();
            sqlx::query("SELECT pg_terminate_backend($1)")
                .bind(pid)
                .execute(&mut admin)
                .await
                .unwrap();
            sqlx::query("SELECT 1")
                .execute(&mut *conn)
                .await
                .expect_err("the connection was dropped")
        }
        Store::Sqlite(_) => {
            // Another process holds the write lock, and waiting is off.
            let opts = sqlx::sqlite::SqliteConnectOptions::from_str(&db.url)
                .unwrap()
                .busy_timeout(std::time::Duration::ZERO);
            let mut holder = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
            let mut other = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut holder)
                .await
                .unwrap();
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut other)
                .await
                .expect_err("the file is locked")
        }
    };
    assert!(
        StoreError::Database(err).is_transient(),
        "a dropped connection or a busy file is worth retrying"
    );
    assert!(!StoreError::Conflict("x".into()).is_transient());
}
