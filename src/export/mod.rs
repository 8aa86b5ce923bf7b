//! Downloadable files made from the engine's outputs. Pure functions: a
//! report in, the bytes of a file out; the web layer only sets headers.

pub mod balance_sheet_xlsx;
pub mod csv;
pub mod xlsx;

pub use csv::{CSV_CONTENT_TYPE, intercompany_csv, profit_and_loss_csv};
pub use xlsx::{ExportError, XLSX_CONTENT_TYPE, intercompany_xlsx, profit_and_loss_xlsx};
