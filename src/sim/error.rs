//! The simulator's errors, each mapped to Xero's status code and body.

use crate::xero::ApiException;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// 400 with a JSON `ApiException` body (`ValidationException` with
    /// `Elements`, or a bare `Message`, or `QueryParseException`).
    #[error("{}", .0.message)]
    BadRequest(ApiException),
    /// 404, plain text `The resource you're looking for cannot be found`.
    #[error("not found")]
    NotFound,
}

/// What the HTTP layer writes for an error.
#[derive(Debug, Clone, PartialEq)]
pub enum ErrorBody {
    Json(serde_json::Value),
    Text(&'static str),
}

impl ApiError {
    /// A 400 `ValidationException` with just a message.
    pub fn message(m: impl Into<String>) -> Self {
        Self::BadRequest(ApiException {
            error_number: 10,
            error_type: "ValidationException".into(),
            message: m.into(),
            elements: None,
        })
    }

    /// A 400 for a `where` or `order` the parser could not read.
    pub fn query(m: impl Into<String>) -> Self {
        Self::BadRequest(ApiException {
            error_number: 16,
            error_type: "QueryParseException".into(),
            message: m.into(),
            elements: None,
        })
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::NotFound => 404,
        }
    }

    pub fn body(&self) -> ErrorBody {
        match self {
            Self::BadRequest(e) => {
                ErrorBody::Json(serde_json::to_value(e).unwrap_or(serde_json::Value::Null))
            }
            Self::NotFound => ErrorBody::Text("The resource you're looking for cannot be found"),
        }
    }

    /// The validation messages, for tests and logs.
    pub fn messages(&self) -> Vec<String> {
        match self {
            Self::BadRequest(e) if e.elements.is_some() => e.messages(),
            Self::BadRequest(e) => vec![e.message.clone()],
            Self::NotFound => vec![],
        }
    }
}
