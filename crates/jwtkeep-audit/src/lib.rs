//! jwtkeep's audits of systems it did not build: the search for an HMAC
//! token's secret among the secrets attackers try first, the source scan,
//! and the endpoint probe.
//!
//! Audits read what they are given (a token, wordlists, the tree to scan)
//! and talk over the network only to the endpoint the user names; they never
//! touch the store. The binary shows their progress and results.

pub mod probe;
pub mod scan;
pub mod weak_secret;
