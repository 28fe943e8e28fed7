//! Secrets that change while the service runs: an API key or password read again and again
//! from where it is kept (a file a secrets manager or a Kubernetes secret rewrites, or a
//! callback), so that a rotated secret takes effect without a restart.

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};

use crate::Clock;

/// Where a secret (an API key, a password) is read from, each time the connection checks
/// whether it changed (every [`secret_check_interval`](crate::ClientBuilder::secret_check_interval),
/// and after a 401).
///
/// Reads happen on the task of the call that finds a check due: keep them quick (a file on
/// local disk or a tmpfs, a value already in memory).
pub trait SecretSource: fmt::Debug + Send + Sync + 'static {
    /// The secret as it is now.
    fn read(&self) -> Result<SecretString, SecretSourceError>;
}

/// A [`SecretSource`] that could not be read. Its message names the source, never a secret.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the secret could not be read: {reason}")]
pub struct SecretSourceError {
    reason: String,
}

impl SecretSourceError {
    /// An error with this explanation, which must not contain the secret.
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

/// A secret kept in a file, as Kubernetes mounts a secret or a secrets manager's agent writes
/// one: the whole file, less trailing white space (the newline an editor or `echo` leaves).
#[derive(Debug, Clone)]
pub struct SecretFile {
    path: PathBuf,
}

impl SecretFile {
    /// The secret in the file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }
}

impl SecretSource for SecretFile {
    fn read(&self) -> Result<SecretString, SecretSourceError> {
        let text = std::fs::read_to_string(&self.path).map_err(|e| {
            SecretSourceError::new(format!(
                "cannot read {} ({})",
                self.path.display(),
                e.kind()
            ))
        })?;
        let secret = SecretString::from(text.trim_end());
        drop(zeroize::Zeroizing::new(text));
        Ok(secret)
    }
}

/// A [`SecretSource`] that calls a function (a vault client's cached value, say).
pub struct SecretFn<F>(F);

impl<F> SecretFn<F>
where
    F: Fn() -> Result<SecretString, SecretSourceError> + Send + Sync + 'static,
{
    /// The secret `read` returns.
    pub fn new(read: F) -> Self {
        Self(read)
    }
}

impl<F> fmt::Debug for SecretFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretFn")
    }
}

impl<F> SecretSource for SecretFn<F>
where
    F: Fn() -> Result<SecretString, SecretSourceError> + Send + Sync + 'static,
{
    fn read(&self) -> Result<SecretString, SecretSourceError> {
        (self.0)()
    }
}

/// The runtime side: when to read the source again, and whether what it holds is new.
pub(crate) struct Rotation {
    source: Arc<dyn SecretSource>,
    interval: Duration,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

struct State {
    checked_at: Instant,
    current: SecretString,
}

impl fmt::Debug for Rotation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rotation")
            .field("source", &self.source)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

impl Rotation {
    pub(crate) fn new(
        source: Arc<dyn SecretSource>,
        current: SecretString,
        interval: Duration,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let checked_at = clock.now();
        Self {
            source,
            interval,
            clock,
            state: Mutex::new(State {
                checked_at,
                current,
            }),
        }
    }

    /// What `prepare` makes of the secret, if a check is due (or `force`d), the source holds
    /// a new one and `prepare` accepts it; only then does it become the current secret, so
    /// that a read the connection could not use (a file caught mid-write, empty) leaves the
    /// current one in place, and reading it back later is no change. Another caller checking
    /// at the same moment makes a periodic check skip; a `force`d one (after a 401) waits for
    /// it, then reads the source itself.
    pub(crate) fn changed<T>(
        &self,
        force: bool,
        prepare: impl FnOnce(&SecretString) -> Result<T, crate::ConfigError>,
    ) -> Option<T> {
        let now = self.clock.now();
        let locked = if force {
            self.state.lock().map_err(std::sync::TryLockError::Poisoned)
        } else {
            self.state.try_lock()
        };
        let mut state = match locked {
            Ok(state) => state,
            Err(std::sync::TryLockError::WouldBlock) => return None,
            // Both fields are plain values: a holder that panicked left them consistent.
            Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        };
        if !force && now.saturating_duration_since(state.checked_at) < self.interval {
            return None;
        }
        state.checked_at = now;
        // A source is the caller's code: one that panics (a vault client's bug) must not take
        // the call that checked it down, nor stop the checks that follow.
        let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.source.read()))
            .unwrap_or_else(|_| Err(SecretSourceError::new("the source panicked")));
        let secret = match read {
            Ok(secret) if secret.expose_secret() != state.current.expose_secret() => secret,
            Ok(_) => return None,
            Err(error) => {
                tracing::warn!(error = %error, "keeping the current secret");
                return None;
            }
        };
        match prepare(&secret) {
            Ok(prepared) => {
                state.current = secret;
                Some(prepared)
            }
            Err(error) => {
                tracing::warn!(
                    error = %error,
                    "the secret changed to one that cannot be used; keeping the current one"
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::ManualClock;

    #[test]
    fn a_source_that_panicked_once_is_read_again_afterwards() {
        // Found in review (fixed): `changed` held the state's std mutex while it called the
        // source, so a `SecretFn` that panicked once (a vault client's bug, an `unwrap` on a
        // transient error) poisoned it, and every later check, forced or not, returned `None`
        // without a warning: a rotated key was never picked up. Now a panic counts as an
        // unreadable source (the current secret is kept, with a warning), and the next check
        // reads the source again.
        let reads = Arc::new(AtomicUsize::new(0));
        let source = {
            let reads = reads.clone();
            SecretFn::new(move || match reads.fetch_add(1, Ordering::SeqCst) {
                0 => panic!("the vault client hit a bug"),
                _ => Ok(SecretString::from("new-key")),
            })
        };
        let rotation = Rotation::new(
            Arc::new(source),
            SecretString::from("old-key"),
            Duration::from_secs(10),
            Arc::new(ManualClock::new()),
        );
        let taken = |s: &SecretString| Ok(SecretString::from(s.expose_secret()));
        assert!(
            rotation.changed(true, taken).is_none(),
            "the panic keeps the secret"
        );

        let after = rotation.changed(true, taken);
        assert_eq!(
            after.as_ref().map(|s| s.expose_secret()),
            Some("new-key"),
            "the source was read {} times: the check after the panic did not read it",
            reads.load(Ordering::SeqCst)
        );
    }
}
