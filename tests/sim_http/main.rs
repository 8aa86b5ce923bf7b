//! The Xero simulator over real HTTP: every test starts a simulator on port
//! 0 (or shares the demo one) and talks to it with reqwest.

mod api;
mod books;
mod faults;
mod helpers;
mod oauth;
mod reads;
mod schema;
mod webhooks;
