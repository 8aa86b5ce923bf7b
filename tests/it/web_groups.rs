//! Groups over HTTP: creating them and who may see them.

use crate::helpers::{Backend, create_user, login, session_csrf, spawn_app};

crate::backends!(
    a_member_creates_and_sees_a_group,
    bad_group_input_is_explained_and_nothing_is_created,
    other_groups_are_not_found,
);

async fn a_member_creates_and_sees_a_group(backend: Backend) {
    let mut app = spawn_app(backend).await;
    create_user(app.store(), "ann@example.com", "ann's long password").await;
    login(&mut app.client, "ann@example.com", "ann's long password").await;
    let csrf = session_csrf(&mut app.client).await;
    let page = app
        .client
        .post_form(
            "/groups",
            &[
                ("name", "Kea Group"),
                ("presentation_currency", "nzd"),
                ("financial_year_end_month", "3"),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let location = page.location().unwrap().to_string();
    assert!(location.starts_with("/groups/"));
    let group = app.client.get(&location).await;
    assert_eq!(group.status, 200);
    assert!(group.body.contains("Kea Group"));
    assert!(group.body.contains("NZD"));
    assert!(group.body.contains("March"));
    let list = app.client.get("/groups").await;
    assert!(list.body.contains("Kea Group"));
    assert!(list.body.contains("admin"));
}

async fn bad_group_input_is_explained_and_nothing_is_created(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let uid = create_user(app.store(), "ann@example.com", "ann's long password").await;
    login(&mut app.client, "ann@example.com", "ann's long password").await;
    let csrf = session_csrf(&mut app.client).await;
    let page = app
        .client
        .post_form(
            "/groups",
            &[
                ("name", "   "),
                ("presentation_currency", "EURO"),
                ("financial_year_end_month", "13"),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("Give the group a name"));
    assert!(page.body.contains("EURO"));
    assert!(page.body.contains("is not a currency code"));
    assert!(page.body.contains("Choose the month"));
    assert!(app.store().groups_for_user(uid).await.unwrap().is_empty());
}

async fn other_groups_are_not_found(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let ann = create_user(app.store(), "ann@example.com", "ann's long password").await;
    let bob = create_user(app.store(), "bob@example.com", "bob's long password").await;
    let now = chrono::Utc::now();
    let nzd = consol::domain::CurrencyCode::parse("NZD").unwrap();
    let group_a = app
        .store()
        .create_group(
            &consol::store::NewGroup {
                name: "Group A",
                presentation_currency: nzd,
                financial_year_end_month: 3,
            },
            ann,
            now,
        )
        .await
        .unwrap();
    let group_b = app
        .store()
        .create_group(
            &consol::store::NewGroup {
                name: "Group B",
                presentation_currency: nzd,
                financial_year_end_month: 12,
            },
            bob,
            now,
        )
        .await
        .unwrap();
    // Bob is a viewer of A; B is his own.
    app.store()
        .set_member(
            group_a.id,
            bob,
            consol::store::GroupRole::Viewer,
            Some(ann),
            now,
        )
        .await
        .unwrap();

    // Ann (in A only) gets 404 for B, the same as for a group that does not
    // exist, so ids cannot be probed.
    login(&mut app.client, "ann@example.com", "ann's long password").await;
    assert_eq!(
        app.client
            .get(&format!("/groups/{}", group_a.id))
            .await
            .status,
        200
    );
    let b = app.client.get(&format!("/groups/{}", group_b.id)).await;
    assert_eq!(b.status, 404);
    assert!(!b.body.contains("Group B"));
    assert_eq!(app.client.get("/groups/999999").await.status, 404);
    assert_eq!(app.client.get("/groups/abc").await.status, 404);
    assert!(!app.client.get("/groups").await.body.contains("Group B"));

    // Bob, a viewer of A, sees A with his role.
    let mut bob_client = app.new_client();
    login(&mut bob_client, "bob@example.com", "bob's long password").await;
    let a = bob_client.get(&format!("/groups/{}", group_a.id)).await;
    assert_eq!(a.status, 200);
    assert!(a.body.contains("viewer"));
}
