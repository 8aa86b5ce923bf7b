//! Retention: pruning removes expired sessions, old login attempts, old
//! webhook events and forgotten webhook deliveries, and keeps audit entries.

use chrono::{Duration, Utc};
use consol::store::{AuditEntry, Store};

use crate::helpers::{Backend, TestDb, create_user};

crate::backends!(pruning_keeps_what_is_live_and_the_audit_log);

async fn count(store: &Store, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    match store {
        Store::Sqlite(p) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(p)
            .await
            .unwrap(),
        Store::Postgres(p) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(p)
            .await
            .unwrap(),
    }
}

async fn pruning_keeps_what_is_live_and_the_audit_log(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = &db.store;
    let now = Utc::now();
    let user = create_user(s, "p@example.com", "a long enough password").await;
    s.create_session(
        "old",
        user,
        "c1",
        now - Duration::days(2),
        now - Duration::days(1),
    )
    .await
    .unwrap();
    s.create_session("live", user, "c2", now, now + Duration::hours(1))
        .await
        .unwrap();
    s.record_login_attempt("p@example.com", "10.0.0.1", false, now - Duration::days(31))
        .await
        .unwrap();
    s.record_login_attempt("p@example.com", "10.0.0.1", false, now - Duration::days(29))
        .await
        .unwrap();
    for age in [31, 1] {
        s.record_webhook_event(
            "t",
            "INVOICE",
            "UPDATE",
            "r",
            None,
            now - Duration::days(age),
        )
        .await
        .unwrap();
    }
    assert!(
        s.first_webhook_delivery("seen long ago", now - Duration::hours(25))
            .await
            .unwrap()
    );
    assert!(
        s.first_webhook_delivery("seen just now", now)
            .await
            .unwrap()
    );
    s.audit(
        &AuditEntry::new("user.login", Some(user)),
        now - Duration::days(400),
    )
    .await
    .unwrap();

    let p = s.prune(now).await.unwrap();
    assert_eq!(
        (p.sessions, p.login_attempts, p.webhook_events),
        (1, 1, 1),
        "{p:?}"
    );
    assert_eq!(count(s, "sessions").await, 1);
    assert!(s.session("live", now).await.unwrap().is_some());
    assert_eq!(count(s, "login_attempts").await, 1);
    assert_eq!(count(s, "webhook_events").await, 1);
    assert_eq!(count(s, "webhook_deliveries").await, 1);
    assert_eq!(count(s, "audit_log").await, 1, "audit entries are kept");
    // A second run finds nothing more.
    assert_eq!(
        s.prune(now).await.unwrap(),
        consol::store::Pruned::default()
    );
}
