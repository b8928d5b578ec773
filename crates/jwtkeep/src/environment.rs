//! The one place that reads the process environment.

use zeroize::Zeroizing;

/// The value of an environment variable, kept zeroizing because it may be a secret.
/// `None` when unset; an error message when it is not UTF-8.
#[allow(clippy::disallowed_methods)] // this module is the environment's single reader
pub(crate) fn secret_var(name: &str) -> Result<Option<Zeroizing<String>>, String> {
    match std::env::var(name) {
        Ok(value) => Ok(Some(Zeroizing::new(value))),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(format!("environment variable {name} is not valid UTF-8"))
        }
    }
}
