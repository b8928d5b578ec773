//! One module per command: each turns parsed arguments into output and an outcome.

pub(crate) mod admin;
pub(crate) mod audit;
pub(crate) mod check;
pub(crate) mod gate;
pub(crate) mod gen_key;
pub(crate) mod gen_secret;
pub(crate) mod key;
pub(crate) mod probe;
pub(crate) mod scan;
pub(crate) mod serve;
pub(crate) mod token;
pub(crate) mod web_page;
