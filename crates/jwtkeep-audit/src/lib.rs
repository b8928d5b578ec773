//! jwtkeep's audits of systems it did not build: the search for an HMAC
//! token's secret among the secrets attackers try first.
//!
//! Audits read what they are given (a token, wordlists) and compute; they
//! never touch the store. The binary shows their progress and results.

pub mod scan;
pub mod weak_secret;
