//! Which credentials a command uses, and the connection built from them, with the token
//! store that lets one run reuse the token of the last.
//!
//! In order: `--sandbox` (a sandbox in this process, its demo account); `--profile NAME` (or
//! `INFOBIP_PROFILE`); the `INFOBIP_*` variables when `INFOBIP_BASE_URL` is set; the default
//! profile.

use std::collections::HashMap;
use std::time::Duration;

use infobip_auth::store::EncryptionKey;
use infobip_auth::{ClientBuilder, Infobip, Scheme};
use infobip_sandbox::{Sandbox, SandboxConfig, DEMO_PASSWORD, DEMO_USERNAME};
use secrecy::{ExposeSecret as _, SecretString};

use crate::config::{Config, Profile, SchemeChoice};
use crate::failure::{Failure, Kind};
use crate::file_store::{load_or_create_key, FileStore};

/// Where the credentials came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A profile saved by `infobip login`.
    Profile(String),
    /// The `INFOBIP_*` variables.
    Environment,
    /// The demo account of a sandbox started for this command.
    Sandbox,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Profile(name) => write!(f, "profile `{name}`"),
            Source::Environment => f.write_str("the INFOBIP_* variables"),
            Source::Sandbox => f.write_str("the sandbox's demo account (--sandbox)"),
        }
    }
}

/// A connection and what it was made from.
pub struct Session {
    /// The connection every command's calls go through.
    pub infobip: Infobip,
    /// Where its credentials came from.
    pub source: Source,
    /// The base URL.
    pub base_url: String,
    /// The user, for every scheme but an API key.
    pub username: Option<String>,
    /// The token store, when the scheme has tokens to keep.
    pub store: Option<FileStore>,
    /// The sandbox of `--sandbox`, which lives as long as the command.
    _sandbox: Option<Sandbox>,
}

impl Session {
    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.infobip.scheme()
    }
}

/// The settings a profile or the environment gives, as `INFOBIP_*` variables, so that both
/// are read (and checked) by the auth crate's one reader.
type Variables = HashMap<&'static str, String>;

/// Connects with the credentials the command line and environment select.
pub async fn connect(
    config: &Config,
    profile: Option<&str>,
    sandbox: bool,
) -> Result<Session, Failure> {
    if sandbox {
        return connect_sandbox().await;
    }
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let (source, variables) = match selected_profile(config, profile)? {
        Some(name) => (
            Source::Profile(name.clone()),
            profile_variables(config, &name)?,
        ),
        None => {
            let variables = [
                infobip_auth::env::BASE_URL,
                infobip_auth::env::AUTH,
                infobip_auth::env::API_KEY,
                infobip_auth::env::USERNAME,
                infobip_auth::env::PASSWORD,
                infobip_auth::env::CLIENT_ID,
                infobip_auth::env::CLIENT_SECRET,
            ]
            .into_iter()
            .filter_map(|name| env(name).map(|value| (name, value)))
            .collect();
            (Source::Environment, variables)
        }
    };
    let builder = ClientBuilder::from_env_with(|name| variables.get(name).cloned())
        .map_err(|e| configuration(&source, &e.to_string()))?;
    let username = variables
        .get(infobip_auth::env::CLIENT_ID)
        .or_else(|| variables.get(infobip_auth::env::USERNAME))
        .cloned();
    let (infobip, store) = with_store(config, builder)?;
    let infobip = infobip.map_err(|e| configuration(&source, &e.to_string()))?;
    Ok(Session {
        base_url: infobip_client::Connection::base_url(&infobip).to_owned(),
        infobip,
        source,
        username,
        store,
        _sandbox: None,
    })
}

/// The connection of `builder`, sharing its tokens through the file store when its scheme
/// has tokens (Basic and API key never open it, so that a store that cannot be used does
/// not stop them).
#[allow(clippy::type_complexity)]
fn with_store(
    config: &Config,
    builder: ClientBuilder,
) -> Result<
    (
        Result<Infobip, infobip_auth::error::ConfigError>,
        Option<FileStore>,
    ),
    Failure,
> {
    if !matches!(builder.scheme(), Scheme::IbssoTokenHeader | Scheme::OAuth2) {
        return Ok((builder.connect(), None));
    }
    let key = store_key(config)?;
    let store = FileStore::open(config.tokens_path(), &key)
        .map_err(|e| Failure::local(format!("the token store cannot be used: {}", e.reason)))?;
    Ok((shared(builder, store.clone(), key).connect(), Some(store)))
}

/// The profile a command uses without `--sandbox`: `profile` (`--profile`,
/// `INFOBIP_PROFILE`); none when `INFOBIP_BASE_URL` is set (the variables are used); else
/// the default profile.
pub fn selected_profile(config: &Config, profile: Option<&str>) -> Result<Option<String>, Failure> {
    if let Some(name) = profile {
        return Ok(Some(name.to_owned()));
    }
    let from_env = std::env::var(infobip_auth::env::BASE_URL).is_ok_and(|v| !v.is_empty());
    if from_env {
        return Ok(None);
    }
    match config.profiles()?.default {
        Some(name) => Ok(Some(name)),
        None => Err(not_signed_in()),
    }
}

fn not_signed_in() -> Failure {
    Failure::new(Kind::Auth, "not signed in: no profile and no INFOBIP_BASE_URL").hint(
        "sign in with `infobip login --base-url https://<subdomain>.api.infobip.com --username <user>`, \
         set the INFOBIP_* variables, or try it without an account: `infobip --sandbox whoami`",
    )
}

fn configuration(source: &Source, reason: &str) -> Failure {
    let hint = match source {
        Source::Profile(name) => format!("sign in again: `infobip login --profile {name} ...`"),
        Source::Environment => String::from("fix the INFOBIP_* variables"),
        Source::Sandbox => String::from("report this: the sandbox's settings should always work"),
    };
    // A configuration that cannot be used (a base URL that is no URL, a missing variable):
    // nothing was sent, and `--help` lists the configuration under exit code 1.
    Failure::new(
        Kind::Local,
        format!("the settings of {source} cannot be used: {reason}"),
    )
    .hint(hint)
}

/// A profile as the `INFOBIP_*` variables it stands for.
fn profile_variables(config: &Config, name: &str) -> Result<Variables, Failure> {
    let profiles = config.profiles()?;
    let profile = profiles
        .profiles
        .get(name)
        .ok_or_else(|| crate::config::unknown_profile(name, &profiles))?;
    let secret = config.secret(name, profile)?;
    Ok(variables_of(profile, &secret))
}

/// The variables of `profile` with its `secret`.
pub fn variables_of(profile: &Profile, secret: &SecretString) -> Variables {
    let mut variables = Variables::new();
    variables.insert(infobip_auth::env::BASE_URL, profile.base_url.clone());
    variables.insert(
        infobip_auth::env::AUTH,
        profile.scheme.env_value().to_owned(),
    );
    let secret = secret.expose_secret().to_owned();
    match profile.scheme {
        SchemeChoice::ApiKey => {
            variables.insert(infobip_auth::env::API_KEY, secret);
        }
        _ => {
            if let Some(user) = &profile.username {
                variables.insert(infobip_auth::env::USERNAME, user.clone());
            }
            variables.insert(infobip_auth::env::PASSWORD, secret);
        }
    }
    variables
}

/// Builds a connection from `profile` and `secret`, with the token store (for `login`).
pub fn connect_profile(
    config: &Config,
    name: &str,
    profile: &Profile,
    secret: &SecretString,
) -> Result<Session, Failure> {
    let variables = variables_of(profile, secret);
    let source = Source::Profile(name.to_owned());
    let builder = ClientBuilder::from_env_with(|var| variables.get(var).cloned())
        .map_err(|e| Failure::usage(format!("these credentials cannot be used: {e}")))?;
    let (infobip, store) = with_store(config, builder)?;
    let infobip =
        infobip.map_err(|e| Failure::usage(format!("these credentials cannot be used: {e}")))?;
    Ok(Session {
        base_url: infobip_client::Connection::base_url(&infobip).to_owned(),
        infobip,
        source,
        username: profile.username.clone(),
        store,
        _sandbox: None,
    })
}

/// A connection for a one-off API key (`api-key rotate` trying the new key), without a store.
pub fn connect_api_key(base_url: &str, key: &str) -> Result<Infobip, Failure> {
    ClientBuilder::api_key(key)
        .base_url(base_url)
        .connect()
        .map_err(|e| Failure::local(format!("the new key cannot be used: {e}")))
}

/// A sandbox in this process and its demo account, with the scheme of `INFOBIP_AUTH`
/// (OAuth 2.0 if unset; `api-key` makes a key with every scope). Nothing is stored: the
/// sandbox ends with the command.
async fn connect_sandbox() -> Result<Session, Failure> {
    let sandbox = Sandbox::start(SandboxConfig::default())
        .await
        .map_err(|e| Failure::local(format!("the sandbox cannot start: {e}")))?;
    let base_url = sandbox.base_url().to_owned();
    let scheme = std::env::var(infobip_auth::env::AUTH)
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| String::from("oauth2"));
    let builder = match scheme.to_ascii_lowercase().as_str() {
        "basic" => ClientBuilder::basic(DEMO_USERNAME, DEMO_PASSWORD),
        "ibsso" | "session" => ClientBuilder::ibsso(DEMO_USERNAME, DEMO_PASSWORD),
        "oauth2" | "oauth" => ClientBuilder::oauth2(DEMO_USERNAME, DEMO_PASSWORD),
        "api-key" | "apikey" | "app" => ClientBuilder::api_key(sandbox_key(&sandbox)?),
        _ => {
            return Err(Failure::usage(
                "with --sandbox, INFOBIP_AUTH may be basic, ibsso, oauth2 or api-key",
            ))
        }
    };
    let infobip = builder
        .base_url(&base_url)
        .connect()
        .map_err(|e| Failure::local(format!("the sandbox's connection failed: {e}")))?;
    Ok(Session {
        infobip,
        source: Source::Sandbox,
        base_url,
        username: Some(DEMO_USERNAME.to_owned()),
        store: None,
        _sandbox: Some(sandbox),
    })
}

/// A key of the sandbox's demo account with every API scope the catalogue names, so that
/// `INFOBIP_AUTH=api-key infobip --sandbox ...` reaches the operations that take only keys.
fn sandbox_key(sandbox: &Sandbox) -> Result<String, Failure> {
    let scopes: std::collections::BTreeSet<&str> = crate::generated::products()
        .into_iter()
        .flat_map(|(_, operations)| operations.iter().flat_map(|o| o.scopes.iter().copied()))
        .collect();
    let request = serde_json::json!({"name": "infobip --sandbox", "scopeGuids": scopes});
    let key = sandbox
        .create_api_key(DEMO_USERNAME, request)
        .map_err(|e| Failure::local(format!("the sandbox refused a key: {e}")))?;
    Ok(key.secret.expose_secret().to_owned())
}

/// `builder` sharing its tokens through the file store. Its calls may wait for other
/// processes' turns with the file (eight commands started at once, say): a command line
/// can wait a few seconds, so the store is given them rather than bypassed after the
/// default second (which would make every process fetch its own token).
fn shared(builder: ClientBuilder, store: FileStore, key: EncryptionKey) -> ClientBuilder {
    builder
        .token_store(store, key)
        .store_timeout(Duration::from_secs(5))
        .store_lease(Duration::from_secs(15))
}

/// The token store's key: from the OS keyring when it has one (feature `keyring`), else
/// from the 0600 key file beside the store, created on first use.
fn store_key(config: &Config) -> Result<EncryptionKey, Failure> {
    config.check_dir()?;
    let path = config.key_path();
    if !path.exists() {
        // A keyring that cannot be reached (no Secret Service on a headless machine) is no
        // keyring: the key file serves. At worst a key kept there is not found, and the
        // cached tokens are fetched again.
        let kept = crate::keyring::load_entry(crate::keyring::STORE_KEY)
            .ok()
            .flatten();
        if let Some(key) = kept {
            return EncryptionKey::from_base64(secrecy::ExposeSecret::expose_secret(&key)).map_err(
                |e| Failure::local(format!("the keyring's token store key {}", e.reason)),
            );
        }
        if let Some(key) = new_keyring_key() {
            return Ok(key);
        }
    }
    load_or_create_key(&path).map_err(|e| {
        Failure::local(format!(
            "the token store's key cannot be used: {}",
            e.reason
        ))
    })
}

/// A new key kept in the keyring, if there is one that takes it.
#[cfg(feature = "keyring")]
fn new_keyring_key() -> Option<EncryptionKey> {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).ok()?;
    let encoded = SecretString::from(base64::engine::general_purpose::STANDARD.encode(bytes));
    crate::keyring::store_entry(crate::keyring::STORE_KEY, &encoded)
        .then(|| EncryptionKey::from_bytes(bytes))
}

#[cfg(not(feature = "keyring"))]
fn new_keyring_key() -> Option<EncryptionKey> {
    None
}
