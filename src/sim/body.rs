//! Reading write request bodies as Xero does: `{"Invoices": [...]}` or a
//! single object. Numbers stay exact (serde_json's `arbitrary_precision`).

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::ApiError;

/// Parses a body into records. `key` is the collection name (`Invoices`,
/// `Contacts`, `ManualJournals`, `Payments`, `Accounts`), matched
/// case-insensitively; a body without it is one record.
pub fn parse_collection<T: DeserializeOwned>(body: &[u8], key: &str) -> Result<Vec<T>, ApiError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::message(format!("The request body is not valid JSON: {e}")))?;
    let items = match v {
        Value::Object(mut map) => {
            let found = map.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned();
            match found.and_then(|k| map.remove(&k)) {
                Some(Value::Array(a)) => a,
                Some(other) => vec![other],
                None => vec![Value::Object(map)],
            }
        }
        Value::Array(a) => a,
        _ => return Err(ApiError::message("The request body must be a JSON object")),
    };
    items
        .into_iter()
        .map(|i| {
            serde_json::from_value(i)
                .map_err(|e| ApiError::message(format!("The request body could not be read: {e}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xero::Invoice;

    #[test]
    fn wrapped_single_and_exact() {
        let a: Vec<Invoice> = parse_collection(
            br#"{"invoices":[{"Type":"ACCREC","LineItems":[{"UnitAmount":1234567890.123456789}]}]}"#,
            "Invoices",
        )
        .unwrap();
        let unit = a[0].line_items.as_ref().unwrap()[0].unit_amount.unwrap();
        assert_eq!(unit.to_string(), "1234567890.123456789");
        let b: Vec<Invoice> = parse_collection(br#"{"Type":"ACCPAY"}"#, "Invoices").unwrap();
        assert_eq!(b.len(), 1);
        assert!(parse_collection::<Invoice>(b"{", "Invoices").is_err());
        assert!(
            parse_collection::<Invoice>(br#"{"Invoices":[{"Type":"NOPE"}]}"#, "Invoices").is_err()
        );
    }
}
