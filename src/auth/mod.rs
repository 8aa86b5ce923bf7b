//! Passwords, random tokens and login throttling: the parts of
//! authentication that have nothing to do with HTTP.

pub mod password;
pub mod throttle;
pub mod token;
