//! Where the command line keeps what it remembers: profiles (base URL, scheme, user), their
//! secrets, and the token store with its key.
//!
//! Everything lives in one directory: `INFOBIP_CONFIG_DIR` if set, else the platform's
//! configuration directory (`~/.config/infobip` on Linux, `~/Library/Application
//! Support/com.infobip.infobip` on macOS, `%APPDATA%\infobip\infobip\config` on Windows).
//!
//! | file | holds | |
//! |---|---|---|
//! | `profiles.json` | each profile's base URL, scheme and user, and the default profile | no secret |
//! | `credentials.json` | each profile's password or API key, unless it is in the OS keyring | 0600, refused if wider |
//! | `tokens` | the encrypted token store (OAuth tokens, IBSSO sessions) | 0600 |
//! | `tokens.key` | the store's key, unless it is in the OS keyring | 0600, refused if wider |

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::private_files::{self, Durability, NotPrivate};
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};

use crate::failure::Failure;

/// Overrides the configuration directory (tests use temporary ones).
pub const CONFIG_DIR_VAR: &str = "INFOBIP_CONFIG_DIR";
/// The profile to use when `--profile` is not given.
pub const PROFILE_VAR: &str = "INFOBIP_PROFILE";

/// The configuration directory.
pub fn dir() -> Result<PathBuf, Failure> {
    if let Some(dir) = std::env::var_os(CONFIG_DIR_VAR).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("com", "infobip", "infobip")
        .map(|dirs| dirs.config_dir().to_owned())
        .ok_or_else(|| {
            Failure::local("no home directory to keep the configuration in")
                .hint(format!("set {CONFIG_DIR_VAR} to a directory of your own"))
        })
}

/// How a profile signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum SchemeChoice {
    /// The username and password with every request.
    Basic,
    /// An API key (`App <key>`).
    ApiKey,
    /// An IBSSO session, created once and reused until it idles out.
    Ibsso,
    /// OAuth 2.0 client credentials: a Bearer token, fetched once and reused until it expires.
    Oauth2,
}

impl SchemeChoice {
    /// The choice that signs in with `scheme`.
    pub fn of(scheme: infobip_auth::Scheme) -> Self {
        match scheme {
            infobip_auth::Scheme::Basic => SchemeChoice::Basic,
            infobip_auth::Scheme::ApiKeyHeader => SchemeChoice::ApiKey,
            infobip_auth::Scheme::IbssoTokenHeader => SchemeChoice::Ibsso,
            infobip_auth::Scheme::OAuth2 => SchemeChoice::Oauth2,
        }
    }

    /// The value `INFOBIP_AUTH` takes for it.
    pub fn env_value(self) -> &'static str {
        match self {
            SchemeChoice::Basic => "basic",
            SchemeChoice::ApiKey => "api-key",
            SchemeChoice::Ibsso => "ibsso",
            SchemeChoice::Oauth2 => "oauth2",
        }
    }
}

/// Where a profile's secret is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecretHome {
    /// `credentials.json`.
    File,
    /// The OS keyring.
    Keyring,
}

/// One profile: everything but its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Infobip's base URL.
    pub base_url: String,
    /// How it signs in.
    pub scheme: SchemeChoice,
    /// The username (all schemes but an API key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Where the secret is.
    pub secret_in: SecretHome,
}

/// `profiles.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Profiles {
    /// The profile used without `--profile`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// By name.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// The configuration directory and what it holds.
#[derive(Debug, Clone)]
pub struct Config {
    dir: PathBuf,
}

impl Config {
    /// The configuration in [`dir`].
    pub fn open() -> Result<Self, Failure> {
        Ok(Self { dir: dir()? })
    }

    fn profiles_path(&self) -> PathBuf {
        self.dir.join("profiles.json")
    }

    fn credentials_path(&self) -> PathBuf {
        self.dir.join("credentials.json")
    }

    /// Refuses the directory if others than its owner may write in it.
    pub fn check_dir(&self) -> Result<(), Failure> {
        check_private_dir(&self.dir)
    }

    /// The token store's file.
    pub fn tokens_path(&self) -> PathBuf {
        self.dir.join("tokens")
    }

    /// The token store's key file (when the key is not in the keyring).
    pub fn key_path(&self) -> PathBuf {
        self.dir.join("tokens.key")
    }

    /// The profiles; none if there is no file yet. The file says where each secret is sent,
    /// so one that others may change is refused like a file of secrets.
    pub fn profiles(&self) -> Result<Profiles, Failure> {
        let path = self.profiles_path();
        check_private_dir(&self.dir)?;
        check_private(&path)?;
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                // Never "delete it": it holds every profile, not only the one at hand.
                Failure::local(format!("{} is not a profiles file ({e})", path.display()))
                    .hint("fix it, or move it aside (it holds your other profiles) and `infobip login` again")
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Profiles::default()),
            Err(e) => Err(Failure::local(format!(
                "cannot read {} ({e})",
                path.display()
            ))),
        }
    }

    /// Saves `name` (the default profile too if there is none yet, or if `default`), and its
    /// secret where it is best kept; returns where that is.
    pub fn save(
        &self,
        name: &str,
        mut profile: Profile,
        secret: &SecretString,
        default: bool,
    ) -> Result<SecretHome, Failure> {
        // Two logins at once would each write back what they read, and one of them would be
        // lost: the read-modify-write of both files is one step.
        let _lock = self.lock()?;
        profile.secret_in = if crate::keyring::store(name, secret) {
            self.forget_file_secret(name)?;
            SecretHome::Keyring
        } else {
            let mut secrets = self.file_secrets()?;
            secrets.insert(name.to_owned(), secret.expose_secret().to_owned());
            write_private(&self.credentials_path(), &to_json(&secrets)?)?;
            SecretHome::File
        };
        let mut profiles = self.profiles()?;
        if default || profiles.default.is_none() {
            profiles.default = Some(name.to_owned());
        }
        let home = profile.secret_in;
        profiles.profiles.insert(name.to_owned(), profile);
        write_private(&self.profiles_path(), &to_json(&profiles)?)?;
        Ok(home)
    }

    /// The secret of profile `name`.
    pub fn secret(&self, name: &str, profile: &Profile) -> Result<SecretString, Failure> {
        let missing = || {
            Failure::new(
                crate::failure::Kind::Auth,
                format!("profile `{name}` is signed out: its secret is not saved (`infobip logout` forgets it)"),
            )
            .hint(format!("sign in again: `{}`", login_command(name, profile)))
        };
        match profile.secret_in {
            SecretHome::Keyring => crate::keyring::load(name)?.ok_or_else(missing),
            SecretHome::File => self
                .file_secrets()?
                .remove(name)
                .map(SecretString::from)
                .ok_or_else(missing),
        }
    }

    /// Whether profile `name` has its secret saved (`infobip logout` forgets it).
    pub fn has_secret(&self, name: &str, profile: &Profile) -> Result<bool, Failure> {
        Ok(match profile.secret_in {
            SecretHome::Keyring => crate::keyring::load(name)?.is_some(),
            SecretHome::File => self.file_secrets()?.contains_key(name),
        })
    }

    /// Forgets the secret of profile `name`, wherever it is kept; answers whether there was
    /// one. The profile stays: `infobip login --profile NAME` signs in again.
    pub fn forget_secret(&self, name: &str) -> Result<bool, Failure> {
        let _lock = self.lock()?;
        let in_keyring = crate::keyring::forget(name)?;
        let in_file = self.file_secrets()?.contains_key(name);
        self.forget_file_secret(name)?;
        Ok(in_keyring || in_file)
    }

    /// Makes `name` the default profile.
    pub fn set_default(&self, name: &str) -> Result<(), Failure> {
        let _lock = self.lock()?;
        let mut profiles = self.profiles()?;
        if !profiles.profiles.contains_key(name) {
            return Err(unknown_profile(name, &profiles));
        }
        profiles.default = Some(name.to_owned());
        write_private(&self.profiles_path(), &to_json(&profiles)?)
    }

    /// Removes profile `name` and its secret; answers whether it was the default one (there
    /// is none left then: the next command says so rather than picking another).
    pub fn remove(&self, name: &str) -> Result<bool, Failure> {
        let _lock = self.lock()?;
        let mut profiles = self.profiles()?;
        if profiles.profiles.remove(name).is_none() {
            return Err(unknown_profile(name, &profiles));
        }
        let was_default = profiles.default.as_deref() == Some(name);
        if was_default {
            profiles.default = None;
        }
        // The secret first: a profile left without its secret asks for a login, a secret
        // left without its profile would stay on disk unseen.
        crate::keyring::forget(name)?;
        self.forget_file_secret(name)?;
        write_private(&self.profiles_path(), &to_json(&profiles)?)?;
        Ok(was_default)
    }

    /// Checks, before `login` writes anything, that everything it will write can be:
    /// `profiles.json` and `credentials.json` readable and whole (they hold the other
    /// profiles, which a rewrite must keep), the token store's files private, and the
    /// directory writable. A login that failed half-way would leave a key without a
    /// profile, or a secret without one.
    pub fn check_writable(&self) -> Result<(), Failure> {
        check_private_dir(&self.dir)?;
        self.profiles()?;
        self.file_secrets()?;
        check_private(&self.tokens_path())?;
        check_private(&self.key_path())?;
        check_dir_writable(&self.dir)
    }

    /// Where the secret of a profile kept in a file is.
    pub fn credentials_file(&self) -> PathBuf {
        self.credentials_path()
    }

    /// Holds the configuration's lock until dropped: one writer at a time, across processes.
    fn lock(&self) -> Result<std::fs::File, Failure> {
        let path = self.dir.join("config.lock");
        let fail =
            |e: std::io::Error| Failure::local(format!("cannot lock {} ({e})", path.display()));
        private_files::create_dir(&self.dir).map_err(fail)?;
        check_private_dir(&self.dir)?;
        let file = private_files::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(fail)?;
        // Through the trait: the standard library's own `File::lock` is newer than the
        // workspace's minimum Rust version.
        fs4::FileExt::lock(&file).map_err(fail)?;
        Ok(file)
    }

    fn file_secrets(&self) -> Result<BTreeMap<String, String>, Failure> {
        let path = self.credentials_path();
        check_private_dir(&self.dir)?;
        check_private(&path)?;
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|_| {
                // serde's message could quote part of a secret.
                Failure::local(format!("{} is not a credentials file", path.display()))
                    .hint("fix it, or move it aside (it holds your other profiles' secrets) and `infobip login` again")
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(Failure::local(format!(
                "cannot read {} ({e})",
                path.display()
            ))),
        }
    }

    fn forget_file_secret(&self, name: &str) -> Result<(), Failure> {
        let mut secrets = self.file_secrets()?;
        if secrets.remove(name).is_some() {
            write_private(&self.credentials_path(), &to_json(&secrets)?)?;
        }
        Ok(())
    }
}

/// The `infobip login` that saves `profile` again as `name`.
pub fn login_command(name: &str, profile: &Profile) -> String {
    let mut command = format!(
        "infobip login --profile {name} --base-url {} --scheme {}",
        profile.base_url,
        profile.scheme.env_value()
    );
    if let Some(user) = &profile.username {
        command.push_str(&format!(" --username {user}"));
    }
    command
}

/// A profile that does not exist, naming those that do.
pub fn unknown_profile(name: &str, profiles: &Profiles) -> Failure {
    let known: Vec<&str> = profiles.profiles.keys().map(String::as_str).collect();
    let known = if known.is_empty() {
        String::from("there are none yet")
    } else {
        format!("there are {}", known.join(", "))
    };
    Failure::new(
        crate::failure::Kind::Auth,
        format!("no profile `{name}` ({known})"),
    )
    .hint(format!(
        "create it: `infobip login --profile {name} --base-url ...`; `infobip profile list` shows them"
    ))
}

/// Refuses a directory the process cannot create files in (a read-only mount, another
/// owner's directory). A missing one is checked where it would be created: its nearest
/// existing parent.
fn check_dir_writable(dir: &Path) -> Result<(), Failure> {
    let Some(existing) = dir.ancestors().find(|d| d.exists()) else {
        return Ok(());
    };
    // A file created and removed at once is the only answer every platform gives alike
    // (permission bits say nothing of read-only mounts or ACLs).
    let probe = existing.join(format!(".infobip-write-check.{}", std::process::id()));
    match private_files::options()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(Failure::local(format!(
            "cannot write in {} ({e}); nothing was saved",
            existing.display()
        ))
        .hint(format!(
            "make it writable, or set {CONFIG_DIR_VAR} to a directory of your own"
        ))),
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<String, Failure> {
    serde_json::to_string_pretty(value)
        .map(|text| text + "\n")
        .map_err(|e| Failure::local(format!("cannot encode the configuration ({e})")))
}

/// Refuses a file that others than its owner may read or write, naming the `chmod` to run.
pub fn check_private(path: &Path) -> Result<(), Failure> {
    private_files::check_file(path).map_err(refusal)
}

/// Refuses a configuration directory that others than its owner may write: they could put
/// their own profiles, credentials or key in it, or files where ours are written.
pub fn check_private_dir(dir: &Path) -> Result<(), Failure> {
    private_files::check_dir(dir).map_err(refusal)
}

/// What the command line says of a file or directory that is not private.
fn refusal(error: NotPrivate) -> Failure {
    match &error {
        NotPrivate::Unreadable { path, source } => {
            Failure::local(format!("cannot read {} ({source})", path.display()))
        }
        NotPrivate::Exposed {
            path,
            mode,
            directory,
        } => {
            let exposed = if *directory {
                "keeps secrets but others than you can write in it"
            } else {
                "holds secrets but others than you can read or write it"
            };
            Failure::local(format!(
                "{} {exposed} (mode {mode:03o}); it is not used",
                path.display()
            ))
            .hint(format!("run `{}`", error.chmod()))
        }
    }
}

/// Writes `text` to `path`, readable by its owner only, whole or not at all (see
/// [`private_files::replace`]), in a directory others cannot write in.
pub fn write_private(path: &Path, text: &str) -> Result<(), Failure> {
    let fail = |e: std::io::Error| Failure::local(format!("cannot write {} ({e})", path.display()));
    if let Some(dir) = path.parent() {
        private_files::create_dir(dir).map_err(fail)?;
        check_private_dir(dir)?;
    }
    private_files::replace(path, text.as_bytes(), Durability::Synced).map_err(fail)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn write_private_never_writes_through_a_file_planted_at_its_temporary_name() {
        // Found in review (fixed): the temporary name was predictable and opened without
        // `O_EXCL`.
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        private_files::create_dir(&config).unwrap();
        let path = config.join("credentials.json");
        // The temporary name is predictable (`credentials.<pid>.tmp`): whoever can write the
        // directory (see `secrets_are_not_kept_in_a_directory_others_can_write`) plants a
        // symlink there for each likely process id, pointing at a file they can read.
        let stolen = dir.path().join("stolen");
        std::fs::write(&stolen, "").unwrap();
        let planted = path.with_extension(format!("{}.tmp", std::process::id()));
        std::os::unix::fs::symlink(&stolen, &planted).unwrap();
        let _ = write_private(&path, r#"{"default": "S3CRET-PASSWORD"}"#);
        let leaked = std::fs::read_to_string(&stolen).unwrap();
        assert!(
            !leaked.contains("S3CRET-PASSWORD"),
            "the secret went through the planted symlink into {}",
            stolen.display()
        );
    }
}
