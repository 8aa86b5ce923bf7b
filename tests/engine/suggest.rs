//! Suggestions: account mappings, a group chart from an entity's chart,
//! intercompany contacts.

use crate::common::*;
use consol::engine::*;

#[test]
fn mapping_suggestions_by_code_then_name_within_class() {
    let chart = vec![
        group_account(1, "200", "Sales", AccountSection::Income),
        group_account(
            2,
            "400",
            "Consulting & Accounting",
            AccountSection::OperatingExpenses,
        ),
        group_account(3, "260", "Other Revenue", AccountSection::OtherIncome),
    ];
    let accounts = vec![
        account(5, "a", "200", "Revenue from sales", AccountClass::Revenue), // code
        account(5, "b", "200", "Sales", AccountClass::Expense),              // class differs
        account(
            5,
            "c",
            "999",
            "consulting and accounting",
            AccountClass::Expense,
        ), // no: "and" vs "&"
        account(
            5,
            "d",
            "998",
            "CONSULTING  & ACCOUNTING.",
            AccountClass::Expense,
        ), // name
        account(5, "e", "260", "x", AccountClass::Revenue),                  // code
        account(5, "f", "201", "Sales", AccountClass::Revenue),              // name
    ];
    let s = suggest_account_mappings(&accounts, &chart, &[mapping(5, "f", 1)]);
    let got: Vec<(&str, i64, MappingBasis)> = s
        .iter()
        .map(|s| (s.account_id.as_str(), s.group_account.0, s.basis))
        .collect();
    assert_eq!(
        got,
        [
            ("a", 1, MappingBasis::SameCode),
            ("d", 2, MappingBasis::SameName),
            ("e", 3, MappingBasis::SameCode),
        ]
    );
}

#[test]
fn group_chart_from_an_entity_chart() {
    let mut accounts = vec![
        account(1, "a", "200", "Sales", AccountClass::Revenue),
        account(1, "b", "310", "Cost of Goods Sold", AccountClass::Expense),
        account(1, "c", "260", "Interest Income", AccountClass::Revenue),
        account(1, "d", "400", "Advertising", AccountClass::Expense),
        account(1, "e", "610", "Accounts Receivable", AccountClass::Asset),
        account(1, "f", "477", "Wages", AccountClass::Expense),
    ];
    accounts[1].account_type = XeroAccountType::DirectCosts;
    accounts[2].account_type = XeroAccountType::OtherIncome;
    accounts[3].account_type = XeroAccountType::Overheads;
    accounts[5].account_type = XeroAccountType::from_xero("WAGESEXPENSE");
    let chart = group_chart_from_entity(&accounts, 100);
    let sections: Vec<AccountSection> = chart.accounts.iter().map(|a| a.section).collect();
    assert_eq!(
        sections,
        [
            AccountSection::Income,
            AccountSection::CostOfSales,
            AccountSection::OtherIncome,
            AccountSection::OperatingExpenses,
            AccountSection::CurrentAssets,
            AccountSection::OperatingExpenses,
        ]
    );
    assert_eq!(chart.accounts[0].id, GroupAccountId(100));
    assert_eq!(chart.accounts[0].code, "200");
    assert_eq!(chart.mappings.len(), 6);
    assert_eq!(chart.mappings[5].group_account, GroupAccountId(105));
    // The source entity's accounts all map onto it by code.
    let again = suggest_account_mappings(&accounts, &chart.accounts, &[]);
    assert!(again.iter().all(|s| s.basis == MappingBasis::SameCode));
    assert_eq!(again.len(), 6);
    assert_eq!(
        XeroAccountType::from_xero("depreciatn"),
        XeroAccountType::Depreciation
    );
}

#[test]
fn intercompany_contact_suggestions() {
    let mut h = entity(1, "H", "H Limited", "NZD");
    h.legal_name = Some("Holdings (NZ) Limited".into());
    let entities = vec![
        h,
        entity(2, "T", "T Pty Ltd", "AUD"),
        entity(3, "U", "Umbrella Inc.", "USD"),
    ];
    let contact = |e: i64, id: &str, name: &str| Contact {
        entity: EntityId(e),
        contact_id: id.into(),
        name: name.into(),
    };
    let contacts = vec![
        contact(1, "c1", "T PTY. LTD."),     // T, by Name
        contact(2, "c2", "h  limited"),      // H, by Name
        contact(2, "c3", "Holdings NZ Ltd"), // H, by LegalName
        contact(2, "c4", "Umbrella, LLC"),   // U
        contact(1, "c5", "Acme Ltd"),        // nobody
        contact(1, "c6", "H Ltd"),           // itself: no
        contact(3, "c7", "T Pty Ltd"),       // confirmed already
    ];
    let confirmed = vec![ic_contact(3, "c7", 2)];
    let s = suggest_intercompany_contacts(&entities, &contacts, &confirmed);
    let got: Vec<(&str, i64, NameMatch)> = s
        .iter()
        .map(|s| (s.contact_id.as_str(), s.counterpart.0, s.matched))
        .collect();
    assert_eq!(
        got,
        [
            ("c1", 2, NameMatch::Name),
            ("c2", 1, NameMatch::Name),
            ("c3", 1, NameMatch::LegalName),
            ("c4", 3, NameMatch::Name),
        ]
    );
}

#[test]
fn organisation_name_normalisation() {
    assert_eq!(normalise_organisation_name("T Pty Ltd"), "t");
    assert_eq!(normalise_organisation_name("T Pty. Limited"), "t");
    assert_eq!(normalise_organisation_name("Big   Corp, Inc."), "big");
    assert_eq!(normalise_organisation_name("Widgets GmbH"), "widgets");
    assert_eq!(normalise_organisation_name("Widgets plc"), "widgets");
    assert_eq!(normalise_organisation_name("Widgets LLP"), "widgets");
    assert_eq!(normalise_organisation_name("Ltd"), "ltd");
}

/// Balance-sheet accounts take the section of Xero's balance sheet their
/// type shows under (Xero's BalanceSheet report: Bank, Current Assets,
/// Fixed Assets, Non-current Assets, Current Liabilities, Non-current
/// Liabilities, Equity); an unknown type, or one that does not fit the
/// class, takes the class's default.
#[test]
fn balance_sheet_accounts_take_xeros_section_of_their_type() {
    let cases = [
        ("BANK", AccountClass::Asset, AccountSection::Bank),
        (
            "CURRENT",
            AccountClass::Asset,
            AccountSection::CurrentAssets,
        ),
        (
            "INVENTORY",
            AccountClass::Asset,
            AccountSection::CurrentAssets,
        ),
        (
            "PREPAYMENT",
            AccountClass::Asset,
            AccountSection::CurrentAssets,
        ),
        ("FIXED", AccountClass::Asset, AccountSection::FixedAssets),
        (
            "NONCURRENT",
            AccountClass::Asset,
            AccountSection::NonCurrentAssets,
        ),
        (
            "CURRLIAB",
            AccountClass::Liability,
            AccountSection::CurrentLiabilities,
        ),
        (
            "LIABILITY",
            AccountClass::Liability,
            AccountSection::CurrentLiabilities,
        ),
        (
            "TERMLIAB",
            AccountClass::Liability,
            AccountSection::NonCurrentLiabilities,
        ),
        ("EQUITY", AccountClass::Equity, AccountSection::Equity),
        // Unknown to Consol: the class's default.
        (
            "SOMETHINGNEW",
            AccountClass::Asset,
            AccountSection::CurrentAssets,
        ),
        (
            "SOMETHINGNEW",
            AccountClass::Liability,
            AccountSection::CurrentLiabilities,
        ),
        // A type that does not fit the class: the class's default.
        (
            "BANK",
            AccountClass::Liability,
            AccountSection::CurrentLiabilities,
        ),
    ];
    for (t, class, want) in cases {
        assert_eq!(
            section_for(class, &XeroAccountType::from_xero(t)),
            want,
            "{t} {class:?}"
        );
    }
    let accounts = vec![
        {
            let mut a = account(1, "b", "090", "Business Bank", AccountClass::Asset);
            a.account_type = XeroAccountType::from_xero("BANK");
            a
        },
        {
            let mut a = account(1, "l", "900", "Term Loan", AccountClass::Liability);
            a.account_type = XeroAccountType::from_xero("TERMLIAB");
            a
        },
    ];
    let chart = group_chart_from_entity(&accounts, 1);
    let sections: Vec<&str> = chart.accounts.iter().map(|a| a.section.title()).collect();
    assert_eq!(sections, ["Bank", "Non-current Liabilities"]);
}
