//! The storage conformance suite: the same tests on SQLite and PostgreSQL.

use chrono::{Duration, Utc};
use consol::domain::{CurrencyCode, Email, Month};
use consol::store::{
    AuditEntry, GroupRole, NewGroup, NewUser, OrganisationDetails, ReportAmount, ReportKind,
    RowKind, Store, StoreError,
};
use rust_decimal::Decimal;

use crate::helpers::{Backend, TestDb, create_user};

crate::backends!(
    money_round_trips_exactly,
    report_month_replacement_is_all_or_nothing,
    duplicate_email_is_a_conflict,
    first_admin_is_created_once,
    sessions_expire_and_end,
    group_access_requires_membership,
    login_failures_are_counted,
    organisation_upsert_updates_in_place,
);

async fn organisation(store: &Store, tenant: &str) -> i64 {
    store
        .upsert_organisation(
            &OrganisationDetails {
                tenant_id: tenant.to_string(),
                name: "Kea Holdings".into(),
                legal_name: Some("Kea Holdings Limited".into()),
                short_code: Some("!kea".into()),
                base_currency: CurrencyCode::parse("NZD").unwrap(),
                country_code: Some("NZ".into()),
                financial_year_end_day: Some(31),
                financial_year_end_month: Some(3),
                period_lock_date: None,
            },
            Utc::now(),
        )
        .await
        .unwrap()
}

fn amount(key: &str, value: &str) -> ReportAmount {
    ReportAmount {
        row_key: key.to_string(),
        account_id: Some(key.to_string()),
        section: "Income".into(),
        label: format!("Account {key}"),
        kind: RowKind::Account,
        amount: value.parse().unwrap(),
        sync_run_id: Some(7),
    }
}

async fn money_round_trips_exactly(backend: Backend) {
    let db = TestDb::new(backend).await;
    let org = organisation(&db.store, "t-money").await;
    let values = [
        "0.1",
        "-1234567890.1234",
        "79228162514264337593543950335",
        "-79228162514264337593543950335",
        "0.0000000001",
        "89.00",
        "1234567890.123456789",
    ];
    let rows: Vec<ReportAmount> = values
        .iter()
        .enumerate()
        .map(|(i, v)| amount(&format!("a{i}"), v))
        .collect();
    let month = Month::parse("2026-03").unwrap();
    db.store
        .replace_report_month(org, ReportKind::ProfitAndLoss, month, &rows)
        .await
        .unwrap();
    let back = db
        .store
        .report_month(org, ReportKind::ProfitAndLoss, month)
        .await
        .unwrap();
    assert_eq!(back.len(), values.len());
    for (i, v) in values.iter().enumerate() {
        let row = back.iter().find(|r| r.row_key == format!("a{i}")).unwrap();
        let expected: Decimal = v.parse().unwrap();
        assert_eq!(row.amount, expected, "{v}");
        // Scale too: 89.00 stays 89.00.
        assert_eq!(row.amount.to_string(), *v, "{v}");
        assert_eq!(row.kind, RowKind::Account);
        assert_eq!(row.sync_run_id, Some(7));
    }
}

async fn report_month_replacement_is_all_or_nothing(backend: Backend) {
    let db = TestDb::new(backend).await;
    let org = organisation(&db.store, "t-atomic").await;
    let month = Month::parse("2026-01").unwrap();
    let good = vec![amount("a", "10.00"), amount("b", "20.00")];
    db.store
        .replace_report_month(org, ReportKind::ProfitAndLoss, month, &good)
        .await
        .unwrap();

    // The second row repeats a key: the insert fails half-way.
    let bad = vec![amount("c", "1.00"), amount("c", "2.00")];
    let err = db
        .store
        .replace_report_month(org, ReportKind::ProfitAndLoss, month, &bad)
        .await;
    assert!(err.is_err());
    let back = db
        .store
        .report_month(org, ReportKind::ProfitAndLoss, month)
        .await
        .unwrap();
    assert_eq!(back, good, "the earlier month is intact");

    // Other months and the other report are untouched by a replacement.
    let other = Month::parse("2026-02").unwrap();
    db.store
        .replace_report_month(org, ReportKind::BalanceSheet, month, &[amount("z", "5")])
        .await
        .unwrap();
    db.store
        .replace_report_month(org, ReportKind::ProfitAndLoss, other, &[])
        .await
        .unwrap();
    assert_eq!(
        db.store
            .report_month(org, ReportKind::ProfitAndLoss, month)
            .await
            .unwrap(),
        good
    );
}

async fn duplicate_email_is_a_conflict(backend: Backend) {
    let db = TestDb::new(backend).await;
    create_user(&db.store, "ann@example.com", "pw-1234567890").await;
    let email = Email::parse("ANN@example.com").unwrap();
    let err = db
        .store
        .create_user(
            &NewUser {
                email: &email,
                name: "Ann",
                password_hash: "x",
                is_admin: false,
            },
            Utc::now(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    let (user, hash) = db.store.credentials(&email).await.unwrap().unwrap();
    assert_eq!(user.email, "ann@example.com");
    assert!(hash.starts_with("$argon2id$"));
    assert_eq!(db.store.count_users().await.unwrap(), 1);
}

async fn first_admin_is_created_once(backend: Backend) {
    let db = TestDb::new(backend).await;
    let a = Email::parse("a@example.com").unwrap();
    let b = Email::parse("b@example.com").unwrap();
    let new_a = NewUser {
        email: &a,
        name: "",
        password_hash: "h",
        is_admin: true,
    };
    let new_b = NewUser {
        email: &b,
        name: "",
        password_hash: "h",
        is_admin: true,
    };
    let now = Utc::now();
    // Two first visitors at once: exactly one becomes the admin.
    let (ra, rb) = tokio::join!(
        db.store.create_first_admin(&new_a, now),
        db.store.create_first_admin(&new_b, now)
    );
    let created = [ra, rb]
        .into_iter()
        .filter_map(|r| r.ok().flatten())
        .collect::<Vec<_>>();
    assert_eq!(created.len(), 1);
    assert!(created[0].is_admin);
    assert_eq!(db.store.count_users().await.unwrap(), 1);
    let again = db.store.create_first_admin(&new_b, now).await.unwrap();
    assert!(again.is_none());
}

async fn sessions_expire_and_end(backend: Backend) {
    let db = TestDb::new(backend).await;
    let uid = create_user(&db.store, "s@example.com", "pw-1234567890").await;
    let now = Utc::now();
    db.store
        .create_session("live", uid, "csrf1", now, now + Duration::hours(1))
        .await
        .unwrap();
    db.store
        .create_session(
            "old",
            uid,
            "csrf2",
            now - Duration::hours(2),
            now - Duration::hours(1),
        )
        .await
        .unwrap();
    let s = db.store.session("live", now).await.unwrap().unwrap();
    assert_eq!(s.user.id, uid);
    assert_eq!(s.csrf_token, "csrf1");
    assert!(db.store.session("old", now).await.unwrap().is_none());
    assert!(db.store.session("nope", now).await.unwrap().is_none());
    assert_eq!(db.store.delete_expired_sessions(now).await.unwrap(), 1);
    db.store.delete_session("live").await.unwrap();
    assert!(db.store.session("live", now).await.unwrap().is_none());
}

async fn group_access_requires_membership(backend: Backend) {
    let db = TestDb::new(backend).await;
    let ann = create_user(&db.store, "ann@example.com", "pw-1234567890").await;
    let bob = create_user(&db.store, "bob@example.com", "pw-1234567890").await;
    let now = Utc::now();
    let g = db
        .store
        .create_group(
            &NewGroup {
                name: "Kea Group",
                presentation_currency: CurrencyCode::parse("NZD").unwrap(),
                financial_year_end_month: 3,
            },
            ann,
            now,
        )
        .await
        .unwrap();
    assert_eq!(g.presentation_currency.as_str(), "NZD");
    assert_eq!(g.financial_year_end_month, 3);
    assert_eq!(g.history_months, 24);

    let (found, role) = db.store.group_for_member(g.id, ann).await.unwrap().unwrap();
    assert_eq!(found, g);
    assert_eq!(role, GroupRole::Admin);
    assert!(
        db.store
            .group_for_member(g.id, bob)
            .await
            .unwrap()
            .is_none()
    );
    assert!(db.store.groups_for_user(bob).await.unwrap().is_empty());

    db.store
        .set_member(g.id, bob, GroupRole::Viewer, Some(ann), now)
        .await
        .unwrap();
    let (_, role) = db.store.group_for_member(g.id, bob).await.unwrap().unwrap();
    assert_eq!(role, GroupRole::Viewer);

    let log = db.store.audit_log(Some(g.id), 10).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|(_, e)| e.action.as_str()).collect();
    assert_eq!(actions, ["group.member.set", "group.create"]);
}

async fn login_failures_are_counted(backend: Backend) {
    let db = TestDb::new(backend).await;
    let now = Utc::now();
    let since = now - Duration::minutes(15);
    for i in 0..3 {
        db.store
            .record_login_attempt(
                "x@example.com",
                "10.0.0.1",
                false,
                now - Duration::seconds(10 - i),
            )
            .await
            .unwrap();
    }
    // Older than the window: not counted.
    db.store
        .record_login_attempt("x@example.com", "10.0.0.1", false, now - Duration::hours(1))
        .await
        .unwrap();
    let c = db
        .store
        .failed_logins_since("x@example.com", "10.0.0.1", since)
        .await
        .unwrap();
    assert_eq!((c.for_account, c.from_address), (3, 3));

    // A success resets the e-mail's count but not the address's.
    db.store
        .record_login_attempt(
            "x@example.com",
            "10.0.0.1",
            true,
            now - Duration::seconds(1),
        )
        .await
        .unwrap();
    let c = db
        .store
        .failed_logins_since("x@example.com", "10.0.0.1", since)
        .await
        .unwrap();
    assert_eq!((c.for_account, c.from_address), (0, 3));

    db.store
        .audit(
            &AuditEntry::new("user.login_failed", None).detail("x@example.com"),
            now,
        )
        .await
        .unwrap();
    assert_eq!(db.store.audit_log(None, 5).await.unwrap().len(), 1);
}

async fn organisation_upsert_updates_in_place(backend: Backend) {
    let db = TestDb::new(backend).await;
    let first = organisation(&db.store, "t-1").await;
    let again = organisation(&db.store, "t-1").await;
    let other = organisation(&db.store, "t-2").await;
    assert_eq!(first, again);
    assert_ne!(first, other);
}
