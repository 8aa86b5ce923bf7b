//! Passwords, random tokens, login throttling and the client's address: the
//! parts of authentication that have nothing to do with HTTP.

pub mod password;
pub mod proxies;
pub mod setup_code;
pub mod throttle;
pub mod token;
