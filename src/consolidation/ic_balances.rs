//! Loads the intercompany balances the balance sheet at a month end
//! eliminates (rules section 3a): for each entity, the documents and
//! payments with its confirmed intercompany contacts dated on or before
//! the month end, where its receivables and payables sit, and the accounts
//! marked intercompany. A document the engine cannot read (an unknown
//! currency) is a gap naming it, never dropped in silence.

use std::collections::HashMap;

use crate::domain::{CurrencyCode, Month};
use crate::engine::EntityId;
use crate::engine::ic_balances::{ControlAccounts, IcAccount, IcBalancesInput, IcDocument};
use crate::store::{EntityView, Group, Store, StoreError};

/// The intercompany input at the end of `at`, and the gaps found.
pub async fn load(
    store: &Store,
    group: &Group,
    views: &[EntityView],
    at: Month,
) -> Result<(IcBalancesInput, Vec<String>), StoreError> {
    let mut gaps = Vec::new();
    let mut input = IcBalancesInput::default();
    let contacts = store.intercompany_contacts(group.id).await?;
    for v in views {
        // Contact id -> the entity it stands for; only confirmed ones count.
        let mine: HashMap<String, i64> = contacts
            .iter()
            .filter(|c| c.organisation_id == v.organisation_id && c.confirmed && !c.rejected)
            .map(|c| (c.contact_id.clone(), c.counterpart_entity_id))
            .collect();
        let (receivables, payables) = store.control_accounts(v.organisation_id).await?;
        input.control_accounts.insert(
            EntityId(v.id),
            ControlAccounts {
                receivables,
                payables,
            },
        );
        if mine.is_empty() {
            continue;
        }
        let ids: Vec<String> = mine.keys().cloned().collect();
        for d in store
            .intercompany_documents(v.organisation_id, &ids, at.last_day())
            .await?
        {
            let Ok(currency) = CurrencyCode::parse(&d.currency_code) else {
                gaps.push(format!(
                    "{}: {} {} has currency '{}', which Consol cannot read; it is left out of the intercompany balances.",
                    v.name,
                    d.kind.replace('_', " "),
                    d.number.as_deref().unwrap_or(&d.document_id),
                    d.currency_code
                ));
                continue;
            };
            let counterpart = mine[&d.contact_id];
            input.documents.push(IcDocument {
                entity: EntityId(v.id),
                counterpart: EntityId(counterpart),
                kind: d.kind,
                document_type: d.document_type,
                paid_kind: d.paid_kind,
                document_id: d.document_id,
                number: d.number,
                date: d.date,
                status: d.status,
                currency,
                amount: d.amount,
            });
        }
    }
    input.accounts = store
        .intercompany_accounts(group.id)
        .await?
        .into_iter()
        .map(|a| IcAccount {
            entity: EntityId(a.entity_id),
            account_id: a.account_id,
            counterpart: EntityId(a.counterpart_entity_id),
        })
        .collect();
    Ok((input, gaps))
}
