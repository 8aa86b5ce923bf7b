//! The bridge between the store and the pure engine: loads a group's data
//! for a period, runs the engine, and sets a group up (chart from the
//! parent, suggested mappings and intercompany contacts). Pages, the API and
//! exports ask the report service (`crate::reports`), which loads through
//! [`load`] and runs the engine.

pub mod balance_sheet;
pub mod bs_compare;
pub mod chart;
pub mod fingerprint;
pub mod ic_balances;

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::domain::{CurrencyCode, MonthRange};
use crate::engine::{
    self, AccountClass, AccountMapping, AccountSection, Contact, Entity, EntityAccount, EntityId,
    FxRate, GroupAccount, GroupAccountId, GroupData, IntercompanyContact, Invoice, InvoiceLine,
    InvoiceStatus, InvoiceType, LineAmountTypes, PnlAmount, ReportSection, SourceRow,
    XeroAccountType, XeroNetProfit,
};
use crate::store::{
    EntityView, Group, IcContactRow, IcDocumentKind, MappingRow, Store, StoreError,
};
use crate::xero::report_parser::is_account_id;

/// How far outside the period a counterpart bill may be dated and still
/// pair in the reconciliation.
const RECONCILE_MARGIN_DAYS: i64 = 45;

// The unrealised-profit hold reads documents up to twice its window from a
// seller's date: the widening must reach that far, or a month's hold would
// depend on the period loaded.
const _: () = assert!(2 * engine::HOLD_WINDOW_DAYS <= RECONCILE_MARGIN_DAYS);

pub fn class_of(s: &str) -> Option<AccountClass> {
    Some(match s.trim().to_ascii_uppercase().as_str() {
        "REVENUE" => AccountClass::Revenue,
        "EXPENSE" => AccountClass::Expense,
        "ASSET" => AccountClass::Asset,
        "LIABILITY" => AccountClass::Liability,
        "EQUITY" => AccountClass::Equity,
        _ => return None,
    })
}

pub fn class_name(c: AccountClass) -> &'static str {
    match c {
        AccountClass::Revenue => "REVENUE",
        AccountClass::Expense => "EXPENSE",
        AccountClass::Asset => "ASSET",
        AccountClass::Liability => "LIABILITY",
        AccountClass::Equity => "EQUITY",
    }
}

pub fn section_name(s: AccountSection) -> &'static str {
    s.title()
}

/// A stored section for a group account of `class`; one Consol cannot read
/// (or the single "Balance Sheet" of earlier versions, which migration 0022
/// replaces) is the class's default section.
pub fn section_of(s: &str, class: AccountClass) -> AccountSection {
    AccountSection::stored(s, class)
}

/// A stored P&L row that is not a summary, as the engine takes it: an
/// account row when its key is an AccountID, else a system row keyed by
/// its `account` attribute (`FXGROUPID`, which rows stored before the
/// parser knew it may carry as an AccountID) or its section and label. Both
/// carry the section they sat in, which says how Xero counted them.
pub fn source_row(
    kind: &str,
    account_id: Option<String>,
    row_key: String,
    label: String,
    section_title: &str,
) -> SourceRow {
    let section = ReportSection::from_title(section_title);
    match system_row_key(kind, account_id.as_deref(), &row_key) {
        None => {
            let id = account_id.unwrap_or(row_key);
            match section {
                Some(s) => SourceRow::account_in(id, s),
                None => SourceRow::account(id),
            }
        }
        Some(key) => {
            match section {
                Some(s) => SourceRow::system_in(key, label, s),
                // An untitled section holds only Gross and Net Profit in
                // Xero's layout; a row there moves profit upwards.
                None => SourceRow::system(key, label, AccountClass::Revenue),
            }
        }
    }
}

/// The key a mapping names a stored non-summary P&L row by when it is not
/// an account row (its `account` attribute such as `FXGROUPID`, else its
/// row key), or None for an account row (named by its AccountID). The
/// loader and the mappings' checks share it, so what can be mapped is what
/// the engine looks up.
pub fn system_row_key(kind: &str, account_id: Option<&str>, row_key: &str) -> Option<String> {
    match (kind, account_id) {
        ("account", Some(id)) if is_account_id(id) => None,
        (_, key) => Some(key.unwrap_or(row_key).to_string()),
    }
}

/// An entity as the engine sees it.
pub fn entity_of(e: &EntityView) -> Entity {
    Entity {
        id: EntityId(e.id),
        name: e.name.clone(),
        tenant_id: e.tenant_id.clone(),
        organisation_name: e.name.clone(),
        legal_name: e.legal_name.clone(),
        base_currency: e.base_currency,
    }
}

/// Everything the engine needs about a group for a period.
pub async fn load(
    store: &Store,
    group: &Group,
    period: MonthRange,
) -> Result<GroupData, StoreError> {
    let margin = chrono::Duration::days(RECONCILE_MARGIN_DAYS);
    let (from, to) = (
        period.from().first_day() - margin,
        period.to().last_day() + margin,
    );
    // Group-wide reads, a fixed number of queries at any size, handed out
    // per entity in the order the engine always had them. They do not
    // depend on each other, so they run at once, each on a connection of
    // its own: a cold report of a large group waits for the slowest read,
    // not their sum (SQLite steps each on its connection's thread).
    let [invoices, credit_notes, bank_transactions] = IcDocumentKind::ALL;
    let (
        views,
        group_accounts,
        mappings,
        rates,
        ic,
        accounts,
        amounts,
        invoices,
        credit_notes,
        bank_transactions,
    ) = tokio::try_join!(
        store.entities_for_group(group.id),
        store.group_accounts(group.id),
        store.mappings(group.id),
        store.fx_rates(group.id),
        store.intercompany_contacts(group.id),
        store.group_entity_accounts(group.id),
        store.group_pnl_amounts(group.id, period.from(), period.to()),
        store.group_intercompany_documents(group.id, invoices, from, to),
        store.group_intercompany_documents(group.id, credit_notes, from, to),
        store.group_intercompany_documents(group.id, bank_transactions, from, to),
    )?;
    let by_org: HashMap<i64, EntityId> = views
        .iter()
        .map(|e| (e.organisation_id, EntityId(e.id)))
        .collect();
    let mut data = GroupData {
        group: engine::Group {
            presentation_currency: group.presentation_currency,
            financial_year_end_month: group.financial_year_end_month.clamp(1, 12) as u32,
        },
        entities: views.iter().map(entity_of).collect(),
        entity_accounts: Vec::new(),
        group_accounts: group_accounts
            .into_iter()
            .filter_map(|g| {
                let class = class_of(&g.class)?;
                Some(GroupAccount {
                    id: GroupAccountId(g.id),
                    code: g.code,
                    name: g.name,
                    class,
                    section: section_of(&g.section, class),
                })
            })
            .collect(),
        mappings: mappings
            .into_iter()
            .filter(|m| m.confirmed)
            .filter_map(|m| {
                Some(AccountMapping {
                    entity: *by_org.get(&m.organisation_id)?,
                    account_id: m.account_id,
                    group_account: GroupAccountId(m.group_account_id),
                })
            })
            .collect(),
        pnl: Vec::new(),
        net_profits: Vec::new(),
        rates: rates
            .into_iter()
            .filter(|r| period.contains(r.month))
            .map(|r| FxRate {
                currency: r.currency,
                month: r.month,
                average: r.average,
                closing: r.closing,
            })
            .collect(),
        intercompany_contacts: Vec::new(),
        invoices: Vec::new(),
        rejected: Vec::new(),
    };
    let ic: Vec<IcContactRow> = ic.into_iter().filter(|c| c.confirmed).collect();
    let mut accounts = by_organisation(accounts, |a| a.organisation_id);
    let mut amounts = by_organisation(amounts, |r| r.organisation_id);
    // Invoices, credit notes and spend/receive money of intercompany
    // contacts all reach the engine as its invoices.
    let mut documents = [invoices, credit_notes, bank_transactions]
        .map(|d| by_organisation(d, |d| d.organisation_id));
    for view in &views {
        let entity = EntityId(view.id);
        let org = view.organisation_id;
        for a in accounts.remove(&org).unwrap_or_default() {
            let Some(class) = a.class.as_deref().and_then(class_of) else {
                continue;
            };
            data.entity_accounts.push(EntityAccount {
                entity,
                account_type: XeroAccountType::from_xero(&a.account_type),
                account_id: a.account_id,
                code: a.code,
                name: a.name,
                class,
            });
        }
        for r in amounts.remove(&org).unwrap_or_default() {
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
                (kind, account_id) => source_row(kind, account_id, r.row_key, r.label, &r.section),
            };
            data.pnl.push(PnlAmount {
                entity,
                row,
                month: r.month,
                amount: r.amount,
                sync_run_id: r.sync_run_id,
            });
        }
        for kind in &mut documents {
            for doc in kind.remove(&org).unwrap_or_default() {
                match invoice_of(entity, doc) {
                    Ok(i) => data.invoices.push(i),
                    Err(Unloaded::OtherKind) => {}
                    Err(Unloaded::Rejected(r)) => data.rejected.push(r),
                }
            }
        }
    }
    data.intercompany_contacts = ic
        .into_iter()
        .filter_map(|c| {
            Some(IntercompanyContact {
                entity: *by_org.get(&c.organisation_id)?,
                contact_id: c.contact_id,
                counterpart: EntityId(c.counterpart_entity_id),
            })
        })
        .collect();
    Ok(data)
}

/// `rows` split by organisation, each organisation's in the order read.
fn by_organisation<T>(rows: Vec<T>, org: impl Fn(&T) -> i64) -> HashMap<i64, Vec<T>> {
    let mut out: HashMap<i64, Vec<T>> = HashMap::new();
    for r in rows {
        out.entry(org(&r)).or_default().push(r);
    }
    out
}

/// Why a stored document did not reach the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unloaded {
    /// A kind the engine does not take (overpayments, prepayments,
    /// transfers): not an error, they move no intercompany revenue or cost.
    OtherKind,
    /// A value the engine cannot read (an unknown type, status, currency or
    /// `LineAmountTypes`, a line without an amount): the report shows it as
    /// a warning naming the record.
    Rejected(engine::RejectedRecord),
}

/// Bank transaction kinds that only move balances, never P&L accounts.
const BALANCE_ONLY_KINDS: [&str; 6] = [
    "RECEIVE-OVERPAYMENT",
    "SPEND-OVERPAYMENT",
    "RECEIVE-PREPAYMENT",
    "SPEND-PREPAYMENT",
    "RECEIVE-TRANSFER",
    "SPEND-TRANSFER",
];

/// A stored invoice, credit note or bank transaction as the engine takes
/// it. Nothing is guessed: a missing rate stays `None` (the engine warns),
/// an unknown status is never read as deleted, an unknown currency or line
/// amount type never as another, a missing amount never as 0; such a
/// record is rejected with a named reason, which the report shows as a
/// warning.
pub fn invoice_of(entity: EntityId, i: crate::store::StoredInvoice) -> Result<Invoice, Unloaded> {
    let reject = |field: &str, value: &str| {
        Unloaded::Rejected(engine::RejectedRecord {
            entity,
            record_id: i.invoice_id.clone(),
            number: i.invoice_number.clone(),
            date: i.date,
            field: field.to_string(),
            value: value.to_string(),
        })
    };
    let kind = i.invoice_type.trim().to_ascii_uppercase();
    if BALANCE_ONLY_KINDS.contains(&kind.as_str()) {
        return Err(Unloaded::OtherKind);
    }
    let invoice_type = match kind.as_str() {
        "ACCREC" => InvoiceType::Accrec,
        "ACCPAY" => InvoiceType::Accpay,
        "ACCRECCREDIT" => InvoiceType::Accreccredit,
        "ACCPAYCREDIT" => InvoiceType::Accpaycredit,
        "RECEIVE" => InvoiceType::Receive,
        "SPEND" => InvoiceType::Spend,
        _ => return Err(reject("Type", &i.invoice_type)),
    };
    let status = match i.status.trim().to_ascii_uppercase().as_str() {
        "DRAFT" => InvoiceStatus::Draft,
        "SUBMITTED" => InvoiceStatus::Submitted,
        "AUTHORISED" => InvoiceStatus::Authorised,
        "PAID" => InvoiceStatus::Paid,
        "VOIDED" => InvoiceStatus::Voided,
        "DELETED" => InvoiceStatus::Deleted,
        _ => return Err(reject("Status", &i.status)),
    };
    let line_amount_types = match i.line_amount_types.trim() {
        "Exclusive" => LineAmountTypes::Exclusive,
        "Inclusive" => LineAmountTypes::Inclusive,
        "NoTax" => LineAmountTypes::NoTax,
        other => return Err(reject("LineAmountTypes", other)),
    };
    let currency = CurrencyCode::parse(&i.currency_code)
        .map_err(|_| reject("CurrencyCode", &i.currency_code))?;
    // Every line's amounts first, so that a rejection can still name the
    // record; the lines' strings are then moved, not copied.
    let mut amounts = Vec::with_capacity(i.lines.len());
    for (n, l) in i.lines.iter().enumerate() {
        let (Some(line_amount), Some(tax_amount)) = (l.line_amount, l.tax_amount) else {
            let field = if l.line_amount.is_none() {
                "LineAmount"
            } else {
                "TaxAmount"
            };
            return Err(reject(field, &format!("missing on line {}", n + 1)));
        };
        amounts.push((line_amount, tax_amount));
    }
    let lines = i
        .lines
        .into_iter()
        .zip(amounts)
        .enumerate()
        .map(|(n, (l, (line_amount, tax_amount)))| InvoiceLine {
            line_item_id: l.line_item_id.unwrap_or_else(|| format!("line-{n}")),
            description: l.description.unwrap_or_default(),
            account_code: l.account_code,
            account_id: l.account_id,
            line_amount,
            tax_amount,
        })
        .collect();
    Ok(Invoice {
        entity,
        contact_id: i.contact_id,
        date: i.date,
        invoice_type,
        status,
        line_amount_types,
        currency,
        invoice_id: i.invoice_id,
        invoice_number: i.invoice_number,
        contact_name: i.contact_name.unwrap_or_default(),
        // A zero rate is as unusable as none: the engine warns for both and
        // lists the lines of a foreign document instead of eliminating them.
        currency_rate: i.currency_rate.filter(|r| !r.is_zero()),
        total: i.total,
        lines,
        sync_run_id: None,
    })
}

/// A fresh run of the loader and the engine, nothing kept: what tests
/// compare the report service's answers with. The app itself asks the
/// report service (`crate::reports`).
pub async fn consolidate_group(
    store: &Store,
    group: &Group,
    period: MonthRange,
) -> Result<(GroupData, engine::ProfitAndLossReport), ConsolidationError> {
    let data = load(store, group, period).await?;
    let report = engine::consolidate(&data, period)?.report;
    Ok((data, report))
}

#[derive(Debug, thiserror::Error)]
pub enum ConsolidationError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Engine(#[from] engine::EngineError),
}

/// The stored contacts a user has decided on (confirmed, or marked "not
/// intercompany") for the group's entities, as the engine takes them: its
/// suggestions skip these.
pub fn decided_contacts(stored: &[IcContactRow], views: &[EntityView]) -> Vec<IntercompanyContact> {
    stored
        .iter()
        .filter(|c| c.confirmed || c.rejected)
        .filter_map(|c| {
            let entity = views
                .iter()
                .find(|v| v.organisation_id == c.organisation_id)?;
            Some(IntercompanyContact {
                entity: EntityId(entity.id),
                contact_id: c.contact_id.clone(),
                counterpart: EntityId(c.counterpart_entity_id),
            })
        })
        .collect()
}

/// Sets a group up from its synced data: a chart copied from the parent
/// (when the group has none), the parent's accounts mapped onto it, every
/// other entity's accounts suggested (and confirmed when `confirm`), and
/// intercompany contacts suggested (confirmed when `confirm`). Contacts
/// already confirmed or marked "not intercompany" are left alone. Returns
/// the counts of mappings and contacts written.
pub async fn apply_suggestions(
    store: &Store,
    group: &Group,
    confirm: bool,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(usize, usize), StoreError> {
    let views = store.entities_for_group(group.id).await?;
    let org_of: HashMap<EntityId, i64> = views
        .iter()
        .map(|e| (EntityId(e.id), e.organisation_id))
        .collect();
    let mut accounts = Vec::new();
    for v in &views {
        for a in store.accounts_of(v.organisation_id).await? {
            if let Some(class) = a.class.as_deref().and_then(class_of) {
                accounts.push(EntityAccount {
                    entity: EntityId(v.id),
                    account_id: a.account_id,
                    code: a.code,
                    name: a.name,
                    class,
                    account_type: XeroAccountType::from_xero(&a.account_type),
                });
            }
        }
    }
    let mut mappings: Vec<MappingRow> = Vec::new();
    // The parent's own accounts are mapped when its chart is copied.
    let mut started = 0;
    if store.group_accounts(group.id).await?.is_empty()
        && let Some(parent) = views.iter().find(|v| v.is_parent).or(views.first())
        && let chart::ChartStart::Started { accounts } =
            chart::start_from_entity(store, group.id, parent, by, now).await?
    {
        started = accounts;
    }
    let group_accounts: Vec<GroupAccount> = store
        .group_accounts(group.id)
        .await?
        .into_iter()
        .filter_map(|g| {
            let class = class_of(&g.class)?;
            Some(GroupAccount {
                id: GroupAccountId(g.id),
                code: g.code,
                name: g.name,
                class,
                section: section_of(&g.section, class),
            })
        })
        .collect();
    let existing: Vec<AccountMapping> = store
        .mappings(group.id)
        .await?
        .into_iter()
        .filter(|m| m.confirmed)
        .filter_map(|m| {
            let entity = views
                .iter()
                .find(|v| v.organisation_id == m.organisation_id)?;
            Some(AccountMapping {
                entity: EntityId(entity.id),
                account_id: m.account_id,
                group_account: GroupAccountId(m.group_account_id),
            })
        })
        .collect();
    for s in engine::suggest_account_mappings(&accounts, &group_accounts, &existing) {
        if let Some(org) = org_of.get(&s.entity) {
            mappings.push(MappingRow {
                organisation_id: *org,
                account_id: s.account_id,
                group_account_id: s.group_account.0,
                confirmed: confirm,
            });
        }
    }
    if !mappings.is_empty() {
        store.set_mappings(group.id, &mappings, by, now).await?;
    }

    let mut contacts = Vec::new();
    for v in &views {
        for c in store.contacts_of(v.organisation_id).await? {
            contacts.push(Contact {
                entity: EntityId(v.id),
                contact_id: c.contact_id,
                name: c.name,
            });
        }
    }
    let entities: Vec<Entity> = views.iter().map(entity_of).collect();
    // Contacts a user has decided on (confirmed, or marked not
    // intercompany) are left as they are: suggestions never overwrite a
    // decision.
    let decided = decided_contacts(&store.intercompany_contacts(group.id).await?, &views);
    let ic: Vec<IcContactRow> =
        engine::suggest_intercompany_contacts(&entities, &contacts, &decided)
            .into_iter()
            .filter_map(|s| {
                Some(IcContactRow {
                    organisation_id: *org_of.get(&s.entity)?,
                    contact_id: s.contact_id,
                    counterpart_entity_id: s.counterpart.0,
                    confirmed: confirm,
                    rejected: false,
                })
            })
            .collect();
    if !ic.is_empty() {
        store
            .set_intercompany_contacts(group.id, &ic, by, now)
            .await?;
    }
    Ok((started + mappings.len(), ic.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: &str, id: Option<&str>, section: &str) -> SourceRow {
        source_row(
            kind,
            id.map(str::to_string),
            "key".into(),
            "Label".into(),
            section,
        )
    }

    fn stored(status: &str, currency: &str) -> crate::store::StoredInvoice {
        crate::store::StoredInvoice {
            organisation_id: 1,
            invoice_id: "inv-1".into(),
            invoice_type: "ACCREC".into(),
            invoice_number: Some("INV-1".into()),
            contact_id: "c".into(),
            contact_name: None,
            date: chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            status: status.into(),
            line_amount_types: "Exclusive".into(),
            currency_code: currency.into(),
            currency_rate: Some(rust_decimal::Decimal::ONE),
            total: rust_decimal::Decimal::ONE,
            lines: vec![],
        }
    }

    #[test]
    fn an_unknown_status_or_currency_rejects_the_record_by_name() {
        assert!(invoice_of(EntityId(1), stored("AUTHORISED", "NZD")).is_ok());
        let rejected = |s| match invoice_of(EntityId(1), s) {
            Err(Unloaded::Rejected(r)) => r,
            other => panic!("{other:?}"),
        };
        let r = rejected(stored("ARCHIVED", "NZD"));
        assert_eq!((r.field.as_str(), r.value.as_str()), ("Status", "ARCHIVED"));
        assert_eq!(r.record_id, "inv-1");
        let r = rejected(stored("PAID", "N Z"));
        assert_eq!(r.field, "CurrencyCode");
        let mut spend = stored("AUTHORISED", "NZD");
        spend.invoice_type = "SPEND".into();
        assert_eq!(
            invoice_of(EntityId(1), spend).unwrap().invoice_type,
            InvoiceType::Spend
        );
    }

    #[test]
    fn stored_rows_become_account_or_system_rows_with_their_section() {
        let id = "4f1c2a3b-0000-4000-8000-00000000a001";
        assert_eq!(
            row("account", Some(id), " Income"),
            SourceRow::account_in(id, ReportSection::Income)
        );
        // FXGROUPID, as the parser stores it now and as it was stored
        // before (as an AccountID): a system row keyed FXGROUPID.
        for kind in ["other", "account"] {
            assert_eq!(
                row(kind, Some("FXGROUPID"), "Less Operating Expenses"),
                SourceRow::system_in("FXGROUPID", "Label", ReportSection::Expenses)
            );
        }
        assert_eq!(
            row("other", None, "Plus Other Income"),
            SourceRow::system_in("key", "Label", ReportSection::OtherIncome)
        );
    }
}

#[cfg(test)]
mod document_tests {
    use super::*;
    use crate::store::{StoredInvoice, StoredLine};
    use rust_decimal::Decimal;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn stored(kind: &str, status: &str, currency: &str) -> StoredInvoice {
        StoredInvoice {
            organisation_id: 1,
            invoice_id: "doc-1".into(),
            invoice_type: kind.into(),
            invoice_number: Some("CN-0007".into()),
            contact_id: "c-sister".into(),
            contact_name: Some("Sister Co".into()),
            date: "2026-02-14".parse().unwrap(),
            status: status.into(),
            line_amount_types: "Exclusive".into(),
            currency_code: currency.into(),
            currency_rate: None,
            total: d("110.00"),
            lines: vec![StoredLine {
                line_item_id: None,
                description: None,
                account_code: Some("200".into()),
                account_id: None,
                line_amount: Some(d("100.00")),
                tax_amount: Some(d("10.00")),
            }],
        }
    }

    #[test]
    fn credit_notes_and_bank_transactions_become_the_engines_kinds() {
        for (kind, expected) in [
            ("ACCRECCREDIT", InvoiceType::Accreccredit),
            ("ACCPAYCREDIT", InvoiceType::Accpaycredit),
            ("SPEND", InvoiceType::Spend),
            ("RECEIVE", InvoiceType::Receive),
        ] {
            let i = invoice_of(EntityId(3), stored(kind, "AUTHORISED", "AUD")).unwrap();
            assert_eq!(i.invoice_type, expected);
            assert_eq!(i.invoice_number.as_deref(), Some("CN-0007"));
            assert_eq!(i.lines[0].line_amount, d("100.00"));
        }
        assert_eq!(
            invoice_of(EntityId(3), stored("SPEND-TRANSFER", "AUTHORISED", "NZD")).unwrap_err(),
            Unloaded::OtherKind
        );
    }

    #[test]
    fn a_missing_rate_reaches_the_engine_as_none() {
        let i = invoice_of(EntityId(3), stored("ACCREC", "AUTHORISED", "AUD")).unwrap();
        assert_eq!(i.currency_rate, None, "never 1");
        let mut s = stored("ACCREC", "AUTHORISED", "AUD");
        s.currency_rate = Some(d("0.9"));
        assert_eq!(
            invoice_of(EntityId(3), s).unwrap().currency_rate,
            Some(d("0.9"))
        );
    }

    #[test]
    fn unknown_data_is_left_out_with_its_reason_never_guessed() {
        let why = |s: StoredInvoice| match invoice_of(EntityId(3), s) {
            Err(Unloaded::Rejected(r)) => format!("{}: {}", r.field, r.value),
            other => panic!("{other:?}"),
        };
        // An unknown status is not "deleted".
        assert_eq!(why(stored("ACCREC", "ARCHIVED", "NZD")), "Status: ARCHIVED");
        assert_eq!(
            why(stored("ACCREC", "AUTHORISED", "X1")),
            "CurrencyCode: X1"
        );
        let mut s = stored("ACCREC", "AUTHORISED", "NZD");
        s.line_amount_types = "GrossOfTax".into();
        assert_eq!(why(s), "LineAmountTypes: GrossOfTax");
        let mut s = stored("ACCREC", "AUTHORISED", "NZD");
        s.lines[0].line_amount = None;
        assert_eq!(why(s), "LineAmount: missing on line 1");
        let mut s = stored("ACCREC", "AUTHORISED", "NZD");
        s.lines[0].tax_amount = None;
        assert_eq!(why(s), "TaxAmount: missing on line 1");
        // An unknown kind is named too; a balance-only one is not an error.
        assert_eq!(why(stored("ACCRECX", "AUTHORISED", "NZD")), "Type: ACCRECX");
        // Deleted is still deleted.
        let i = invoice_of(EntityId(3), stored("ACCREC", "DELETED", "NZD")).unwrap();
        assert_eq!(i.status, InvoiceStatus::Deleted);
    }
}
