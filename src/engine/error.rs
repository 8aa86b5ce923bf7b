//! Errors that stop the engine: inconsistent input, which means a bug in
//! the store or in the code that loaded it. Missing rates, unmapped accounts
//! and the like are not errors but [`super::Warning`]s on the report.

use super::input::{EntityId, GroupAccountId};
use crate::domain::{CurrencyCode, Month};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("entity {0:?} appears twice in the group")]
    DuplicateEntity(EntityId),
    #[error("a row refers to entity {0:?}, which is not in the group")]
    UnknownEntity(EntityId),
    #[error("group account {0:?} appears twice in the group chart")]
    DuplicateGroupAccount(GroupAccountId),
    #[error(
        "a mapping of entity {entity:?} account {account_id} points to group account {group_account:?}, which is not in the group chart"
    )]
    UnknownGroupAccount {
        entity: EntityId,
        account_id: String,
        group_account: GroupAccountId,
    },
    #[error("entity {entity:?} account {account_id} is mapped twice")]
    DuplicateMapping {
        entity: EntityId,
        account_id: String,
    },
    #[error("the average rate of {currency} for {month} is not positive")]
    InvalidRate {
        currency: CurrencyCode,
        month: Month,
    },
    #[error("an amount of entity {entity:?} for {month} is too large to translate")]
    AmountOutOfRange { entity: EntityId, month: Month },
    #[error("the financial year end month {0} is not between 1 and 12")]
    InvalidYearEnd(u32),
}
