//! Internal errors (database, engine) never reach a client: pages and the
//! API answer with an error id that is also in the log, never the cause.

use consol::store::Store;

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, Backend, create_user, login, spawn_app};

crate::backends!(
    internal_errors_show_an_id_not_their_cause,
    out_of_range_rates_are_refused_row_by_row,
);

/// Breaks the database under the running app: the members table is gone.
async fn drop_members_table(store: &Store) {
    match store {
        Store::Sqlite(pool) => {
            sqlx::query("DROP TABLE group_members")
                .execute(pool)
                .await
                .unwrap();
        }
        Store::Postgres(pool) => {
            sqlx::query("DROP TABLE group_members CASCADE")
                .execute(pool)
                .await
                .unwrap();
        }
    }
}

/// The id shown to the user: "error id " then 12 hexadecimal digits.
fn error_id(text: &str) -> Option<String> {
    let start = text.find("error id ")? + "error id ".len();
    let id: String = text[start..].chars().take(12).collect();
    (id.len() == 12 && id.chars().all(|c| c.is_ascii_hexdigit())).then_some(id)
}

async fn internal_errors_show_an_id_not_their_cause(backend: Backend) {
    let mut app = spawn_app(backend).await;
    create_user(app.store(), ADMIN_EMAIL, ADMIN_PASSWORD).await;
    login(&mut app.client, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    drop_members_table(app.store()).await;

    let page = app.client.get("/groups").await;
    assert_eq!(page.status, 500);
    for cause in [
        "group_members",
        "no such table",
        "does not exist",
        "database error",
    ] {
        assert!(
            !page.body.contains(cause),
            "page shows {cause:?}: {}",
            page.body
        );
    }
    let html_id = error_id(&page.body).unwrap_or_else(|| panic!("no error id: {}", page.body));

    let api = app.client.get("/api/v1/groups").await;
    assert_eq!(api.status, 500);
    for cause in [
        "group_members",
        "no such table",
        "does not exist",
        "database error",
    ] {
        assert!(
            !api.body.contains(cause),
            "API shows {cause:?}: {}",
            api.body
        );
    }
    let v: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(v["error"]["code"], "internal");
    let api_id = v["error"]["error_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        error_id(v["error"]["message"].as_str().unwrap()),
        Some(api_id.clone())
    );
    assert_ne!(html_id, api_id, "every failure has its own id");
}

/// A rate of 1e25 was stored, and the P&L then failed. Now each bad row is
/// named (rate too large, too many decimals, month outside the group's
/// history and margin) and nothing is stored.
async fn out_of_range_rates_are_refused_row_by_row(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = create_user(app.store(), ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let group = app
        .store()
        .create_group(
            &consol::store::NewGroup {
                name: "Bounds",
                presentation_currency: consol::domain::CurrencyCode::parse("NZD").unwrap(),
                financial_year_end_month: 3,
            },
            user,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let token = consol::auth::token::random_token();
    app.store()
        .create_api_token(
            user,
            "t",
            &consol::auth::token::hash_token(&token),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let this_month = consol::domain::Month::of(chrono::Utc::now().date_naive());
    let far_past = this_month.plus(-(group.history_months + 13));
    let csv = format!(
        "USD,{this_month},10000000000000000000000000,1\n\
         AUD,{this_month},1.5,0.12345678901\n\
         GBP,{far_past},2,2\n\
         EUR,{this_month},1.6,1.7\n"
    );
    let resp = reqwest::Client::new()
        .put(format!(
            "{}/api/v1/groups/{}/fx-rates",
            app.address, group.id
        ))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 422);
    let v: serde_json::Value = resp.json().await.unwrap();
    let rows: Vec<i64> = v["error"]["details"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["row"].as_i64().unwrap())
        .collect();
    assert_eq!(rows, [1, 2, 3], "{v}");
    assert!(app.store().fx_rates(group.id).await.unwrap().is_empty());
}
