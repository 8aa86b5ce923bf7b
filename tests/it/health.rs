//! `/healthz` asks the database on a connection of its own: with every
//! connection of the pages' pool held (as a burst of page requests holds
//! them), it still answers 200 from the database, instead of waiting for
//! the pool and reporting the server down.

use consol::store::Store;

use crate::backends;
use crate::helpers::{Backend, spawn_app};

backends!(the_health_check_answers_while_the_pool_is_taken);

async fn the_health_check_answers_while_the_pool_is_taken(backend: Backend) {
    let mut app = spawn_app(backend).await;
    // Every connection of the app's pool taken, and kept until the end.
    let (held_sqlite, held_pg) = match app.store().clone() {
        Store::Sqlite(p) => {
            let mut held = Vec::new();
            for _ in 0..p.options().get_max_connections() {
                held.push(p.acquire().await.unwrap());
            }
            (held, Vec::new())
        }
        Store::Postgres(p) => {
            let mut held = Vec::new();
            for _ in 0..p.options().get_max_connections() {
                held.push(p.acquire().await.unwrap());
            }
            (Vec::new(), held)
        }
    };
    assert!(!held_sqlite.is_empty() || !held_pg.is_empty());
    let page = app.client.get("/healthz").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let v: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(v["status"], "ok");
    drop((held_sqlite, held_pg));
}
