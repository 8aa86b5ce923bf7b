//! Parsed domain types shared by every layer. HTTP, database and Xero input is
//! converted into these at the edge, so inner code never re-validates.

mod currency;
mod email;
mod month;

pub use currency::CurrencyCode;
pub use email::Email;
pub use month::{Month, MonthRange};

/// Why a value could not be parsed into a domain type. The message is meant
/// for the person who typed the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);
