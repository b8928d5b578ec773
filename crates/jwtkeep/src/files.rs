//! Writing files that hold secrets: created 0600, written whole or not at all.

use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context as _, Result};

/// Permissions of a file holding secret material.
pub(crate) const SECRET_FILE_MODE: u32 = 0o600;
/// Permissions of a file holding only public material.
pub(crate) const PUBLIC_FILE_MODE: u32 = 0o644;

/// Replaces (or creates) `path` with `contents` atomically: a temporary file
/// with `mode` beside it is written, flushed to disk and renamed over `path`,
/// so a crash leaves either the old file or the new one, never half of either.
pub(crate) fn write_atomic(path: &Path, contents: &[u8], mode: u32) -> Result<()> {
    let dir = parent_dir(path);
    let name = path
        .file_name()
        .with_context(|| format!("{} is not a file path", path.display()))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".jwtkeep-{}.tmp", std::process::id()));
    let tmp = dir.join(tmp_name);
    let result = (|| -> Result<()> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)
            .with_context(|| format!("cannot create a file in {}", dir.display()))?;
        // The umask may have narrowed the mode; set it exactly.
        file.set_permissions(fs::Permissions::from_mode(mode))?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))?;
        if let Ok(dir_handle) = fs::File::open(&dir) {
            let _ = dir_handle.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Creates `path` with `contents` and `mode`; refuses to replace an existing
/// file unless `overwrite`.
pub(crate) fn write_new(path: &Path, contents: &[u8], mode: u32, overwrite: bool) -> Result<()> {
    if !overwrite && path.exists() {
        bail!(
            "{} already exists: pass --force to replace it",
            path.display()
        );
    }
    write_atomic(path, contents, mode)
}

/// Creates a directory for key material (0700) if it does not exist.
/// Refuses a file holding a secret that others than its owner may read.
pub(crate) fn refuse_readable_by_others(path: &Path) -> Result<()> {
    let mode = fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        bail!(
            "{} is readable by others (mode {:o}): run `chmod 600 {}`",
            path.display(),
            mode & 0o777,
            path.display()
        );
    }
    Ok(())
}

pub(crate) fn ensure_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create directory {}", dir.display()))
}

/// The service's data directory: created 0700, or tightened to 0700 when it
/// exists looser (it holds the master key), with a `.gitignore` of `*` so
/// that a data directory inside a work tree is never committed.
pub(crate) fn ensure_data_dir(dir: &Path) -> Result<()> {
    ensure_private_dir(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).with_context(|| {
                format!(
                    "{} is open to others (mode {:o}) and cannot be tightened: run `chmod 700 {}`",
                    dir.display(),
                    mode & 0o777,
                    dir.display()
                )
            })?;
            crate::output::note(&format!(
                "tightened {} to 0700 (it was {:o}): it holds the master key",
                dir.display(),
                mode & 0o777
            ));
        }
    }
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        fs::write(&ignore, "# jwtkeep's state: never commit it.\n*\n")
            .with_context(|| format!("cannot write {}", ignore.display()))?;
    }
    Ok(())
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Whether git would ignore `path`: `Some(true)` ignored, `Some(false)` not
/// ignored, `None` when there is no git or no repository to ask.
pub(crate) fn git_ignored(path: &Path) -> Option<bool> {
    let dir = parent_dir(path);
    let name = path.file_name()?;
    let status = Command::new("git")
        .arg("-C")
        .arg(&dir)
        .arg("check-ignore")
        .arg("-q")
        .arg(name)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    match status.code() {
        Some(0) => Some(true),
        Some(1) => Some(false),
        _ => None,
    }
}

/// The patterns `--gitignore` makes sure are present.
pub(crate) const GITIGNORE_PATTERNS: [&str; 4] = [".env*", "!.env.example", "*.pem", "*.key"];

/// Adds the missing [`GITIGNORE_PATTERNS`] to the `.gitignore` at the top of
/// the repository holding `near` (or beside it outside a repository).
/// Returns the file and the patterns added.
pub(crate) fn add_to_gitignore(near: &Path) -> Result<(PathBuf, Vec<&'static str>)> {
    let dir = parent_dir(near);
    let top = Command::new("git")
        .arg("-C")
        .arg(&dir)
        .args(["rev-parse", "--show-toplevel"])
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| PathBuf::from(s.trim_end()))
        .unwrap_or(dir);
    let path = top.join(".gitignore");
    let existing = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let present: Vec<&str> = existing.lines().map(str::trim).collect();
    let missing: Vec<&'static str> = GITIGNORE_PATTERNS
        .into_iter()
        .filter(|p| !present.contains(p))
        .collect();
    if !missing.is_empty() {
        let mut text = existing.clone();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str("# secrets and keys (added by jwtkeep)\n");
        for p in &missing {
            text.push_str(p);
            text.push('\n');
        }
        write_atomic(&path, text.as_bytes(), PUBLIC_FILE_MODE)?;
    }
    Ok((path, missing))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_creates_0600_and_replaces_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        write_atomic(&path, b"A=1\n", SECRET_FILE_MODE).unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        write_atomic(&path, b"A=2\n", SECRET_FILE_MODE).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "A=2\n");
        // no temporary files left behind
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn write_new_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.pem");
        write_new(&path, b"x", SECRET_FILE_MODE, false).unwrap();
        let err = write_new(&path, b"y", SECRET_FILE_MODE, false).unwrap_err();
        assert!(err.to_string().contains("--force"));
        write_new(&path, b"y", SECRET_FILE_MODE, true).unwrap();
    }
}
