//! Every error the API answers is in the contract's shape, including the
//! framework's own (a body over the size limit, an unknown method), which
//! actix-web answers as plain text.

use actix_web::body::{BoxBody, EitherBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{ResponseError, Result};

use super::ApiError;

/// Largest request body the API reads: a set-up body of a large group
/// (40,000 mapping rows of a hundred entities is about 4.6 MB) fits with
/// room to spare. README documents it.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The middleware that rewrites non-JSON error answers.
pub fn middleware<B: 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(reshape)
}

fn reshape<B: 'static>(res: ServiceResponse<B>) -> Result<ErrorHandlerResponse<B>> {
    let is_json = res
        .response()
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let error = shaped(status);
    let (req, _) = res.into_parts();
    let res: ServiceResponse<EitherBody<B, BoxBody>> =
        ServiceResponse::new(req, error.error_response()).map_into_right_body();
    Ok(ErrorHandlerResponse::Response(res))
}

/// The contract's error for a status the framework answered by itself.
fn shaped(status: StatusCode) -> ApiError {
    let (code, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => (
            "payload_too_large",
            format!(
                "The body is larger than the API's limit of {} MiB; send the rows in parts.",
                MAX_BODY_BYTES / (1024 * 1024)
            ),
        ),
        StatusCode::NOT_FOUND => ("not_found", "No such resource, or no access to it.".into()),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "This path does not take that method.".into(),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "Send the body as application/json (or text/csv where the route takes CSV).".into(),
        ),
        s if s.is_server_error() => ("internal", "Something went wrong on our side.".into()),
        s => (
            "bad_request",
            s.canonical_reason()
                .unwrap_or("The request was not accepted.")
                .to_string(),
        ),
    };
    ApiError::new(status, code, message)
}
