//! Builders for engine test data. Each test file uses a part of them.
#![allow(dead_code)]

use std::str::FromStr;

use chrono::NaiveDate;
use consol::domain::{CurrencyCode, Month, MonthRange};
use consol::engine::*;
use rust_decimal::Decimal;

pub fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

pub fn m(s: &str) -> Month {
    Month::parse(s).unwrap()
}

pub fn cur(s: &str) -> CurrencyCode {
    CurrencyCode::parse(s).unwrap()
}

pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub fn range(from: &str, to: &str) -> MonthRange {
    MonthRange::new(m(from), m(to)).unwrap()
}

pub fn entity(id: i64, name: &str, org: &str, currency: &str) -> Entity {
    Entity {
        id: EntityId(id),
        name: name.to_string(),
        tenant_id: format!("tenant-{id}"),
        organisation_name: org.to_string(),
        legal_name: None,
        base_currency: cur(currency),
    }
}

pub fn account(
    entity: i64,
    id: &str,
    code: &str,
    name: &str,
    class: AccountClass,
) -> EntityAccount {
    let account_type = match class {
        AccountClass::Revenue => XeroAccountType::Revenue,
        AccountClass::Expense => XeroAccountType::Expense,
        AccountClass::Asset => XeroAccountType::Other("CURRENT".into()),
        AccountClass::Liability => XeroAccountType::Other("CURRLIAB".into()),
        AccountClass::Equity => XeroAccountType::Other("EQUITY".into()),
    };
    EntityAccount {
        entity: EntityId(entity),
        account_id: id.to_string(),
        code: Some(code.to_string()),
        name: name.to_string(),
        class,
        account_type,
    }
}

pub fn group_account(id: i64, code: &str, name: &str, section: AccountSection) -> GroupAccount {
    let class = match section {
        AccountSection::Income | AccountSection::OtherIncome => AccountClass::Revenue,
        AccountSection::Bank
        | AccountSection::CurrentAssets
        | AccountSection::FixedAssets
        | AccountSection::NonCurrentAssets => AccountClass::Asset,
        AccountSection::CurrentLiabilities | AccountSection::NonCurrentLiabilities => {
            AccountClass::Liability
        }
        AccountSection::Equity => AccountClass::Equity,
        _ => AccountClass::Expense,
    };
    GroupAccount {
        id: GroupAccountId(id),
        code: code.to_string(),
        name: name.to_string(),
        class,
        section,
    }
}

pub fn pnl(entity: i64, account_id: &str, month: &str, amount: &str) -> PnlAmount {
    PnlAmount {
        entity: EntityId(entity),
        row: SourceRow::account(account_id),
        month: m(month),
        amount: d(amount),
        sync_run_id: Some(7),
    }
}

pub fn mapping(entity: i64, account_id: &str, group: i64) -> AccountMapping {
    AccountMapping {
        entity: EntityId(entity),
        account_id: account_id.to_string(),
        group_account: GroupAccountId(group),
    }
}

pub fn rate(currency: &str, month: &str, average: &str) -> FxRate {
    FxRate {
        currency: cur(currency),
        month: m(month),
        average: d(average),
        closing: d(average),
    }
}

pub fn ic_contact(entity: i64, contact: &str, counterpart: i64) -> IntercompanyContact {
    IntercompanyContact {
        entity: EntityId(entity),
        contact_id: contact.to_string(),
        counterpart: EntityId(counterpart),
    }
}

pub fn line(id: &str, code: &str, amount: &str, tax: &str) -> InvoiceLine {
    InvoiceLine {
        line_item_id: id.to_string(),
        description: format!("line {id}"),
        account_code: Some(code.to_string()),
        account_id: None,
        line_amount: d(amount),
        tax_amount: d(tax),
    }
}

#[allow(clippy::too_many_arguments)]
pub fn invoice(
    entity: i64,
    invoice_type: InvoiceType,
    id: &str,
    number: &str,
    contact: &str,
    on: &str,
    currency: &str,
    currency_rate: Option<&str>,
    lines: Vec<InvoiceLine>,
) -> Invoice {
    let total = lines.iter().map(|l| l.line_amount).sum();
    Invoice {
        entity: EntityId(entity),
        invoice_type,
        invoice_id: id.to_string(),
        invoice_number: Some(number.to_string()),
        contact_id: contact.to_string(),
        contact_name: format!("contact {contact}"),
        date: date(on),
        status: InvoiceStatus::Authorised,
        line_amount_types: LineAmountTypes::Exclusive,
        currency: cur(currency),
        currency_rate: currency_rate.map(d),
        total,
        lines,
        sync_run_id: Some(9),
    }
}

pub fn empty_group(currency: &str) -> GroupData {
    GroupData {
        group: Group {
            presentation_currency: cur(currency),
            financial_year_end_month: 3,
        },
        entities: vec![],
        entity_accounts: vec![],
        group_accounts: vec![],
        mappings: vec![],
        pnl: vec![],
        net_profits: vec![],
        rates: vec![],
        intercompany_contacts: vec![],
        invoices: vec![],
        rejected: vec![],
    }
}

/// The worked example at the end of the rules page: H (NZD) sells
/// services to T (AUD) in March 2026.
pub fn worked_example() -> GroupData {
    let mut g = empty_group("NZD");
    let mut h = entity(1, "H", "H Limited", "NZD");
    h.legal_name = Some("H Limited".into());
    g.entities = vec![h, entity(2, "T", "T Pty Ltd", "AUD")];
    g.entity_accounts = vec![
        account(1, "h-200", "200", "Sales", AccountClass::Revenue),
        account(
            1,
            "h-610",
            "610",
            "Accounts Receivable",
            AccountClass::Asset,
        ),
        account(2, "t-400", "400", "Consulting", AccountClass::Expense),
        account(
            2,
            "t-800",
            "800",
            "Accounts Payable",
            AccountClass::Liability,
        ),
    ];
    g.group_accounts = vec![
        group_account(10, "200", "Sales", AccountSection::Income),
        group_account(20, "400", "Consulting", AccountSection::OperatingExpenses),
    ];
    g.mappings = vec![mapping(1, "h-200", 10), mapping(2, "t-400", 20)];
    g.pnl = vec![
        pnl(1, "h-200", "2026-03", "1111.11"),
        pnl(2, "t-400", "2026-03", "1000.00"),
    ];
    g.net_profits = vec![
        XeroNetProfit {
            entity: EntityId(1),
            month: m("2026-03"),
            amount: d("1111.11"),
            sync_run_id: Some(7),
        },
        XeroNetProfit {
            entity: EntityId(2),
            month: m("2026-03"),
            amount: d("-1000.00"),
            sync_run_id: Some(7),
        },
    ];
    g.rates = vec![rate("AUD", "2026-03", "1.08")];
    g.intercompany_contacts = vec![ic_contact(1, "c-t", 2), ic_contact(2, "c-h", 1)];
    let mut sale = invoice(
        1,
        InvoiceType::Accrec,
        "inv-h-42",
        "INV-0042",
        "c-t",
        "2026-03-10",
        "AUD",
        Some("0.90"),
        vec![line("l1", "200", "1000.00", "0")],
    );
    sale.contact_name = "T Pty Ltd".into();
    let mut bill = invoice(
        2,
        InvoiceType::Accpay,
        "bill-t-42",
        "INV-0042",
        "c-h",
        "2026-03-12",
        "AUD",
        None,
        vec![line("l2", "400", "1000.00", "0")],
    );
    bill.contact_name = "H Limited".into();
    g.invoices = vec![sale, bill];
    g
}

/// The value of a line in a column, as a string.
pub fn cell(r: &ProfitAndLossReport, line: &str, col: &str) -> String {
    r.line(line)
        .unwrap_or_else(|| panic!("no line {line}"))
        .values
        .get(col)
        .unwrap_or_else(|| panic!("no column {col}"))
        .to_string()
}
