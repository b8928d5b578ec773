//! Compresses the bundled word lists so they ship inside the binary at about
//! a third of their size; `strength::lists` inflates them on first use.

use std::path::Path;
use std::{env, fs};

const LISTS: [&str; 2] = ["wallarm-jwt-secrets.txt", "common-words.txt"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    #[allow(clippy::disallowed_methods)] // cargo hands build scripts their output directory here
    let out_dir = env::var("OUT_DIR")?;
    for name in LISTS {
        let source = Path::new("data").join(name);
        println!("cargo:rerun-if-changed={}", source.display());
        let text = fs::read(&source)?;
        let compressed = miniz_oxide::deflate::compress_to_vec(&text, 9);
        fs::write(
            Path::new(&out_dir).join(format!("{name}.deflate")),
            compressed,
        )?;
    }
    Ok(())
}
