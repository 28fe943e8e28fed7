//! [`RedisDedup`]: the duplicate store that the replicas of a service share.

use std::fmt;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::dedup::{Claimed, DedupError, DedupStore, EventKey, LONGEST};
use crate::BoxFuture;

/// The default [`RedisDedup::prefix`].
pub const DEFAULT_PREFIX: &str = "infobip:webhook:";

/// Marks a key in flight.
const PENDING: &str = "pending";
/// Marks a key handled.
const DONE: &str = "done";
/// Deletes `KEYS[1]` if it holds `ARGV[1]`.
const DELETE_IF: &str =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

/// A [`DedupStore`] on Redis (or Valkey), shared by every replica of a service, so that a
/// redelivery reaching another replica is dropped too.
///
/// Each event is one key, `prefix` + [`EventKey`] (a SHA-256: no payload data is stored):
/// - claim: `SET key pending NX PX lease`; when the key exists, `GET` tells a handled event
///   (`done`, [`Claimed::Seen`]) from one in flight (`pending`, [`Claimed::InFlight`]);
/// - confirm: `SET key done PX window`;
/// - release: `DEL key` if it holds `pending` (a script, so that a key another delivery
///   confirmed since is kept).
///
/// A lease that ends while its handler still runs lets another delivery claim the event: set
/// the receiver's lease above the handler's longest run.
#[derive(Clone)]
pub struct RedisDedup {
    connection: ConnectionManager,
    prefix: String,
}

impl fmt::Debug for RedisDedup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisDedup")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn unavailable(e: &redis::RedisError) -> DedupError {
    // The kind and the server's code only: a URL with a password is never shown.
    DedupError::Unavailable(format!(
        "Redis: {:?}{}",
        e.kind(),
        e.code().map(|c| format!(" {c}")).unwrap_or_default()
    ))
}

/// `duration` in milliseconds for `PX`: at least 1, at most [`LONGEST`] (Redis refuses an
/// expiry past its clock's range).
fn millis(duration: Duration) -> u64 {
    crate::time::millis(duration.min(LONGEST)).max(1)
}

impl RedisDedup {
    /// A store on the connection `connection` (cloned per call, as a
    /// [`ConnectionManager`] is meant to be).
    pub fn new(connection: ConnectionManager) -> Self {
        Self {
            connection,
            prefix: DEFAULT_PREFIX.to_owned(),
        }
    }

    /// A store on the Redis server at `url` (`redis://`, `rediss://` for TLS, with
    /// `user:password@` if the server wants them). Nothing is connected until first use; a URL
    /// the client does not accept is refused here.
    pub fn open(url: &str) -> Result<Self, DedupError> {
        let client = redis::Client::open(url.trim()).map_err(|e| {
            DedupError::Unavailable(format!(
                "not a Redis URL the client accepts ({:?})",
                e.kind()
            ))
        })?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)));
        let connection =
            ConnectionManager::new_lazy_with_config(client, config).map_err(|e| unavailable(&e))?;
        Ok(Self::new(connection))
    }

    /// Names every key `prefix` + the event's key (`infobip:webhook:` by default).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    fn key(&self, key: &EventKey) -> String {
        format!("{}{}", self.prefix, key.as_str())
    }

    async fn claim_key(&self, key: &EventKey, lease: Duration) -> Result<Claimed, DedupError> {
        let mut connection = self.connection.clone();
        let name = self.key(key);
        let lease_ms = millis(lease);
        // A key that expires between the SET and the GET is claimed again.
        for _ in 0..3 {
            let set: Option<String> = redis::cmd("SET")
                .arg(&name)
                .arg(PENDING)
                .arg("NX")
                .arg("PX")
                .arg(lease_ms)
                .query_async(&mut connection)
                .await
                .map_err(|e| unavailable(&e))?;
            if set.is_some() {
                return Ok(Claimed::Claimed);
            }
            let value: Option<String> = redis::cmd("GET")
                .arg(&name)
                .query_async(&mut connection)
                .await
                .map_err(|e| unavailable(&e))?;
            match value.as_deref() {
                Some(DONE) => return Ok(Claimed::Seen),
                Some(_) => return Ok(Claimed::InFlight),
                None => continue,
            }
        }
        Ok(Claimed::InFlight)
    }
}

impl DedupStore for RedisDedup {
    fn claim<'a>(
        &'a self,
        key: &'a EventKey,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claimed, DedupError>> {
        Box::pin(self.claim_key(key, lease))
    }

    fn confirm<'a>(
        &'a self,
        key: &'a EventKey,
        window: Duration,
    ) -> BoxFuture<'a, Result<(), DedupError>> {
        Box::pin(async move {
            let mut connection = self.connection.clone();
            let window_ms = millis(window);
            redis::cmd("SET")
                .arg(self.key(key))
                .arg(DONE)
                .arg("PX")
                .arg(window_ms)
                .query_async::<()>(&mut connection)
                .await
                .map_err(|e| unavailable(&e))
        })
    }

    fn release<'a>(&'a self, key: &'a EventKey) -> BoxFuture<'a, Result<(), DedupError>> {
        Box::pin(async move {
            let mut connection = self.connection.clone();
            redis::cmd("EVAL")
                .arg(DELETE_IF)
                .arg(1)
                .arg(self.key(key))
                .arg(PENDING)
                .query_async::<()>(&mut connection)
                .await
                .map_err(|e| unavailable(&e))
        })
    }
}
