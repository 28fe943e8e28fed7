//! Files and directories only their owner may use: where the command line keeps its
//! credentials, and the file store its tokens and key. One place decides what "private" means, how a
//! file is written whole or not at all, and what a refusal says.
//!
//! On other systems than Unix, files take the permissions of their directory and the checks
//! pass.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Why a file or directory that should be private is not used.
#[derive(Debug, thiserror::Error)]
pub enum NotPrivate {
    /// Its permissions could not be read.
    #[error("{} cannot be read ({source})", path.display())]
    Unreadable {
        /// The file or directory.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// Others than its owner may read or write it (a file), or write in it (a directory).
    #[error(
        "{} can be {} by others than its owner (mode {mode:03o}); run `{}`",
        path.display(),
        if *.directory { "written in" } else { "read or written" },
        self.chmod()
    )]
    Exposed {
        /// The file or directory.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
        /// Whether it is a directory.
        directory: bool,
    },
}

impl NotPrivate {
    /// The command that makes it private (empty for [`NotPrivate::Unreadable`]).
    pub fn chmod(&self) -> String {
        match self {
            NotPrivate::Exposed {
                path, directory, ..
            } => format!(
                "chmod {} {}",
                if *directory { "700" } else { "600" },
                path.display()
            ),
            NotPrivate::Unreadable { .. } => String::new(),
        }
    }
}

/// Refuses a file that others than its owner may read or write. A missing file passes: it
/// is created private.
pub fn check_file(path: &Path) -> Result<(), NotPrivate> {
    check(path, 0o077, false)
}

/// Refuses a directory that others than its owner may write in: they could put their own
/// files in it, or files where ours are written. A missing directory passes.
pub fn check_dir(dir: &Path) -> Result<(), NotPrivate> {
    check(dir, 0o022, true)
}

fn check(path: &Path, forbidden: u32, directory: bool) -> Result<(), NotPrivate> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = match std::fs::metadata(path) {
            Ok(metadata) => metadata.permissions().mode() & 0o777,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(source) => {
                return Err(NotPrivate::Unreadable {
                    path: path.to_owned(),
                    source,
                })
            }
        };
        if mode & forbidden != 0 {
            return Err(NotPrivate::Exposed {
                path: path.to_owned(),
                mode,
                directory,
            });
        }
    }
    #[cfg(not(unix))]
    let _ = (path, forbidden, directory);
    Ok(())
}

/// Creates `dir` and its missing parents, usable by their owner only (0700 on Unix).
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// Options that create a file readable and writable by its owner only (0600 on Unix).
pub fn options() -> OpenOptions {
    #[allow(unused_mut)]
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
}

/// Whether a write waits for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Flushed to disk before it takes the file's name: what a crash must not lose.
    Synced,
    /// Left to the system: what can be made again (a cache), written under a lock that
    /// others wait for.
    Cached,
}

/// Replaces `path` with `bytes`, readable by its owner only: a new file beside it, under a
/// random name no one could have planted (created exclusively), renamed over the old one, so
/// that a reader never sees half a file.
pub fn replace(path: &Path, bytes: &[u8], durability: Durability) -> std::io::Result<()> {
    temporary_beside(path, bytes, durability)?
        .persist(path)
        .map(drop)
        .map_err(|e| e.error)
}

/// Writes `bytes` to `path` unless a file is there already (another process's, which then
/// stands), readable by its owner only and flushed to disk: the content is whole before it
/// takes the name.
pub fn create_if_absent(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    match temporary_beside(path, bytes, Durability::Synced)?.persist_noclobber(path) {
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other.map(drop).map_err(|e| e.error),
    }
}

/// A private file in `path`'s directory holding `bytes`; removed when dropped unless it is
/// given a name.
fn temporary_beside(
    path: &Path,
    bytes: &[u8],
    durability: Durability,
) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(0o600));
    }
    let mut file = builder.tempfile_in(dir)?;
    file.write_all(bytes)?;
    if durability == Durability::Synced {
        file.as_file().sync_all()?;
    }
    Ok(file)
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn what_is_written_is_private_and_nothing_is_left_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("file");
        replace(&path, b"one", Durability::Cached).unwrap();
        replace(&path, b"two", Durability::Synced).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(mode(&path), 0o600);
        create_if_absent(&path, b"three").unwrap();
        assert_eq!(
            std::fs::read(&path).unwrap(),
            b"two",
            "the first file stands"
        );
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn wide_permissions_are_refused_with_the_chmod_that_fixes_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("file");
        assert!(check_file(&path).is_ok(), "a missing file passes");
        create_if_absent(&path, b"x").unwrap();
        assert!(check_file(&path).is_ok());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let refused = check_file(&path).unwrap_err();
        assert_eq!(refused.chmod(), format!("chmod 600 {}", path.display()));
        assert!(refused.to_string().contains("mode 640"), "{refused}");

        let sub = dir.path().join("a/b");
        create_dir(&sub).unwrap();
        assert_eq!(mode(&sub), 0o700);
        assert!(check_dir(&sub).is_ok());
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(
            check_dir(&sub).is_ok(),
            "others may read a directory, not write in it"
        );
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o777)).unwrap();
        let refused = check_dir(&sub).unwrap_err();
        assert_eq!(refused.chmod(), format!("chmod 700 {}", sub.display()));
    }
}
