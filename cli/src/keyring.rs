//! The OS keyring, where there is one (feature `keyring`): Secret Service on Linux, the
//! Keychain on macOS, the Credential Manager on Windows. Without the feature, or when the
//! keyring cannot be reached (a headless Linux without a Secret Service daemon), secrets go
//! to 0600 files instead (see [`config`](crate::config)).

use secrecy::SecretString;

use crate::failure::Failure;

/// The keyring entries' service name.
#[cfg(feature = "keyring")]
const SERVICE: &str = "infobip-cli";

/// The entry of the token store's key.
pub const STORE_KEY: &str = "token-store-key";

/// Stores `secret` as `name`'s profile secret; whether the keyring took it.
pub fn store(name: &str, secret: &SecretString) -> bool {
    store_entry(&format!("profile:{name}"), secret)
}

/// `name`'s profile secret, if the keyring holds it.
pub fn load(name: &str) -> Result<Option<SecretString>, Failure> {
    load_entry(&format!("profile:{name}"))
}

/// Forgets `name`'s profile secret; whether the keyring held one.
pub fn forget(name: &str) -> Result<bool, Failure> {
    forget_entry(&format!("profile:{name}"))
}

/// Forgets the secret under `account`; whether there was one.
#[cfg(feature = "keyring")]
pub fn forget_entry(account: &str) -> Result<bool, Failure> {
    let entry = keyring::Entry::new(SERVICE, account)
        .map_err(|e| Failure::local(format!("the OS keyring cannot be used ({e})")))?;
    match entry.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        // No keyring at all (a headless Linux): nothing can be in it.
        Err(keyring::Error::PlatformFailure(_) | keyring::Error::NoStorageAccess(_)) => Ok(false),
        Err(e) => Err(
            Failure::local(format!("the OS keyring's entry cannot be removed ({e})"))
                .hint("unlock the keyring and try again"),
        ),
    }
}

/// Without the `keyring` feature there is no keyring: nothing to forget.
#[cfg(not(feature = "keyring"))]
pub fn forget_entry(_: &str) -> Result<bool, Failure> {
    Ok(false)
}

/// Stores `secret` under `account`; whether the keyring took it.
#[cfg(feature = "keyring")]
pub fn store_entry(account: &str, secret: &SecretString) -> bool {
    use secrecy::ExposeSecret as _;
    let stored = keyring::Entry::new(SERVICE, account)
        .and_then(|entry| entry.set_password(secret.expose_secret()));
    match stored {
        Ok(()) => true,
        Err(error) => {
            tracing::debug!(%error, "the OS keyring is not available; using a 0600 file");
            false
        }
    }
}

/// The secret under `account`, if any.
#[cfg(feature = "keyring")]
pub fn load_entry(account: &str) -> Result<Option<SecretString>, Failure> {
    let entry = keyring::Entry::new(SERVICE, account)
        .map_err(|e| Failure::local(format!("the OS keyring cannot be used ({e})")))?;
    match entry.get_password() {
        Ok(secret) => Ok(Some(SecretString::from(secret))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(
            Failure::local(format!("the OS keyring cannot be read ({e})"))
                .hint("unlock the keyring, or `infobip login` again"),
        ),
    }
}

/// Without the `keyring` feature there is no keyring: never stored.
#[cfg(not(feature = "keyring"))]
pub fn store_entry(_: &str, _: &SecretString) -> bool {
    false
}

/// Without the `keyring` feature there is no keyring: nothing in it.
#[cfg(not(feature = "keyring"))]
pub fn load_entry(_: &str) -> Result<Option<SecretString>, Failure> {
    Ok(None)
}
