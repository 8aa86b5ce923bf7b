//! The P&L loader reads a whole group in a fixed number of queries (issue
//! 14). What it gives the engine must be what the per-entity, per-contact
//! reads it replaced gave: the same charts, P&L rows and net profits, and
//! the same intercompany documents of every kind (invoices, credit notes,
//! bank transactions), in the same order, with the same rejected records;
//! never a document of a contact that is only suggested, rejected, not
//! intercompany or confirmed in another group, nor one dated outside the
//! window.

use std::collections::HashMap;

use chrono::{NaiveDate, TimeZone, Utc};
use consol::consolidation::{self, Unloaded};
use consol::domain::{CurrencyCode, Month, MonthRange};
use consol::engine::{
    self, EntityAccount, EntityId, GroupData, PnlAmount, SourceRow, XeroAccountType, XeroNetProfit,
};
use consol::store::{
    AccountRow, BankTransactionRow, CreditNoteRow, Group, IcContactRow, InvoiceLineRow, InvoiceRow,
    LineRow, LoadedKind, NewGroup, OrganisationDetails, ReportAmount, ReportKind, RowKind, Store,
};
use rust_decimal::Decimal;

use crate::helpers::{Backend, TestDb, create_user};

crate::backends!(the_group_wide_load_gives_the_engine_what_the_per_entity_reads_gave);

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

async fn organisation(store: &Store, tenant: &str, name: &str, currency: &str) -> i64 {
    store
        .upsert_organisation(
            &OrganisationDetails {
                tenant_id: tenant.to_string(),
                name: name.to_string(),
                legal_name: None,
                short_code: None,
                base_currency: CurrencyCode::parse(currency).unwrap(),
                country_code: None,
                financial_year_end_day: Some(31),
                financial_year_end_month: Some(3),
                period_lock_date: None,
            },
            Utc::now(),
        )
        .await
        .unwrap()
}

fn account(id: &str, code: &str, kind: &str, class: &str) -> AccountRow {
    AccountRow {
        account_id: id.into(),
        code: Some(code.into()),
        name: format!("Account {code}"),
        account_type: kind.into(),
        class: Some(class.into()),
        status: Some("ACTIVE".into()),
        reporting_code: None,
        system_account: None,
        updated_at_xero: None,
    }
}

fn amount(row_key: &str, kind: RowKind, section: &str, label: &str, v: &str) -> ReportAmount {
    ReportAmount {
        row_key: row_key.into(),
        account_id: (kind == RowKind::Account).then(|| row_key.to_string()),
        section: section.into(),
        label: label.into(),
        kind,
        amount: d(v),
        sync_run_id: None,
    }
}

/// An invoice of one line, or of a line without an amount when `amount`
/// is None (a record the engine cannot read).
fn invoice(id: &str, kind: &str, contact: &str, date: &str, status: &str) -> InvoiceRow {
    InvoiceRow {
        invoice_id: id.into(),
        invoice_type: kind.into(),
        invoice_number: Some(format!("INV-{id}")),
        reference: None,
        contact_id: contact.into(),
        contact_name: Some(format!("Contact {contact}")),
        date: day(date),
        due_date: None,
        status: status.into(),
        line_amount_types: "Exclusive".into(),
        currency_code: "NZD".into(),
        currency_rate: Some(d("1")),
        sub_total: Some(d("100.00")),
        total_tax: Some(d("15.00")),
        total: d("115.00"),
        amount_due: None,
        amount_paid: None,
        updated_at_xero: Utc.with_ymd_and_hms(2026, 4, 1, 9, 0, 0).unwrap(),
        lines: vec![
            InvoiceLineRow {
                line_item_id: Some(format!("{id}-1")),
                description: Some("Management fee".into()),
                quantity: Some(d("1")),
                unit_amount: Some(d("60.00")),
                account_code: Some("200".into()),
                account_id: Some("acc-200".into()),
                tax_type: None,
                tax_amount: Some(d("9.00")),
                line_amount: Some(d("60.00")),
                tracking: None,
            },
            InvoiceLineRow {
                line_item_id: None,
                description: None,
                quantity: None,
                unit_amount: None,
                account_code: Some("400".into()),
                account_id: None,
                tax_type: None,
                tax_amount: Some(d("6.00")),
                line_amount: Some(d("40.00")),
                tracking: None,
            },
        ],
    }
}

fn line(v: Option<&str>) -> LineRow {
    LineRow {
        line_item_id: None,
        description: Some("Recharge".into()),
        quantity: None,
        unit_amount: None,
        account_code: Some("400".into()),
        account_id: Some("acc-400".into()),
        tax_type: None,
        tax_amount: Some(d("0")),
        line_amount: v.map(d),
        tracking: None,
    }
}

fn credit_note(id: &str, kind: &str, contact: &str, date: &str) -> CreditNoteRow {
    CreditNoteRow {
        credit_note_id: id.into(),
        credit_note_type: kind.into(),
        credit_note_number: Some(format!("CN-{id}")),
        reference: None,
        contact_id: contact.into(),
        contact_name: None,
        date: day(date),
        status: "AUTHORISED".into(),
        line_amount_types: "NoTax".into(),
        currency_code: "AUD".into(),
        currency_rate: Some(d("0.912345")),
        sub_total: None,
        total_tax: None,
        total: d("30.00"),
        remaining_credit: None,
        updated_at_xero: Utc.with_ymd_and_hms(2026, 4, 1, 9, 0, 0).unwrap(),
        lines: vec![line(Some("10.00")), line(Some("20.00"))],
        allocations: vec![],
    }
}

fn bank_transaction(id: &str, kind: &str, contact: Option<&str>, date: &str) -> BankTransactionRow {
    BankTransactionRow {
        bank_transaction_id: id.into(),
        bank_transaction_type: kind.into(),
        reference: Some(format!("REF-{id}")),
        contact_id: contact.map(String::from),
        contact_name: None,
        bank_account_id: Some("acc-090".into()),
        bank_account_code: Some("090".into()),
        date: day(date),
        status: "AUTHORISED".into(),
        line_amount_types: "NoTax".into(),
        currency_code: "NZD".into(),
        currency_rate: None,
        sub_total: None,
        total_tax: None,
        total: d("50.00"),
        is_reconciled: Some(true),
        overpayment_id: None,
        prepayment_id: None,
        updated_at_xero: Utc.with_ymd_and_hms(2026, 4, 1, 9, 0, 0).unwrap(),
        lines: vec![line(Some("50.00"))],
    }
}

fn contact(org: i64, contact: &str, counterpart: i64, confirmed: bool) -> IcContactRow {
    IcContactRow {
        organisation_id: org,
        contact_id: contact.into(),
        counterpart_entity_id: counterpart,
        confirmed,
        rejected: false,
    }
}

/// The loader as it was before issue 14's change, one entity and one
/// contact at a time through the per-organisation reads (which other code
/// still uses): the reference the group-wide load is held to.
async fn per_entity_load(store: &Store, group: &Group, period: MonthRange) -> GroupData {
    let mut data = consolidation::load(store, group, period).await.unwrap();
    // Only what the per-entity reads gave is rebuilt here; the group's
    // set-up, rates and contacts come from reads the change left alone.
    data.entity_accounts.clear();
    data.pnl.clear();
    data.net_profits.clear();
    data.invoices.clear();
    data.rejected.clear();
    let views = store.entities_for_group(group.id).await.unwrap();
    let ic: Vec<IcContactRow> = store
        .intercompany_contacts(group.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.confirmed)
        .collect();
    let margin = chrono::Duration::days(45);
    let (from, to) = (
        period.from().first_day() - margin,
        period.to().last_day() + margin,
    );
    for view in &views {
        let entity = EntityId(view.id);
        for a in store.accounts_of(view.organisation_id).await.unwrap() {
            let Some(class) = a.class.as_deref().and_then(consolidation::class_of) else {
                continue;
            };
            data.entity_accounts.push(EntityAccount {
                entity,
                account_id: a.account_id,
                code: a.code,
                name: a.name,
                class,
                account_type: XeroAccountType::from_xero(&a.account_type),
            });
        }
        for r in store
            .pnl_amounts(view.organisation_id, period.from(), period.to())
            .await
            .unwrap()
        {
            let row = match (r.row_kind.as_str(), r.account_id) {
                ("summary", _) if r.section.is_empty() && r.label == "Net Profit" => {
                    data.net_profits.push(XeroNetProfit {
                        entity,
                        month: r.month,
                        amount: r.amount,
                        sync_run_id: r.sync_run_id,
                    });
                    continue;
                }
                ("summary", _) => SourceRow::summary(&r.label),
                (kind, account_id) => {
                    consolidation::source_row(kind, account_id, r.row_key, r.label, &r.section)
                }
            };
            data.pnl.push(PnlAmount {
                entity,
                row,
                month: r.month,
                amount: r.amount,
                sync_run_id: r.sync_run_id,
            });
        }
        let contacts: Vec<String> = ic
            .iter()
            .filter(|c| c.organisation_id == view.organisation_id)
            .map(|c| c.contact_id.clone())
            .collect();
        let mut docs = store
            .invoices_with_contacts(view.organisation_id, &contacts, from, to)
            .await
            .unwrap();
        for kind in [LoadedKind::CreditNotes, LoadedKind::BankTransactions] {
            docs.extend(
                store
                    .documents_with_contacts(view.organisation_id, kind, &contacts, from, to)
                    .await
                    .unwrap(),
            );
        }
        for doc in docs {
            match consolidation::invoice_of(entity, doc) {
                Ok(i) => data.invoices.push(i),
                Err(Unloaded::OtherKind) => {}
                Err(Unloaded::Rejected(r)) => data.rejected.push(r),
            }
        }
    }
    data
}

/// The P&L rows in one order: the per-organisation read never asked for
/// one, so its order is the database's, which the engine does not depend
/// on (it sums them).
fn sorted_pnl(mut data: GroupData) -> GroupData {
    data.pnl
        .sort_by_key(|p| (p.entity, p.month, format!("{:?}", p.row)));
    data
}

async fn the_group_wide_load_gives_the_engine_what_the_per_entity_reads_gave(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let user = create_user(store, "loader@consol.test", "loader password").await;
    let now = Utc::now();
    let new_group = |name| NewGroup {
        name,
        presentation_currency: CurrencyCode::parse("NZD").unwrap(),
        financial_year_end_month: 3,
    };
    let group = store
        .create_group(&new_group("Kea"), user, now)
        .await
        .unwrap();
    let other = store
        .create_group(&new_group("Other"), user, now)
        .await
        .unwrap();
    let a = organisation(store, "t-a", "Alpha", "NZD").await;
    let b = organisation(store, "t-b", "Bravo", "AUD").await;
    let c = organisation(store, "t-c", "Charlie", "NZD").await;
    let x = organisation(store, "t-x", "Xray", "NZD").await;
    let mut entity = HashMap::new();
    for org in [a, b, c] {
        entity.insert(org, store.add_entity(group.id, org, now).await.unwrap().0);
    }
    // Alpha is also in another group, with a contact confirmed there only.
    store.add_entity(other.id, a, now).await.unwrap();
    let x_entity = store.add_entity(other.id, x, now).await.unwrap().0;

    for org in [a, b, c, x] {
        store
            .upsert_accounts(
                org,
                &[
                    account("acc-200", "200", "REVENUE", "REVENUE"),
                    account("acc-400", "400", "EXPENSE", "EXPENSE"),
                    account("acc-090", "090", "BANK", "ASSET"),
                ],
            )
            .await
            .unwrap();
        for (n, month) in ["2025-12", "2026-01", "2026-02", "2026-03", "2026-04"]
            .into_iter()
            .enumerate()
        {
            let v = format!("{}.{n}{org}", 100 * org);
            store
                .replace_report_month(
                    org,
                    ReportKind::ProfitAndLoss,
                    month.parse::<Month>().unwrap(),
                    &[
                        amount("acc-200", RowKind::Account, "Income", "Sales", &v),
                        amount(
                            "acc-400",
                            RowKind::Account,
                            "Less Operating Expenses",
                            "Rent",
                            "7.5",
                        ),
                        amount(
                            "Income|Total Income",
                            RowKind::Summary,
                            "Income",
                            "Total Income",
                            &v,
                        ),
                        amount(
                            "FXGROUPID",
                            RowKind::Other,
                            "Less Operating Expenses",
                            "FX Gain",
                            "1.25",
                        ),
                        amount("|Net Profit", RowKind::Summary, "", "Net Profit", &v),
                    ],
                )
                .await
                .unwrap();
        }
    }

    let mut rejected = contact(a, "c-no", entity[&b], false);
    rejected.rejected = true;
    store
        .set_intercompany_contacts(
            group.id,
            &[
                contact(a, "c-b", entity[&b], true),
                contact(a, "c-c", entity[&c], true),
                // Suggested, not confirmed: not intercompany yet.
                contact(a, "c-maybe", entity[&c], false),
                rejected,
                contact(b, "c-a", entity[&a], true),
                contact(c, "c-a", entity[&a], true),
            ],
            Some(user),
            now,
        )
        .await
        .unwrap();
    store
        .set_intercompany_contacts(
            other.id,
            &[contact(a, "c-x", x_entity, true)],
            Some(user),
            now,
        )
        .await
        .unwrap();

    // The period 2026-01 to 2026-03 reads documents from 2025-11-17 to
    // 2026-05-15 (45 days either side).
    let mut unreadable = invoice("inv-b1", "ACCPAY", "c-a", "2026-02-10", "AUTHORISED");
    unreadable.lines[1].line_amount = None;
    for (org, invoices) in [
        (
            a,
            vec![
                invoice("inv-a1", "ACCREC", "c-b", "2026-02-10", "AUTHORISED"),
                invoice("inv-a2", "ACCPAY", "c-c", "2026-01-05", "PAID"),
                invoice("inv-a3", "ACCREC", "c-b", "2025-11-16", "AUTHORISED"),
                invoice("inv-a4", "ACCREC", "c-maybe", "2026-02-01", "AUTHORISED"),
                invoice("inv-a5", "ACCREC", "c-no", "2026-02-01", "AUTHORISED"),
                invoice("inv-a6", "ACCREC", "c-x", "2026-02-01", "AUTHORISED"),
                invoice("inv-a7", "ACCREC", "c-stranger", "2026-02-01", "AUTHORISED"),
                invoice("inv-a8", "ACCREC", "c-b", "2026-05-15", "AUTHORISED"),
                invoice("inv-a9", "ACCREC", "c-c", "2026-03-03", "PENDING"),
                invoice("inv-a10", "ACCREC", "c-b", "2025-11-17", "VOIDED"),
            ],
        ),
        (
            b,
            vec![
                unreadable,
                invoice("inv-b2", "ACCPAY", "c-a", "2026-03-03", "AUTHORISED"),
                invoice("inv-b3", "ACCPAY", "c-a", "2026-05-16", "AUTHORISED"),
            ],
        ),
        (
            c,
            vec![invoice(
                "inv-c1",
                "ACCREC",
                "c-a",
                "2026-01-05",
                "AUTHORISED",
            )],
        ),
        (
            x,
            vec![invoice(
                "inv-x1",
                "ACCPAY",
                "c-a",
                "2026-02-01",
                "AUTHORISED",
            )],
        ),
    ] {
        store.upsert_invoices(org, &invoices).await.unwrap();
    }
    store
        .upsert_credit_notes(
            a,
            &[
                credit_note("cn-a1", "ACCRECCREDIT", "c-b", "2026-03-01"),
                credit_note("cn-a2", "ACCRECCREDIT", "c-stranger", "2026-03-01"),
                credit_note("cn-a3", "ACCRECCREDIT", "c-maybe", "2026-03-01"),
            ],
        )
        .await
        .unwrap();
    store
        .upsert_credit_notes(
            b,
            &[credit_note("cn-b1", "ACCPAYCREDIT", "c-a", "2026-03-01")],
        )
        .await
        .unwrap();
    store
        .upsert_bank_transactions(
            a,
            &[
                bank_transaction("bt-a1", "SPEND", Some("c-c"), "2026-02-20"),
                bank_transaction("bt-a2", "SPEND-TRANSFER", Some("c-c"), "2026-02-20"),
                bank_transaction("bt-a3", "RECEIVE", None, "2026-02-20"),
                bank_transaction("bt-a4", "SPEND", Some("c-x"), "2026-02-20"),
            ],
        )
        .await
        .unwrap();
    store
        .upsert_bank_transactions(
            c,
            &[
                bank_transaction("bt-c1", "RECEIVE", Some("c-a"), "2026-01-05"),
                bank_transaction("bt-c2", "RECEIVE", Some("c-a"), "2026-06-01"),
            ],
        )
        .await
        .unwrap();

    let period = MonthRange::new("2026-01".parse().unwrap(), "2026-03".parse().unwrap()).unwrap();
    let loaded = consolidation::load(store, &group, period).await.unwrap();

    // What was inserted says which records reach the engine, and as what.
    let mut ids: Vec<(i64, &str)> = loaded
        .invoices
        .iter()
        .map(|i| (i.entity.0, i.invoice_id.as_str()))
        .collect();
    ids.sort();
    let mut expected = vec![
        (entity[&a], "inv-a1"),
        (entity[&a], "inv-a2"),
        (entity[&a], "inv-a8"),
        (entity[&a], "inv-a10"),
        (entity[&a], "cn-a1"),
        (entity[&a], "bt-a1"),
        (entity[&b], "inv-b2"),
        (entity[&b], "cn-b1"),
        (entity[&c], "inv-c1"),
        (entity[&c], "bt-c1"),
    ];
    expected.sort();
    assert_eq!(ids, expected, "the intercompany documents of every kind");
    let rejected: Vec<(i64, &str, &str)> = loaded
        .rejected
        .iter()
        .map(|r| (r.entity.0, r.record_id.as_str(), r.field.as_str()))
        .collect();
    assert_eq!(
        rejected,
        [
            (entity[&a], "inv-a9", "Status"),
            (entity[&b], "inv-b1", "LineAmount")
        ]
    );
    let cn = loaded
        .invoices
        .iter()
        .find(|i| i.invoice_id == "cn-a1")
        .unwrap();
    let amounts: Vec<Decimal> = cn.lines.iter().map(|l| l.line_amount).collect();
    assert_eq!(amounts, [d("10.00"), d("20.00")], "its own lines, in order");
    assert_eq!(cn.currency_rate, Some(d("0.912345")));
    let inv = loaded
        .invoices
        .iter()
        .find(|i| i.invoice_id == "inv-a1")
        .unwrap();
    let line_ids: Vec<&str> = inv.lines.iter().map(|l| l.line_item_id.as_str()).collect();
    assert_eq!(line_ids, ["inv-a1-1", "line-1"]);
    // Three entities, three accounts each; four P&L rows and a Net Profit
    // per entity and month of the period.
    assert_eq!(loaded.entity_accounts.len(), 9);
    assert_eq!(loaded.pnl.len(), 3 * 3 * 4);
    assert_eq!(loaded.net_profits.len(), 3 * 3);
    let expected_profit = d(&format!("{}.2{b}", 100 * b));
    assert!(
        loaded
            .net_profits
            .iter()
            .any(|n| n.entity == EntityId(entity[&b])
                && n.month == "2026-02".parse().unwrap()
                && n.amount == expected_profit),
        "Bravo's February net profit"
    );

    // And all of it, order included, is what the per-entity reads gave.
    let reference = per_entity_load(store, &group, period).await;
    assert_eq!(loaded.invoices, reference.invoices);
    assert_eq!(loaded.rejected, reference.rejected);
    assert_eq!(sorted_pnl(loaded.clone()), sorted_pnl(reference.clone()));
    let report = |data: &GroupData| {
        serde_json::to_value(engine::consolidate(data, period).unwrap().report).unwrap()
    };
    assert_eq!(report(&loaded), report(&reference), "the same report");
}
