//! A sent month's restatement through the API: after the pack went out, an
//! invoice of the month is voided, a credit note is added and another
//! invoice's line moves to another account in the simulator (through
//! Xero's API), the entity syncs, and
//! `GET /api/v1/groups/{id}/month-end/{month}/diff` lists the consolidated
//! lines that moved (decimals as strings), names the three Xero records
//! with their amounts, and opens each line to exactly the records that
//! moved it (old account and new) and the entity rows of Xero's report,
//! while the sent snapshot stays byte for byte as it was.

use std::str::FromStr;
use std::sync::Arc;

use chrono::Utc;
use consol::month_end::delivery::{self, Deliverer};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use consol::domain::Month;
use consol::store::MonthEndVersion;

use crate::helpers::{Backend, SyncedGroup};
use crate::month_end::{call, group_with_token};

crate::backends!(
    the_diff_api_names_the_voided_invoice_and_the_new_credit_note,
    a_manual_journal_moves_a_line_with_no_record_behind_it,
    an_intercompany_sale_to_inventory_moves_the_unrealised_profit_line,
);

/// A month closed and its pack sent by the schedule's worker.
struct Sent {
    month: Month,
    version: MonthEndVersion,
    snapshot: String,
    /// The pack's outbox, for the test to remove.
    outbox: std::path::PathBuf,
}

/// Sets a pack schedule due now, and lets the scheduler close and send
/// the due month to an outbox of its own.
async fn send_a_month(g: &SyncedGroup) -> Sent {
    let store = g.s.app.store().clone();
    let (status, body) = call(
        g,
        "PUT",
        "/pack-schedule",
        Some(json!({
            "business_day": 1,
            "send_at": "00:00",
            "utc_offset": "+00:00",
            "recipients": ["board@example.org"],
            "formats": ["json"],
            "approval_required": false,
        })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let schedule = store.pack_schedule(g.group.id).await.unwrap().unwrap();
    let m = consol::month_end::schedule::due_month(&schedule, Utc::now());
    // Sent to an outbox of its own (no SMTP URL), never the working
    // directory's (a PostgreSQL URL has no data directory beside it).
    let outbox = std::env::temp_dir().join(format!(
        "consol-diff-outbox-{}-{}",
        std::process::id(),
        g.group.id
    ));
    let mut settings = crate::helpers::test_settings(&g.s.app.db.url);
    settings.outbox_dir = Some(outbox.clone());
    let worker = consol::jobs::Worker::new(store.clone(), Default::default()).handle(
        delivery::JOB_KIND,
        Arc::new(Deliverer {
            store: store.clone(),
            mailer: Arc::new(consol::mail::Mailer::from_settings(&settings).unwrap()),
            public_url: g.s.app.address.clone(),
        }),
    );
    delivery::tick(&store, Utc::now()).await.unwrap();
    worker.drain().await.unwrap();
    let v = store
        .latest_month_end(g.group.id, m)
        .await
        .unwrap()
        .unwrap();
    let sent_snapshot = store.month_end_snapshot(v.id).await.unwrap().unwrap();

    Sent {
        month: m,
        version: v,
        snapshot: sent_snapshot,
        outbox,
    }
}

async fn the_diff_api_names_the_voided_invoice_and_the_new_credit_note(backend: Backend) {
    let mut g = group_with_token(backend, true).await;
    let store = g.s.app.store().clone();
    let Sent {
        month: m,
        version: v,
        snapshot: sent_snapshot,
        outbox,
    } = send_a_month(&g).await;

    // Before any change: nothing differs.
    let (status, diff) = call(&g, "GET", &format!("/month-end/{m}/diff"), None).await;
    assert_eq!(status, 200, "{diff}");
    assert_eq!(diff["restated"], false, "{diff}");
    assert!(diff["lines"].as_array().unwrap().is_empty(), "{diff}");
    assert!(diff["records"].as_array().unwrap().is_empty(), "{diff}");

    // An unpaid sales invoice of the month, whose contact and revenue
    // account the credit note reuses, in the first entity that has one.
    // Not an intercompany sale (its elimination would move too), and in
    // the presentation currency (no translation): the month's net profit
    // then falls by the invoice's net amount exactly.
    let entities = store.entities_for_group(g.group.id).await.unwrap();
    let names: Vec<String> = entities.iter().map(|e| e.name.clone()).collect();
    // Every such invoice of an entity, whole (the list leaves line items
    // out, as Xero's does).
    let find = |tenant: uuid::Uuid| {
        g.s.sim
            .state()
            .with_ledger(tenant, |l| {
                use consol::xero::{InvoiceStatus, InvoiceType};
                l.get_invoices(&Default::default())
                    .unwrap()
                    .invoices
                    .into_iter()
                    .filter(|i| {
                        i.invoice_type == Some(InvoiceType::AccRec)
                            && i.status == Some(InvoiceStatus::Authorised)
                            && i.amount_paid.unwrap_or_default().is_zero()
                            && !i.total.unwrap_or_default().is_zero()
                            && consol::domain::Month::of(i.date.unwrap().date()) == m
                            && i.currency_code.is_some_and(|c| c.as_str() == "NZD")
                            && i.contact.as_ref().is_some_and(|c| {
                                let n = c.name.clone().unwrap_or_default();
                                !names
                                    .iter()
                                    .any(|e| n.contains(e.as_str()) || e.contains(&n))
                            })
                    })
                    .map(|i| {
                        let id = i.invoice_id.unwrap().to_string();
                        l.get_invoice(&id).unwrap().invoices.remove(0)
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap()
    };
    // Two of them: one is voided, the other has a line moved to another
    // account.
    let (entity, (voided_before, changed_before)) = entities
        .iter()
        .filter(|e| e.base_currency.as_str() == "NZD")
        .cloned()
        .find_map(|e| {
            let mut found = find(e.tenant_id.parse().unwrap());
            (found.len() >= 2).then(|| {
                let second = found.remove(1);
                (e, (found.remove(0), second))
            })
        })
        .expect("two unpaid sales invoices in the sent month");
    let tenant: uuid::Uuid = entity.tenant_id.parse().unwrap();
    let invoice_id = voided_before.invoice_id.unwrap().to_string();
    let invoice_total = voided_before.total.unwrap();
    let contact_id = voided_before
        .contact
        .as_ref()
        .unwrap()
        .contact_id
        .unwrap()
        .to_string();
    let account_code = voided_before
        .line_items
        .as_ref()
        .unwrap()
        .iter()
        .find_map(|x| x.account_code.clone())
        .unwrap();
    let changed_id = changed_before.invoice_id.unwrap().to_string();

    // The group's chart as the test reads it from the store: an account
    // code of the entity to its group account (confirmed mappings) and
    // that account's class.
    let chart = store.accounts_of(entity.organisation_id).await.unwrap();
    let mapped = store.mappings(g.group.id).await.unwrap();
    let group_accounts = store.group_accounts(g.group.id).await.unwrap();
    let group_of = |code: &str| -> Option<i64> {
        let a = chart.iter().find(|a| a.code.as_deref() == Some(code))?;
        if !matches!(a.class.as_deref(), Some("REVENUE" | "EXPENSE")) {
            return None;
        }
        mapped
            .iter()
            .find(|x| {
                x.confirmed
                    && x.organisation_id == entity.organisation_id
                    && x.account_id == a.account_id
            })
            .map(|x| x.group_account_id)
    };
    let first_line = changed_before.line_items.as_ref().unwrap()[0].clone();
    let from_group = group_of(first_line.account_code.as_deref().unwrap())
        .expect("the changed invoice's first line is on a mapped P&L account");
    // Another revenue account of the entity mapped to another group line.
    let (new_code, to_group) = chart
        .iter()
        .filter(|a| a.class.as_deref() == Some("REVENUE"))
        .filter_map(|a| {
            let c = a.code.clone()?;
            let g = group_of(&c)?;
            (g != from_group).then_some((c, g))
        })
        .next()
        .expect("a revenue account mapped to another group account");
    let token = crate::sync::bookkeeper_token(&g.s).await;
    crate::sync::xero_write(
        &g.s,
        &token,
        &entity.tenant_id,
        reqwest::Method::POST,
        &format!("Invoices/{invoice_id}"),
        json!({"Invoices": [{"InvoiceID": invoice_id, "Status": "VOIDED"}]}),
    )
    .await;
    // A credit note of 123.45 without tax, dated in the month.
    let credit = Decimal::from_str("123.45").unwrap();
    let written = crate::sync::xero_write(
        &g.s,
        &token,
        &entity.tenant_id,
        reqwest::Method::PUT,
        "CreditNotes",
        json!({"CreditNotes": [{
            "Type": "ACCRECCREDIT",
            "Contact": {"ContactID": contact_id},
            "Date": format!("{m}-15"),
            "Status": "AUTHORISED",
            "LineAmountTypes": "NoTax",
            "LineItems": [{"Description": "Returned goods", "Quantity": 1,
                           "UnitAmount": "123.45", "AccountCode": account_code}],
        }]}),
    )
    .await;
    let credit_note_id = written["CreditNotes"][0]["CreditNoteID"]
        .as_str()
        .unwrap_or_else(|| panic!("{written}"))
        .to_string();
    // The second invoice's first line moves to the other account (Xero
    // takes the line items whole).
    let lines: Vec<Value> = changed_before
        .line_items
        .as_ref()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(n, li)| {
            json!({
                "LineItemID": li.line_item_id.map(|x| x.to_string()),
                "Description": li.description,
                "Quantity": li.quantity.map(|x| x.to_string()),
                "UnitAmount": li.unit_amount.map(|x| x.to_string()),
                "AccountCode": if n == 0 { Some(new_code.clone()) } else { li.account_code.clone() },
                "TaxType": li.tax_type,
            })
        })
        .collect();
    let written = crate::sync::xero_write(
        &g.s,
        &token,
        &entity.tenant_id,
        reqwest::Method::POST,
        &format!("Invoices/{changed_id}"),
        json!({"Invoices": [{"InvoiceID": changed_id, "LineItems": lines}]}),
    )
    .await;
    assert_eq!(
        written["Invoices"][0]["LineItems"][0]["AccountCode"],
        new_code.as_str(),
        "{written}"
    );
    consol::sync::enqueue(
        &store,
        entity.organisation_id,
        consol::sync::SyncKind::Incremental,
    )
    .await
    .unwrap();
    consol::sync::worker(store.clone(), g.s.xero.clone())
        .drain()
        .await
        .unwrap();

    let (status, diff) = call(&g, "GET", &format!("/month-end/{m}/diff"), None).await;
    assert_eq!(status, 200, "{diff}");
    assert_eq!(diff["month"], m.to_string());
    assert_eq!(diff["version"], v.version);
    assert_eq!(diff["snapshot_hash"], v.snapshot_hash);
    assert_eq!(diff["restated"], true, "{diff}");

    // The three records, and only they, with their amounts as strings.
    let records = diff["records"].as_array().unwrap();
    assert_eq!(records.len(), 3, "{diff}");
    let voided = records
        .iter()
        .find(|r| r["xero_id"] == invoice_id.as_str())
        .unwrap_or_else(|| panic!("the voided invoice: {diff}"));
    assert_eq!(voided["kind"], "invoice");
    assert_eq!(voided["change"], "voided");
    assert_eq!(voided["entity"], entity.name.as_str());
    assert_eq!(
        Decimal::from_str(voided["total"].as_str().unwrap()).unwrap(),
        invoice_total
    );
    let added = records
        .iter()
        .find(|r| r["xero_id"] == credit_note_id.as_str())
        .unwrap_or_else(|| panic!("the new credit note: {diff}"));
    assert_eq!(added["kind"], "credit_note");
    assert_eq!(added["xero_type"], "ACCRECCREDIT");
    assert_eq!(added["change"], "added");
    let changed = records
        .iter()
        .find(|r| r["xero_id"] == changed_id.as_str())
        .unwrap_or_else(|| panic!("the changed invoice: {diff}"));
    assert_eq!(changed["change"], "changed");
    assert_eq!(added["status"], "AUTHORISED");
    assert_eq!(added["total"], "123.45");

    // Line by line: every figure is a decimal string, and the month's
    // consolidated revenue fell by the voided invoice's net amount and the
    // credit note (both in the presentation currency, NZD, as the parent's).
    let lines = diff["lines"].as_array().unwrap();
    assert!(!lines.is_empty());
    for l in lines {
        for k in ["sent", "today", "difference"] {
            assert!(
                l[k].is_null() || l[k].as_str().is_some_and(|s| Decimal::from_str(s).is_ok()),
                "{k} of {l}"
            );
        }
        let sent = l["sent"]
            .as_str()
            .map_or(Decimal::ZERO, |s| s.parse().unwrap());
        let today = l["today"]
            .as_str()
            .map_or(Decimal::ZERO, |s| s.parse().unwrap());
        assert_eq!(
            Decimal::from_str(l["difference"].as_str().unwrap()).unwrap(),
            today - sent,
            "{l}"
        );
    }
    let net_profit: Vec<&Value> = lines
        .iter()
        .filter(|l| l["key"] == "net_profit" && l["column"] == "month")
        .collect();
    assert_eq!(net_profit.len(), 1, "{diff}");
    let invoice_net =
        g.s.sim
            .state()
            .with_ledger(tenant, |l| {
                l.get_invoice(&invoice_id).unwrap().invoices[0]
                    .sub_total
                    .unwrap()
            })
            .unwrap();
    assert_eq!(
        Decimal::from_str(net_profit[0]["difference"].as_str().unwrap()).unwrap(),
        -(invoice_net + credit),
        "voiding takes the invoice's net amount off, the credit note {credit}: {diff}"
    );

    // Each line lists exactly the records that moved it, with how much,
    // recomputed here from the simulator's documents before and after:
    // a line's net amount (less its tax when amounts include tax), signed
    // as the document moves profit (sales +, sales credit -), shown as
    // the line shows it (costs positive on cost lines).
    let changed_after =
        g.s.sim
            .state()
            .with_ledger(tenant, |l| {
                l.get_invoice(&changed_id).unwrap().invoices.remove(0)
            })
            .unwrap();
    let line_sign = |group: i64| {
        let class = &group_accounts.iter().find(|a| a.id == group).unwrap().class;
        if class == "REVENUE" {
            Decimal::ONE
        } else {
            Decimal::NEGATIVE_ONE
        }
    };
    let on_group = |inv: &consol::xero::Invoice, group: i64| -> Decimal {
        let inclusive = inv.line_amount_types == Some(consol::xero::LineAmountTypes::Inclusive);
        inv.line_items
            .as_ref()
            .unwrap()
            .iter()
            .filter(|li| li.account_code.as_deref().and_then(group_of) == Some(group))
            .map(|li| {
                li.line_amount.unwrap()
                    - if inclusive {
                        li.tax_amount.unwrap_or_default()
                    } else {
                        Decimal::ZERO
                    }
            })
            .sum::<Decimal>()
            * line_sign(group)
    };
    let credit_group = group_of(&account_code).unwrap();
    let mut groups = vec![from_group, to_group, credit_group];
    groups.sort();
    groups.dedup();
    for group in groups {
        let mut expected: Vec<(String, Decimal)> = vec![
            (invoice_id.clone(), -on_group(&voided_before, group)),
            (
                credit_note_id.clone(),
                if group == credit_group {
                    -credit * line_sign(group)
                } else {
                    Decimal::ZERO
                },
            ),
            (
                changed_id.clone(),
                on_group(&changed_after, group) - on_group(&changed_before, group),
            ),
        ];
        expected.retain(|(_, a)| !a.is_zero());
        expected.sort();
        let line = lines
            .iter()
            .find(|l| l["key"] == format!("group:{group}") && l["column"] == "month")
            .unwrap_or_else(|| panic!("line group:{group} moved: {diff}"));
        let mut listed: Vec<(String, Decimal)> = line["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["xero_id"].as_str().unwrap().to_string(),
                    Decimal::from_str(r["amount"].as_str().unwrap()).unwrap(),
                )
            })
            .collect();
        listed.sort();
        assert_eq!(listed, expected, "records of group:{group}: {line}");
        // All in the presentation currency and none intercompany: the
        // records add up to the line's move, as do the entity's rows of
        // Xero's report (as Xero reports them: costs positive too).
        let difference = Decimal::from_str(line["difference"].as_str().unwrap()).unwrap();
        assert_eq!(
            expected.iter().map(|x| x.1).sum::<Decimal>(),
            difference,
            "{line}"
        );
        let rows = line["entity_rows"].as_array().unwrap();
        assert!(
            rows.iter().all(|r| r["entity"] == entity.name.as_str()),
            "{line}"
        );
        assert_eq!(
            rows.iter()
                .map(|r| {
                    Decimal::from_str(r["today"].as_str().unwrap()).unwrap()
                        - Decimal::from_str(r["sent"].as_str().unwrap()).unwrap()
                })
                .sum::<Decimal>(),
            difference,
            "{line}"
        );
        assert!(line["note"].is_null(), "{line}");
    }
    // Net profit: the voided invoice and the credit note; the moved line
    // stayed in revenue, so the changed invoice did not move it.
    let mut listed: Vec<(String, Decimal)> = net_profit[0]["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["xero_id"].as_str().unwrap().to_string(),
                Decimal::from_str(r["amount"].as_str().unwrap()).unwrap(),
            )
        })
        .collect();
    listed.sort();
    let mut expected = vec![
        (invoice_id.clone(), -invoice_net),
        (credit_note_id.clone(), -credit),
    ];
    expected.sort();
    assert_eq!(listed, expected, "{}", net_profit[0]);

    // The page: each changed line opens (a `<details>`, no script) to its
    // records; the changed invoice shows on its old line and its new one.
    let page =
        g.s.app
            .client
            .get(&format!("/groups/{}/month-end/{m}/diff", g.group.id))
            .await;
    assert_eq!(page.status, 200);
    let changed_lines = &page.body[page.body.find("id=\"diff-lines\"").unwrap()
        ..page.body.find("id=\"diff-records\"").unwrap()];
    assert!(changed_lines.contains("<details>"), "{}", page.body);
    assert!(
        changed_lines
            .matches(&format!(
                "data-line-change=\"changed\" data-xero-id=\"{changed_id}\""
            ))
            .count()
            >= 2,
        "{}",
        page.body
    );

    // The snapshot that was sent is as it was.
    assert!(store.month_end_snapshot(v.id).await.unwrap().unwrap() == sent_snapshot);
    assert_eq!(
        store
            .latest_month_end(g.group.id, m)
            .await
            .unwrap()
            .unwrap()
            .snapshot_hash,
        v.snapshot_hash
    );

    let _ = std::fs::remove_dir_all(&outbox);

    // A month never closed is a 404, a bad month a field error (422).
    let (status, body) = call(&g, "GET", "/month-end/2001-01/diff", None).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = call(&g, "GET", "/month-end/2026-13/diff", None).await;
    assert_eq!(status, 422, "{body}");
}

/// Syncs one organisation (incremental, as the scheduler would).
async fn sync_entity(g: &SyncedGroup, organisation_id: i64) {
    let store = g.s.app.store();
    consol::sync::enqueue(store, organisation_id, consol::sync::SyncKind::Incremental)
        .await
        .unwrap();
    consol::sync::worker(store.clone(), g.s.xero.clone())
        .drain()
        .await
        .unwrap();
}

/// The month column's changed line `key` of a diff.
fn month_line<'d>(diff: &'d Value, key: &str) -> &'d Value {
    diff["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["key"] == key && l["column"] == "month")
        .unwrap_or_else(|| panic!("line {key} moved: {diff}"))
}

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(
        v.as_str()
            .unwrap_or_else(|| panic!("a decimal is a JSON string, not {v}")),
    )
    .unwrap()
}

/// A manual journal posted in Xero after the pack went out moves an
/// expense line and net profit with no invoice, credit note or bank
/// transaction behind it: each moved line says so, lists no record, and
/// opens to the entity's row of Xero's report that moved by the journal's
/// amount.
async fn a_manual_journal_moves_a_line_with_no_record_behind_it(backend: Backend) {
    let g = group_with_token(backend, true).await;
    let store = g.s.app.store().clone();
    let sent = send_a_month(&g).await;
    let m = sent.month;
    let entities = store.entities_for_group(g.group.id).await.unwrap();
    // The parent reports in the presentation currency: no translation.
    let kea = entities.iter().find(|e| e.is_parent).unwrap();
    assert_eq!(kea.base_currency, g.group.presentation_currency);
    // General Expenses, and the group line its confirmed mapping puts it on.
    let code = "429";
    let account = store
        .accounts_of(kea.organisation_id)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.code.as_deref() == Some(code))
        .unwrap();
    let group_line = store
        .mappings(g.group.id)
        .await
        .unwrap()
        .into_iter()
        .find(|x| {
            x.confirmed
                && x.organisation_id == kea.organisation_id
                && x.account_id == account.account_id
        })
        .unwrap()
        .group_account_id;

    // Debit the expense, credit the bank: Xero's manual journal lines are
    // in base currency, debits positive.
    let amount = Decimal::from_str("250.00").unwrap();
    let token = crate::sync::bookkeeper_token(&g.s).await;
    let written = crate::sync::xero_write(
        &g.s,
        &token,
        &kea.tenant_id,
        reqwest::Method::PUT,
        "ManualJournals",
        json!({"ManualJournals": [{
            "Narration": "Accrued audit fee",
            "Date": format!("{m}-20"),
            "Status": "POSTED",
            "JournalLines": [
                {"LineAmount": amount.to_string(), "AccountCode": code},
                {"LineAmount": (-amount).to_string(), "AccountCode": "090"},
            ],
        }]}),
    )
    .await;
    assert_eq!(
        written["ManualJournals"][0]["Status"], "POSTED",
        "{written}"
    );
    // The journal as the simulator keeps it: its line on the expense
    // account is what Xero's report moves by.
    let journalled: Decimal =
        g.s.sim
            .state()
            .with_ledger(kea.tenant_id.parse().unwrap(), |l| {
                l.get_manual_journals(&Default::default())
                    .unwrap()
                    .manual_journals
                    .into_iter()
                    .filter(|j| j.narration.as_deref() == Some("Accrued audit fee"))
                    .flat_map(|j| j.journal_lines.unwrap_or_default())
                    .filter(|x| x.account_code.as_deref() == Some(code))
                    .map(|x| x.line_amount.unwrap())
                    .sum()
            })
            .unwrap();
    assert_eq!(journalled, amount);
    sync_entity(&g, kea.organisation_id).await;

    let (status, diff) = call(&g, "GET", &format!("/month-end/{m}/diff"), None).await;
    assert_eq!(status, 200, "{diff}");
    assert_eq!(diff["restated"], true, "{diff}");
    // No document changed.
    assert!(diff["records"].as_array().unwrap().is_empty(), "{diff}");
    // The expense line rose by the journal (costs shown positive), net
    // profit fell by it; neither has a record behind it.
    let expense = month_line(&diff, &format!("group:{group_line}"));
    let net_profit = month_line(&diff, "net_profit");
    assert_eq!(dec(&expense["difference"]), journalled, "{expense}");
    assert_eq!(dec(&net_profit["difference"]), -journalled, "{net_profit}");
    let note = "Changed in Xero's report; no invoice, credit note or bank transaction \
                behind it (a manual journal?).";
    for l in [expense, net_profit] {
        assert!(l["records"].as_array().unwrap().is_empty(), "{l}");
        assert_eq!(l["note"], note, "{l}");
        // The entity's row of Xero's report that moved, as Xero reports
        // it (an expense positive).
        let rows = l["entity_rows"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "{l}");
        assert_eq!(rows[0]["entity"], kea.name.as_str());
        assert_eq!(rows[0]["account_code"], code);
        assert_eq!(rows[0]["account_id"], account.account_id.as_str());
        assert_eq!(
            dec(&rows[0]["today"]) - dec(&rows[0]["sent"]),
            journalled,
            "{l}"
        );
    }
    let _ = std::fs::remove_dir_all(&sent.outbox);
}

/// An intercompany sale the buyer books to Inventory after the pack went
/// out: the seller's revenue is eliminated (its line does not move), the
/// sale is held on the unrealised-profit line, and that line lists the
/// seller's invoice, marked intercompany, with its net amount.
async fn an_intercompany_sale_to_inventory_moves_the_unrealised_profit_line(backend: Backend) {
    let g = group_with_token(backend, true).await;
    let store = g.s.app.store().clone();
    let sent = send_a_month(&g).await;
    let m = sent.month;
    let gid = g.group.id;
    let entities = store.entities_for_group(gid).await.unwrap();
    // Kea Holdings (NZD, the presentation currency) sells to Thistle & Co
    // in NZD, as its management fees to Thistle are: no translation.
    let kea = entities.iter().find(|e| e.is_parent).unwrap();
    let thistle = entities
        .iter()
        .find(|e| e.base_currency.as_str() == "GBP")
        .unwrap();
    let contacts = store.intercompany_contacts(gid).await.unwrap();
    let contact = |org: i64, counterpart: i64| {
        contacts
            .iter()
            .find(|c| {
                c.confirmed && c.organisation_id == org && c.counterpart_entity_id == counterpart
            })
            .unwrap_or_else(|| panic!("no intercompany contact of {org} for {counterpart}"))
            .contact_id
            .clone()
    };
    let (kea_contact, thistle_contact) = (
        contact(kea.organisation_id, thistle.id),
        contact(thistle.organisation_id, kea.id),
    );
    let number = "ICINV-RESTATED";
    let token = crate::sync::bookkeeper_token(&g.s).await;
    let write = |tenant: String, invoice: Value| {
        let (g, token) = (&g, token.clone());
        async move {
            let written = crate::sync::xero_write(
                &g.s,
                &token,
                &tenant,
                reqwest::Method::PUT,
                "Invoices",
                json!({ "Invoices": [invoice] }),
            )
            .await;
            written["Invoices"][0]["InvoiceID"]
                .as_str()
                .unwrap_or_else(|| panic!("{written}"))
                .to_string()
        }
    };
    let invoice = |kind: &str, contact: &str, account: &str| {
        json!({
            "Type": kind,
            "InvoiceNumber": number,
            "Contact": {"ContactID": contact},
            "Date": format!("{m}-18"),
            "DueDate": format!("{m}-28"),
            "Status": "AUTHORISED",
            "CurrencyCode": "NZD",
            "LineAmountTypes": "NoTax",
            "LineItems": [{"Description": "Goods for stock", "Quantity": 4,
                           "UnitAmount": "312.50", "AccountCode": account}],
        })
    };
    let sale = write(
        kea.tenant_id.clone(),
        invoice("ACCREC", &kea_contact, "200"),
    )
    .await;
    let bill = write(
        thistle.tenant_id.clone(),
        invoice("ACCPAY", &thistle_contact, "630"),
    )
    .await;
    sync_entity(&g, kea.organisation_id).await;
    sync_entity(&g, thistle.organisation_id).await;
    // The sale's net amount, from the simulator's invoice.
    let net =
        g.s.sim
            .state()
            .with_ledger(kea.tenant_id.parse().unwrap(), |l| {
                l.get_invoice(&sale).unwrap().invoices[0]
                    .line_items
                    .as_ref()
                    .unwrap()
                    .iter()
                    .map(|x| x.line_amount.unwrap())
                    .sum::<Decimal>()
            })
            .unwrap();
    assert_eq!(net, Decimal::from(1250));

    let (status, diff) = call(&g, "GET", &format!("/month-end/{m}/diff"), None).await;
    assert_eq!(status, 200, "{diff}");
    // Both documents are new since the close.
    let mut added: Vec<(String, String)> = diff["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["change"], "added", "{r}");
            (
                r["xero_id"].as_str().unwrap().to_string(),
                r["xero_type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    added.sort();
    let mut want = vec![
        (sale.clone(), "ACCREC".to_string()),
        (bill, "ACCPAY".to_string()),
    ];
    want.sort();
    assert_eq!(added, want, "{diff}");
    // The seller's revenue line: the sale and its elimination cancel.
    let sales = store
        .accounts_of(kea.organisation_id)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.code.as_deref() == Some("200"))
        .unwrap()
        .account_id;
    let revenue_line = store
        .mappings(gid)
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.confirmed && x.organisation_id == kea.organisation_id && x.account_id == sales)
        .unwrap()
        .group_account_id;
    assert!(
        !diff["lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["key"] == format!("group:{revenue_line}") && l["column"] == "month"),
        "the eliminated sale moved its revenue line: {diff}"
    );
    // The unrealised-profit line holds the whole sale, and lists the
    // seller's invoice, marked intercompany, with its net amount; the
    // buyer's bill is on Inventory and moves no P&L line.
    let held = month_line(&diff, "unrealised_intercompany_profit");
    assert_eq!(dec(&held["difference"]), net, "{held}");
    let records = held["records"].as_array().unwrap();
    assert_eq!(records.len(), 1, "{held}");
    assert_eq!(records[0]["xero_id"], sale.as_str());
    assert_eq!(records[0]["intercompany"], true, "{held}");
    assert_eq!(records[0]["entity"], kea.name.as_str());
    assert_eq!(dec(&records[0]["amount"]), net, "{held}");
    assert!(held["note"].is_null(), "{held}");
    let _ = std::fs::remove_dir_all(&sent.outbox);
}
