//! Suggestions a user confirms: account mappings (rule 2), a group chart
//! from one entity's chart, and intercompany contacts (rule 4). Only
//! confirmed mappings and contacts count in a report.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::input::{
    AccountClass, AccountMapping, AccountSection, Contact, Entity, EntityAccount, EntityId,
    GroupAccount, GroupAccountId, IntercompanyContact, XeroAccountType,
};

/// Lower case, letters and digits only, words separated by one space.
/// `"Sales - Services"` and `"sales services"` are the same name.
pub fn normalise_name(s: &str) -> String {
    words(s).join(" ")
}

fn words(s: &str) -> Vec<String> {
    let mut cleaned = String::with_capacity(s.len());
    for ch in s.chars() {
        if ch.is_alphanumeric() {
            cleaned.extend(ch.to_lowercase());
        } else if matches!(ch, '.' | '\'' | '’' | ',') {
            // Dropped inside words: "Pty." and "Pty", "O'Neil" and "ONeil".
        } else {
            cleaned.push(' ');
        }
    }
    cleaned.split_whitespace().map(str::to_string).collect()
}

/// Legal-form words ignored at the end of an organisation's name.
pub const LEGAL_SUFFIXES: &[&str] = &[
    "ltd",
    "limited",
    "pty",
    "proprietary",
    "inc",
    "incorporated",
    "llc",
    "gmbh",
    "plc",
    "corp",
    "corporation",
    "co",
    "company",
    "llp",
    "lp",
    "ag",
    "sa",
    "sas",
    "sarl",
    "srl",
    "bv",
    "nv",
    "oy",
    "ab",
    "as",
    "aps",
    "kk",
    "pte",
    "sdn",
    "bhd",
];

/// An organisation's name as compared for intercompany contacts: like
/// [`normalise_name`], with legal suffixes (Ltd, Limited, Pty, Inc, LLC,
/// GmbH, ...) removed from the end. A name made only of suffixes is kept.
pub fn normalise_organisation_name(s: &str) -> String {
    let mut w = words(s);
    while w.len() > 1
        && w.last()
            .is_some_and(|x| LEGAL_SUFFIXES.contains(&x.as_str()))
    {
        w.pop();
    }
    w.join(" ")
}

/// Why a mapping is suggested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MappingBasis {
    /// Same Code and same Class.
    SameCode,
    /// Same normalised Name and same Class.
    SameName,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MappingSuggestion {
    pub entity: EntityId,
    pub account_id: String,
    pub group_account: GroupAccountId,
    pub basis: MappingBasis,
}

/// A suggested group account for each entity account that has no confirmed
/// mapping: first one with the same Code and Class, else one with the same
/// normalised Name and Class. Among several, the first in chart order.
pub fn suggest_account_mappings(
    entity_accounts: &[EntityAccount],
    group_accounts: &[GroupAccount],
    confirmed: &[AccountMapping],
) -> Vec<MappingSuggestion> {
    let done: HashSet<(EntityId, &str)> = confirmed
        .iter()
        .map(|m| (m.entity, m.account_id.as_str()))
        .collect();
    let mut by_code: HashMap<(String, AccountClass), GroupAccountId> = HashMap::new();
    let mut by_name: HashMap<(String, AccountClass), GroupAccountId> = HashMap::new();
    for g in group_accounts {
        let code = g.code.trim().to_lowercase();
        if !code.is_empty() {
            by_code.entry((code, g.class)).or_insert(g.id);
        }
        by_name
            .entry((normalise_name(&g.name), g.class))
            .or_insert(g.id);
    }
    entity_accounts
        .iter()
        .filter(|a| !done.contains(&(a.entity, a.account_id.as_str())))
        .filter_map(|a| {
            let code = a
                .code
                .as_deref()
                .map(|c| c.trim().to_lowercase())
                .filter(|c| !c.is_empty());
            let found = code
                .and_then(|c| by_code.get(&(c, a.class)))
                .map(|&g| (g, MappingBasis::SameCode))
                .or_else(|| {
                    by_name
                        .get(&(normalise_name(&a.name), a.class))
                        .map(|&g| (g, MappingBasis::SameName))
                });
            found.map(|(group_account, basis)| MappingSuggestion {
                entity: a.entity,
                account_id: a.account_id.clone(),
                group_account,
                basis,
            })
        })
        .collect()
}

/// The report section of an account of an entity's chart, from its Xero
/// type (and class, for types not named here): a P&L section, or the
/// section of Xero's balance sheet for the balance-sheet classes.
pub fn section_for(class: AccountClass, account_type: &XeroAccountType) -> AccountSection {
    match (class, account_type) {
        (_, XeroAccountType::Revenue | XeroAccountType::Sales) => AccountSection::Income,
        (_, XeroAccountType::OtherIncome) => AccountSection::OtherIncome,
        (_, XeroAccountType::DirectCosts) => AccountSection::CostOfSales,
        (
            _,
            XeroAccountType::Expense | XeroAccountType::Overheads | XeroAccountType::Depreciation,
        ) => AccountSection::OperatingExpenses,
        (AccountClass::Revenue, XeroAccountType::Other(_)) => AccountSection::Income,
        (AccountClass::Expense, XeroAccountType::Other(_)) => AccountSection::OperatingExpenses,
        // A balance-sheet account: the section Xero's balance sheet shows
        // its type under, when that fits its class.
        (class, XeroAccountType::Other(t)) => AccountSection::of_balance_sheet_type(t)
            .filter(|s| s.fits(class))
            .unwrap_or_else(|| AccountSection::default_for(class)),
    }
}

/// A group chart made from one entity's chart, and the mappings of that
/// entity's accounts onto it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupChart {
    pub accounts: Vec<GroupAccount>,
    pub mappings: Vec<AccountMapping>,
}

/// Copies an entity's chart (in the given order) into a new group chart,
/// numbering group accounts from `first_id`. Accounts without a code get an
/// empty code.
pub fn group_chart_from_entity(accounts: &[EntityAccount], first_id: i64) -> GroupChart {
    let mut out = GroupChart {
        accounts: Vec::with_capacity(accounts.len()),
        mappings: Vec::with_capacity(accounts.len()),
    };
    for (i, a) in accounts.iter().enumerate() {
        let id = GroupAccountId(first_id + i as i64);
        out.accounts.push(GroupAccount {
            id,
            code: a.code.clone().unwrap_or_default(),
            name: a.name.clone(),
            class: a.class,
            section: section_for(a.class, &a.account_type),
        });
        out.mappings.push(AccountMapping {
            entity: a.entity,
            account_id: a.account_id.clone(),
            group_account: id,
        });
    }
    out
}

/// Which name of the organisation a contact matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NameMatch {
    Name,
    LegalName,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactSuggestion {
    pub entity: EntityId,
    pub contact_id: String,
    pub contact_name: String,
    pub counterpart: EntityId,
    pub matched: NameMatch,
}

/// Contacts whose name is another entity's organisation Name or LegalName
/// (see [`normalise_organisation_name`]), other than those confirmed
/// already. A contact matching several entities gets one suggestion each.
pub fn suggest_intercompany_contacts(
    entities: &[Entity],
    contacts: &[Contact],
    confirmed: &[IntercompanyContact],
) -> Vec<ContactSuggestion> {
    let done: HashSet<(EntityId, &str)> = confirmed
        .iter()
        .map(|c| (c.entity, c.contact_id.as_str()))
        .collect();
    let mut names: HashMap<String, Vec<(EntityId, NameMatch)>> = HashMap::new();
    for e in entities {
        let mut add = |n: &str, how| {
            let k = normalise_organisation_name(n);
            if !k.is_empty() {
                let v = names.entry(k).or_default();
                if !v.iter().any(|(id, _)| *id == e.id) {
                    v.push((e.id, how));
                }
            }
        };
        add(&e.organisation_name, NameMatch::Name);
        if let Some(l) = &e.legal_name {
            add(l, NameMatch::LegalName);
        }
    }
    let mut out = Vec::new();
    for c in contacts {
        if done.contains(&(c.entity, c.contact_id.as_str())) {
            continue;
        }
        let Some(found) = names.get(&normalise_organisation_name(&c.name)) else {
            continue;
        };
        for &(counterpart, matched) in found {
            if counterpart != c.entity {
                out.push(ContactSuggestion {
                    entity: c.entity,
                    contact_id: c.contact_id.clone(),
                    contact_name: c.name.clone(),
                    counterpart,
                    matched,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organisation_names() {
        for (a, b) in [
            ("T Pty Ltd", "t"),
            ("T PTY. LTD.", "t"),
            ("  H   Limited ", "h"),
            ("Acme, Inc.", "acme"),
            ("Müller GmbH", "müller"),
            ("Smith & Jones LLP", "smith jones"),
            ("Limited", "limited"),
            ("Co-op Holdings Co", "co op holdings"),
        ] {
            assert_eq!(normalise_organisation_name(a), b, "{a}");
        }
        assert_eq!(normalise_name("Sales - Services"), "sales services");
    }
}
