//! The Redis [`TokenStore`], for fleets: every replica of a service shares one token.

use std::fmt;
use std::sync::LazyLock;
use std::time::Duration;

use infobip_client::BoxFuture;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;
use tokio::sync::OnceCell;

use super::{StoreError, Stored, TokenStore};
use crate::ConfigError;

/// A [`TokenStore`] on Redis (`redis://` or `rediss://` for TLS, with `user:password@` if the
/// server wants them, and an optional `/db`).
///
/// It connects on first use and reconnects by itself; while Redis is unreachable, clients fall
/// back to their own caches. Values are written encrypted by the client; locks are plain
/// `SET NX PX` keys, released and extended by the compare-then-act scripts.
pub struct RedisStore {
    client: redis::Client,
    connection: OnceCell<ConnectionManager>,
    /// The URL without its password, for `Debug`.
    shown: String,
    timeout: Duration,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("url", &self.shown)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// The value and its TTL read together: a value deleted or replaced between a GET and a
/// PTTL would otherwise be paired with another value's lifetime.
static LOAD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}",
    )
});

static SAVE_IF: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[2]) == ARGV[3] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0",
    )
});

static REMOVE_IF: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0",
    )
});

static EXTEND_IF: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0",
    )
});

impl RedisStore {
    /// A store for the Redis server at `url`. Nothing is connected until first use; a URL
    /// that is not `redis://` or `rediss://` is refused here.
    pub fn open(url: &str) -> Result<Self, ConfigError> {
        Self::open_with_timeout(url, Duration::from_secs(1))
    }

    /// Like [`open`](Self::open), giving up on connecting and on each answer after
    /// `timeout` (the builder passes its `store_timeout`).
    pub fn open_with_timeout(url: &str, timeout: Duration) -> Result<Self, ConfigError> {
        let fail = |reason: String| ConfigError {
            field: "token_store",
            reason,
        };
        let parsed = reqwest::Url::parse(url.trim()).map_err(|_| {
            fail(String::from(
                "is not a URL; expected redis://[user:password@]host[:port][/db] or rediss://...",
            ))
        })?;
        if !matches!(parsed.scheme(), "redis" | "rediss") {
            return Err(fail(format!(
                "has the scheme `{}`; expected redis:// or rediss:// (TLS)",
                parsed.scheme().chars().take(16).collect::<String>()
            )));
        }
        let mut shown = parsed.clone();
        if shown.password().is_some() {
            let _ = shown.set_password(Some("[redacted]"));
        }
        let client = redis::Client::open(url.trim()).map_err(|e| {
            fail(format!(
                "is not a Redis URL the client accepts ({:?})",
                e.kind()
            ))
        })?;
        Ok(Self {
            client,
            connection: OnceCell::new(),
            shown: shown.to_string(),
            timeout,
        })
    }

    async fn connection(&self) -> Result<ConnectionManager, StoreError> {
        self.connection
            .get_or_try_init(|| async {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(self.timeout))
                    .set_response_timeout(Some(self.timeout))
                    // The client bounds and retries each call itself; a manager that kept
                    // reconnecting would only hold calls up while Redis is down.
                    .set_number_of_retries(1)
                    .set_max_delay(Duration::from_millis(100));
                ConnectionManager::new_lazy_with_config(self.client.clone(), config)
                    .map_err(|e| failed(&e))
            })
            .await
            .cloned()
    }
}

impl RedisStore {
    /// Runs a script on the shared connection. The scripts are statics, so each one's SHA-1
    /// is computed once; Redis runs it by hash after the first call.
    async fn run<T: redis::FromRedisValue>(
        &self,
        script: redis::ScriptInvocation<'_>,
    ) -> Result<T, StoreError> {
        let mut conn = self.connection().await?;
        script.invoke_async(&mut conn).await.map_err(|e| failed(&e))
    }
}

/// Redis errors name the command and the server's answer, never the values sent.
fn failed(error: &redis::RedisError) -> StoreError {
    StoreError::new(format!("redis: {error}"))
}

fn millis(ttl: Duration) -> u64 {
    // Redis refuses an expiry of 0.
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl TokenStore for RedisStore {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>, StoreError>> {
        Box::pin(async move {
            let (value, ttl): (Option<Vec<u8>>, i64) = self.run(LOAD.key(key)).await?;
            Ok(value.map(|value| Stored {
                value,
                // -1: no expiry (never written by this crate).
                ttl: u64::try_from(ttl).ok().map(Duration::from_millis),
            }))
        })
    }

    fn insert_if_absent<'a>(
        &'a self,
        key: &'a str,
        value: &'a [u8],
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let mut conn = self.connection().await?;
            let taken: Option<String> = redis::cmd("SET")
                .arg(key)
                .arg(value)
                .arg("NX")
                .arg("PX")
                .arg(millis(ttl))
                .query_async(&mut conn)
                .await
                .map_err(|e| failed(&e))?;
            Ok(taken.is_some())
        })
    }

    fn save_if<'a>(
        &'a self,
        key: &'a str,
        value: Vec<u8>,
        ttl: Duration,
        guard: &'a str,
        expected: &'a [u8],
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let mut script = SAVE_IF.key(key);
            script.key(guard).arg(value).arg(millis(ttl)).arg(expected);
            Ok(self.run::<i64>(script).await? == 1)
        })
    }

    fn remove_if<'a>(
        &'a self,
        key: &'a str,
        expected: &'a [u8],
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let mut script = REMOVE_IF.key(key);
            script.arg(expected);
            Ok(self.run::<i64>(script).await? == 1)
        })
    }

    fn extend_if<'a>(
        &'a self,
        key: &'a str,
        expected: &'a [u8],
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let mut script = EXTEND_IF.key(key);
            script.arg(expected).arg(millis(ttl));
            Ok(self.run::<i64>(script).await? == 1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_passwords_never_shown() {
        let store = RedisStore::open("redis://:hunter2-S3CRET@127.0.0.1:6390/2").unwrap();
        let shown = format!("{store:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("127.0.0.1:6390/2"), "{shown}");
        assert!(RedisStore::open("rediss://cache.example.com").is_ok());
        let e = RedisStore::open("http://cache.example.com")
            .unwrap_err()
            .to_string();
        assert!(e.contains("token_store") && e.contains("redis://"), "{e}");
        let e = RedisStore::open("not a url :hunter2")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("hunter2"), "{e}");
    }
}
