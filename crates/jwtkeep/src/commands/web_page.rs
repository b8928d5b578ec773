//! `jwtkeep gen web-page`: the generator page, written to a file.

use anyhow::Result;

use crate::cli::GenWebPageArgs;
use crate::files;
use crate::output::{self, Outcome};

/// The page, exactly as `web/index.html` holds it (and as `jwtkeep serve` will serve it).
pub(crate) const PAGE: &str = jwtkeep_server::GENERATOR_PAGE;

/// Runs `gen web-page`.
pub(crate) fn run(args: &GenWebPageArgs) -> Result<Outcome> {
    // The page holds no secret: ordinary permissions.
    files::write_new(&args.file, PAGE.as_bytes(), 0o644, args.force)?;
    output::note(&format!(
        "wrote {}: open it in a browser; it generates locally and cannot connect anywhere",
        args.file.display()
    ));
    Ok(Outcome::Clean)
}
