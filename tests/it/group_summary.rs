//! Past 12 entities the group page's entity table summarises (issue 14):
//! counts by state, and only the entities that need someone listed, each
//! with what is wrong; a failed sync, a lost connection and a sync under
//! way are never left out, and `?entities=all` lists every entity.

use consol::sim::http::{DataChoice, SimConfig};
use consol::store::{RunStatus, Store, SyncRun};

use crate::backends;
use crate::helpers::{Backend, synced_demo_group_with};
use crate::large_group::copy_organisation;

backends!(past_twelve_entities_the_table_lists_only_those_that_need_someone);

/// Copies of each demo organisation: 5 × 3 = 15 entities, past the 12 a
/// full table shows.
const COPIES: usize = 2;

/// The page's part from `id="{id}"` to the end of its table (or of the
/// page when there is no table after it).
fn part<'a>(body: &'a str, id: &str) -> &'a str {
    let from = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("the page has no {id}: {body}"));
    let t = &body[from..];
    &t[..t.find("</table>").unwrap_or(t.len())]
}

/// A name as the page's HTML has it (askama writes "Thistle &#38; Co").
fn escaped(name: &str) -> String {
    name.replace('&', "&#38;")
}

/// The rows of a table's body.
fn rows(table: &str) -> usize {
    table
        .split_once("<tbody>")
        .map_or(0, |(_, body)| body.matches("<tr>").count())
}

async fn set_connection_state(store: &Store, org: i64, state: &str) {
    const SQL: &str = "UPDATE organisations SET connection_state = $1 WHERE id = $2";
    match store {
        Store::Sqlite(p) => {
            sqlx::query(SQL)
                .bind(state)
                .bind(org)
                .execute(p)
                .await
                .unwrap();
        }
        Store::Postgres(p) => {
            sqlx::query(SQL)
                .bind(state)
                .bind(org)
                .execute(p)
                .await
                .unwrap();
        }
    };
}

async fn past_twelve_entities_the_table_lists_only_those_that_need_someone(backend: Backend) {
    let mut g = synced_demo_group_with(
        backend,
        SimConfig {
            data: DataChoice::Demo,
            auto_approve: true,
            months: 3,
            ..SimConfig::default()
        },
    )
    .await;
    let store = g.s.app.store().clone();
    let gid = g.group.id;
    for e in store.entities_for_group(gid).await.unwrap() {
        for k in 1..=COPIES {
            let org = copy_organisation(&store, e.organisation_id, k).await;
            store
                .add_entity(gid, org, chrono::Utc::now())
                .await
                .unwrap();
        }
    }
    let views = store.entities_for_group(gid).await.unwrap();
    assert_eq!(views.len(), 15);
    let copies: Vec<_> = views.iter().filter(|v| v.name.contains(" copy ")).collect();
    // One copy's last sync failed, one needs reconnecting, one is queued.
    let (failed, lost, queued) = (copies[0], copies[1], copies[2]);
    let now = chrono::Utc::now();
    let run = store
        .create_sync_run(failed.organisation_id, "incremental", now)
        .await
        .unwrap();
    store.start_sync_run(run, None, now).await.unwrap();
    store
        .finish_sync_run(run, Some("Xero refused the call"), now)
        .await
        .unwrap();
    set_connection_state(&store, lost.organisation_id, "needs_reconnect").await;
    let waiting = store
        .create_sync_run(queued.organisation_id, "incremental", now)
        .await
        .unwrap();

    let c = &mut g.s.app.client;
    let page = c.get(&format!("/groups/{gid}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let summary = part(&page.body, "entity-summary");
    // Worked out from the set-up above: 15 entities, one of them lost.
    assert!(
        summary.contains("15 entities: 14 connected, 1 needs reconnecting"),
        "{summary}"
    );
    assert!(summary.contains("1 syncing or queued"), "{summary}");
    assert!(summary.contains("1 whose last sync failed"), "{summary}");
    assert!(summary.contains("?entities=all"), "a link to every entity");
    let listed = part(&page.body, "entities");
    assert!(
        listed.contains(&escaped(&failed.name)) && listed.contains("failed: Xero refused the call"),
        "the failed sync is named: {listed}"
    );
    assert!(
        listed.contains(&escaped(&lost.name)) && listed.contains("Needs reconnecting to Xero"),
        "the lost connection is named: {listed}"
    );
    assert!(
        listed.contains(&format!("data-run=\"{waiting}\"")),
        "the queued sync keeps its progress bar for sync.js: {listed}"
    );
    assert_eq!(
        rows(listed),
        3,
        "only the three that need someone: {listed}"
    );

    let all = c.get(&format!("/groups/{gid}?entities=all")).await;
    assert_eq!(all.status, 200);
    let every = part(&all.body, "entities");
    for v in &views {
        assert!(every.contains(&escaped(&v.name)), "{} is listed", v.name);
    }
    assert_eq!(rows(every), 15);
    assert!(!all.body.contains("id=\"entity-summary\""));

    // The page reads each organisation's latest run in a few columns; they
    // agree with the full runs, a run waiting to try again included.
    let retrying = store
        .create_sync_run(copies[3].organisation_id, "incremental", now)
        .await
        .unwrap();
    store.start_sync_run(retrying, None, now).await.unwrap();
    store
        .set_sync_retrying(retrying, Some(now + chrono::Duration::minutes(1)))
        .await
        .unwrap();
    let project = |r: &SyncRun| RunStatus {
        id: r.id,
        organisation_id: r.organisation_id,
        state: r.state.clone(),
        progress_done: r.progress_done,
        progress_total: r.progress_total,
        calls: r.calls,
        error: r.error.clone(),
        retry_at: r.retry_at,
    };
    let mut full: Vec<RunStatus> = store
        .latest_runs_for_group(gid)
        .await
        .unwrap()
        .iter()
        .map(project)
        .collect();
    let mut slim = store.latest_run_statuses_for_group(gid).await.unwrap();
    full.sort_by_key(|r| r.id);
    slim.sort_by_key(|r| r.id);
    assert_eq!(slim, full);
    assert!(
        slim.iter()
            .any(|r| r.id == retrying && r.state == "retrying"),
        "{slim:?}"
    );
    assert!(
        slim.iter()
            .any(|r| r.id == run && r.error.as_deref() == Some("Xero refused the call")),
        "{slim:?}"
    );
}
