//! The report service's materialised months (issue 14): after random
//! interleavings of Xero writes synced over HTTP from the simulator,
//! mapping changes and rate changes, every P&L the service puts together
//! from its months equals a fresh load and engine run of the period at the
//! same data version, and a period's months serve every period within it.

use chrono::Utc;
use consol::consolidation;
use consol::domain::{CurrencyCode, Month, MonthRange};
use consol::engine;
use consol::reports::Reports;
use consol::store::{RateRow, Store};
use consol::sync::SyncKind;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::helpers::{Backend, Cases, SyncedGroup, synced_demo_group, toggle_a_mapping, window};

crate::backends!(months_put_together_equal_a_fresh_run_after_syncs_set_up_and_rates);

async fn fresh(store: &Store, group: &consol::store::Group, period: MonthRange) -> Value {
    let data = consolidation::load(store, group, period).await.unwrap();
    serde_json::to_value(engine::consolidate(&data, period).unwrap().report).unwrap()
}

async fn months_put_together_equal_a_fresh_run_after_syncs_set_up_and_rates(backend: Backend) {
    let SyncedGroup { s, group, user_id } = synced_demo_group(backend).await;
    let store = s.app.store();
    crate::helpers::set_up_like_the_demo(store, &group, user_id).await;
    let reports = Reports::default();
    let months = window();
    let entities = store.entities_for_group(group.id).await.unwrap();
    let token = crate::sync::bookkeeper_token(&s).await;
    let mut cases = Cases(0x0014_4D0E);
    let mut kinds = [0usize; 3];
    let first = cases.below(3);
    // The previous step's longer period: all its months built at the
    // version before this step's change.
    let mut built_before: Option<MonthRange> = None;
    // Steps after which some month of the previous period was kept.
    let mut relabelled = 0;
    for step in 0..4 {
        // A month of the previous period when there is one, so that the
        // period asked again below holds the change.
        let month = match built_before {
            Some(b) => b.months().nth(cases.below(b.months().count())).unwrap(),
            None => months[months.len() - 1 - cases.below(6)],
        };
        // Each kind once in a seeded order, then any.
        let kind = if step < 3 {
            (step + first) % 3
        } else {
            cases.below(3)
        };
        kinds[kind] += 1;
        // The months this step's change reaches, worked out from what it
        // changes: a rate, its month; a mapping, every month; a sale, its
        // month (the entity's P&L) and, when it is to an intercompany
        // contact, every month whose load reads it (documents up to 45
        // days either side of a month: the reconciliation's margin, which
        // holds the unrealised-profit hold's reach).
        let reached: Vec<Month> = match kind {
            // A bookkeeper's sale in Xero, then the organisation's sync.
            0 => {
                let e = &entities[cases.below(entities.len())];
                let (contact, sales) = s
                    .sim
                    .state()
                    .with_ledger(e.tenant_id.parse().unwrap(), |l| {
                        let contact = l.get_contacts(&Default::default()).unwrap().contacts[0]
                            .contact_id
                            .unwrap()
                            .to_string();
                        let sales = l
                            .accounts()
                            .iter()
                            .find(|a| {
                                a.account_type.as_deref() == Some("REVENUE") && a.code.is_some()
                            })
                            .and_then(|a| a.code.clone())
                            .unwrap();
                        (contact, sales)
                    })
                    .unwrap();
                let amount = 100 + cases.below(5_000);
                let date = month.first_day() + chrono::Days::new(cases.below(27) as u64);
                let created = reqwest::Client::new()
                    .put(format!("{}/api.xro/2.0/Invoices", s.sim.base_url()))
                    .bearer_auth(&token)
                    .header("xero-tenant-id", &e.tenant_id)
                    .header("accept", "application/json")
                    .json(&json!({"Invoices": [{
                        "Type": "ACCREC", "Contact": {"ContactID": contact},
                        "Status": "AUTHORISED", "Date": date.to_string(),
                        "LineAmountTypes": "Exclusive",
                        "LineItems": [{"Description": "Step sale", "Quantity": 1,
                            "UnitAmount": amount, "AccountCode": sales}]
                    }]}))
                    .send()
                    .await
                    .unwrap();
                assert!(created.status().is_success(), "{}", created.status());
                s.control("POST", "/_sim/clock", Some(json!({"advance_seconds": 60})))
                    .await;
                consol::sync::enqueue(store, e.organisation_id, SyncKind::Full)
                    .await
                    .unwrap();
                consol::sync::worker(store.clone(), s.xero.clone())
                    .drain()
                    .await
                    .unwrap();
                let ic = store
                    .intercompany_contacts(group.id)
                    .await
                    .unwrap()
                    .iter()
                    .any(|c| {
                        c.confirmed
                            && c.organisation_id == e.organisation_id
                            && c.contact_id == contact
                    });
                let margin = chrono::Days::new(45);
                months
                    .iter()
                    .filter(|m| {
                        **m == month
                            || (ic
                                && m.first_day() - margin <= date
                                && date <= m.last_day() + margin)
                    })
                    .copied()
                    .collect()
            }
            1 => {
                toggle_a_mapping(store, group.id, user_id, &mut cases).await;
                months.clone()
            }
            _ => {
                let average = Decimal::new(5000 + cases.below(10_000) as i64, 4);
                store
                    .set_fx_rates(
                        group.id,
                        &[RateRow {
                            currency: CurrencyCode::parse("AUD").unwrap(),
                            month,
                            average,
                            closing: average,
                        }],
                        Some(user_id),
                        Utc::now(),
                    )
                    .await
                    .unwrap();
                vec![month]
            }
        };
        // Asked again, the previous period rebuilds exactly the months the
        // change reached; the others are its months relabelled.
        if let Some(before) = built_before {
            let runs = reports.month_runs(group.id);
            let run = reports
                .profit_and_loss(store, &group, before)
                .await
                .unwrap();
            assert_eq!(
                serde_json::to_value(&run.report).unwrap(),
                fresh(store, &group, before).await,
                "step {step} (change {kind}), {before:?} again"
            );
            let after = reports.month_runs(group.id);
            let rebuilt: Vec<Month> = before
                .months()
                .filter(|m| after.get(m) != runs.get(m))
                .collect();
            let expected: Vec<Month> = before.months().filter(|m| reached.contains(m)).collect();
            assert_eq!(rebuilt, expected, "step {step} (change {kind})");
            eprintln!("step {step} (change {kind}): rebuilt {rebuilt:?} of {before:?}");
            if rebuilt.len() < before.months().count() {
                relabelled += 1;
            }
            assert!(
                before
                    .months()
                    .all(|m| after[&m] - runs.get(&m).unwrap_or(&0) <= 1),
                "a month is run once"
            );
        }
        // A random period, then a random period within it: the second is
        // put together from months the first built.
        let len = 1 + cases.below(8);
        let from = months.len() - len - cases.below(months.len() - len + 1).min(6);
        let outer = MonthRange::new(months[from], months[from + len - 1]).unwrap();
        let inner_from = from + cases.below(len);
        let inner = MonthRange::new(months[inner_from], outer.to()).unwrap();
        for period in [outer, inner] {
            let before = store.data_version(group.id).await.unwrap().unwrap();
            let run = reports
                .profit_and_loss(store, &group, period)
                .await
                .unwrap();
            assert_eq!(run.version, before, "step {step}: the version read");
            assert_eq!(
                store.data_version(group.id).await.unwrap().unwrap(),
                run.version,
                "nothing moved the version meanwhile"
            );
            assert_eq!(
                serde_json::to_value(&run.report).unwrap(),
                fresh(store, &group, period).await,
                "step {step} (change {kind}), {period:?}"
            );
        }
        let version = store.data_version(group.id).await.unwrap().unwrap();
        let mut asked: Vec<Month> = outer.months().collect();
        asked.extend(built_before.iter().flat_map(|b| b.months()));
        asked.sort();
        asked.dedup();
        assert_eq!(
            reports.months_built(group.id, &version),
            asked.len(),
            "step {step}: the inner period built no month of its own"
        );
        built_before = Some(outer);
    }
    assert!(relabelled > 0, "some change left a month as it was");
    assert!(
        kinds.iter().all(|k| *k > 0),
        "every kind of change ran: {kinds:?}"
    );
}
