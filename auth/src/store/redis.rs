//! The Redis [`TokenStore`], for fleets: every replica of a service shares one token. One
//! server (or a primary behind a proxy), or a Redis Cluster; Valkey alike.

use std::fmt;
use std::sync::LazyLock;
use std::time::Duration;

use infobip_client::BoxFuture;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClient, ClusterClientBuilder, ClusterConfig};
use redis::cluster_async::ClusterConnection;
use redis::{Script, ScriptInvocation};
use tokio::sync::OnceCell;

use super::{Rule, StoreError, Stored, TokenStore};
use crate::clock::millis;
use crate::error::ConfigError;

/// A [`TokenStore`] on Redis or Valkey: one server ([`open`](Self::open)) or a Redis Cluster
/// ([`cluster`](Self::cluster)). URLs are `redis://`, or `rediss://` for TLS (`valkey://` and
/// `valkeys://` alike), with `user:password@` if the server wants them, and for one server an
/// optional `/db`.
///
/// It connects on first use and reconnects by itself (on a cluster, it follows failovers and
/// resharding); while Redis is unreachable, clients fall back to their own caches. Values are
/// written encrypted by the client; locks are plain `SET NX PX` keys, released and extended by
/// the compare-then-act scripts. On a cluster, each script's keys (an entry and its lock) share
/// a hash slot: the client names every key of one credential with the same hash tag.
pub struct RedisStore {
    client: Client,
    connection: OnceCell<Connection>,
    /// The URL, or the cluster's node URLs, without passwords: for `Debug`.
    shown: Vec<String>,
    timeout: Duration,
}

/// One server or a cluster; boxed, their clients being of very different sizes.
enum Client {
    Node(Box<redis::Client>),
    Cluster(Box<ClusterClient>),
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("RedisStore");
        match &self.client {
            Client::Node(_) => debug.field("url", &self.shown.join("")),
            Client::Cluster(_) => debug.field("cluster", &self.shown),
        };
        debug
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

/// `SET NX` as a script, so that every call goes through [`RedisStore::run`].
static INSERT_IF_ABSENT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 1
end
return 0",
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

/// The shortest wait before a cluster call is retried (after a redirect to a node it has not
/// connected to yet, or a connection lost in a failover).
const MIN_RETRY_WAIT_MS: u64 = 10;

const EXPECTED: &str =
    "expected redis://[user:password@]host[:port][/db], rediss:// (TLS), valkey:// or valkeys://";

/// A store URL, checked: it parses, names a host, and has a scheme the client speaks.
struct NodeUrl {
    parsed: reqwest::Url,
    /// Without the password, for `Debug` and errors.
    shown: String,
}

impl NodeUrl {
    /// `what` says which URL is refused (nothing for the one URL, "node 3 " on a cluster),
    /// never quoting it: it may hold a password.
    fn parse(url: &str, what: &str) -> Result<Self, ConfigError> {
        let parsed = reqwest::Url::parse(url.trim())
            .map_err(|_| refused(format!("{what}is not a URL; {EXPECTED}")))?;
        if !matches!(parsed.scheme(), "redis" | "rediss" | "valkey" | "valkeys") {
            return Err(refused(format!(
                "{what}has the scheme `{}`; {EXPECTED}",
                parsed.scheme().chars().take(16).collect::<String>()
            )));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(refused(format!("{what}names no host; {EXPECTED}")));
        }
        Ok(Self {
            shown: infobip_client::redact::redacted_url(&parsed).to_string(),
            parsed,
        })
    }

    fn tls(&self) -> bool {
        matches!(self.parsed.scheme(), "rediss" | "valkeys")
    }
}

fn refused(reason: String) -> ConfigError {
    ConfigError::new("token_store", reason)
}

impl RedisStore {
    /// A store for the Redis server at `url`. Nothing is connected until first use; a URL
    /// that is not `redis://`, `rediss://`, `valkey://` or `valkeys://` is refused here.
    pub fn open(url: &str) -> Result<Self, ConfigError> {
        Self::open_with_timeout(url, Duration::from_secs(1))
    }

    /// Like [`open`](Self::open), giving up on connecting and on each answer after
    /// `timeout` (the builder passes its `store_timeout`).
    pub fn open_with_timeout(url: &str, timeout: Duration) -> Result<Self, ConfigError> {
        let node = NodeUrl::parse(url, "")?;
        let client = redis::Client::open(url.trim()).map_err(|e| {
            refused(format!(
                "is not a Redis URL the client accepts ({:?})",
                e.kind()
            ))
        })?;
        Ok(Self::new(
            Client::Node(Box::new(client)),
            vec![node.shown],
            timeout,
        ))
    }

    /// A store on the Redis Cluster that `nodes` belong to: the URL of one node or more (any
    /// of them; the client learns the others, and which holds what, from the cluster). They
    /// must agree on TLS and on `user:password@`, and name no database other than 0 (a
    /// cluster has no other). Nothing is connected until first use.
    pub fn cluster<I, S>(nodes: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::cluster_with_timeout(nodes, Duration::from_secs(1))
    }

    /// Like [`cluster`](Self::cluster), giving up on connecting and on each answer after
    /// `timeout` (the builder passes its `store_timeout`).
    pub fn cluster_with_timeout<I, S>(nodes: I, timeout: Duration) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let nodes: Vec<S> = nodes.into_iter().collect();
        let checked = nodes
            .iter()
            .enumerate()
            .map(|(i, url)| NodeUrl::parse(url.as_ref(), &format!("node {} ", i + 1)))
            .collect::<Result<Vec<_>, _>>()?;
        let Some(first) = checked.first() else {
            return Err(refused(String::from(
                "is a Redis Cluster without node URLs; give one or more, such as redis://10.0.0.1:6379",
            )));
        };
        for (i, node) in checked.iter().enumerate() {
            let what = format!("node {}", i + 1);
            // The database number in the path, if one is given.
            if !matches!(node.parsed.path().trim_matches('/'), "" | "0") {
                return Err(refused(format!(
                    "{what} names a database; a Redis Cluster has only database 0, so leave the path out"
                )));
            }
            if node.tls() != first.tls() {
                return Err(refused(format!(
                    "{what} and node 1 differ in TLS (rediss:// or valkeys:// against redis:// or valkey://); use the same for every node"
                )));
            }
            if node.parsed.username() != first.parsed.username()
                || node.parsed.password() != first.parsed.password()
            {
                return Err(refused(format!(
                    "{what} and node 1 differ in user or password; give every node the same user:password@ (or none)"
                )));
            }
        }
        // Each call is bounded by `timeout` (here and by the client): retries are quick, so
        // that one redirect or reconnection after a failover fits within it, rather than
        // waiting out the client's default backoff (over a second) while calls fall back.
        let max_retry_wait = millis(timeout / 4);
        let client = ClusterClientBuilder::new(nodes.iter().map(|url| url.as_ref().trim()))
            .connection_timeout(timeout)
            .response_timeout(timeout)
            .retries(3)
            .min_retry_wait(MIN_RETRY_WAIT_MS)
            .max_retry_wait(max_retry_wait.max(MIN_RETRY_WAIT_MS + 1))
            .build()
            .map_err(|e| {
                refused(format!(
                    "is not a Redis Cluster the client accepts ({:?})",
                    e.kind()
                ))
            })?;
        let shown = checked.into_iter().map(|node| node.shown).collect();
        Ok(Self::new(Client::Cluster(Box::new(client)), shown, timeout))
    }

    fn new(client: Client, shown: Vec<String>, timeout: Duration) -> Self {
        Self {
            client,
            connection: OnceCell::new(),
            shown,
            timeout,
        }
    }

    async fn connection(&self) -> Result<Connection, StoreError> {
        let connect = || async {
            let connection = match &self.client {
                Client::Node(client) => {
                    let config = ConnectionManagerConfig::new()
                        .set_connection_timeout(Some(self.timeout))
                        .set_response_timeout(Some(self.timeout))
                        // The client bounds and retries each call itself; a manager that kept
                        // reconnecting would only hold calls up while Redis is down.
                        .set_number_of_retries(1)
                        .set_max_delay(Duration::from_millis(100));
                    ConnectionManager::new_lazy_with_config(client.as_ref().clone(), config)
                        .map(Connection::Node)
                }
                // Connected by the first call that gets through (a cluster connection learns
                // the slots as it connects); until then each call tries again, within its
                // timeout.
                Client::Cluster(client) => {
                    let config = ClusterConfig::new()
                        .set_connection_timeout(self.timeout)
                        .set_response_timeout(self.timeout);
                    let connection = client.get_async_connection_with_config(config).await;
                    connection.map(Connection::Cluster)
                }
            };
            connection.map_err(|e| failed(&e))
        };
        self.connection.get_or_try_init(connect).await.cloned()
    }

    /// Runs a script on the shared connection. The scripts are statics, so each one's SHA-1
    /// is computed once; Redis runs it by hash after the first call.
    async fn run<T: redis::FromRedisValue>(
        &self,
        script: ScriptInvocation<'_>,
    ) -> Result<T, StoreError> {
        let ran = match self.connection().await? {
            Connection::Node(mut node) => script.invoke_async(&mut node).await,
            // Sent to the node that holds its keys' slot.
            Connection::Cluster(mut cluster) => script.invoke_async(&mut cluster).await,
        };
        ran.map_err(|e| failed(&e))
    }
}

/// The connection to one server or to a cluster.
#[derive(Clone)]
enum Connection {
    Node(ConnectionManager),
    Cluster(ClusterConnection),
}

/// Redis errors name the command and the server's answer, never the values sent.
fn failed(error: &redis::RedisError) -> StoreError {
    StoreError::new(format!("redis: {error}"))
}

/// An expiry in milliseconds, as Redis takes it: it refuses 0.
fn expiry_ms(ttl: Duration) -> u64 {
    millis(ttl).max(1)
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

    fn apply(&self, rule: Rule) -> BoxFuture<'_, Result<bool, StoreError>> {
        let mut script;
        match rule {
            Rule::InsertIfAbsent { key, value, ttl } => {
                script = INSERT_IF_ABSENT.key(key);
                script.arg(value).arg(expiry_ms(ttl));
            }
            Rule::SaveIf {
                key,
                value,
                ttl,
                guard,
                expected,
            } => {
                script = SAVE_IF.key(key);
                script
                    .key(guard)
                    .arg(value)
                    .arg(expiry_ms(ttl))
                    .arg(expected);
            }
            Rule::RemoveIf { key, expected } => {
                script = REMOVE_IF.key(key);
                script.arg(expected);
            }
            Rule::ExtendIf { key, expected, ttl } => {
                script = EXTEND_IF.key(key);
                script.arg(expected).arg(expiry_ms(ttl));
            }
        }
        // Each script answers 1 when it acted.
        Box::pin(async move { Ok(self.run::<i64>(script).await? == 1) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(result: Result<RedisStore, ConfigError>) -> String {
        match result {
            Err(e) => e.to_string(),
            Ok(store) => panic!("accepted: {store:?}"),
        }
    }

    #[test]
    fn urls_are_checked_and_passwords_never_shown() {
        let store = RedisStore::open("redis://:hunter2-S3CRET@127.0.0.1:6390/2").unwrap();
        let shown = format!("{store:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("127.0.0.1:6390/2"), "{shown}");
        for url in [
            "rediss://cache.example.com",
            "valkey://cache.example.com:6379",
            "valkeys://user:pw@cache.example.com",
        ] {
            assert!(RedisStore::open(url).is_ok(), "{url}");
        }
        let e = refusal(RedisStore::open("http://cache.example.com"));
        assert!(e.contains("token_store") && e.contains("redis://"), "{e}");
        let e = refusal(RedisStore::open("not a url :hunter2"));
        assert!(!e.contains("hunter2"), "{e}");
        let e = refusal(RedisStore::open("redis:///0"));
        assert!(e.contains("names no host"), "{e}");
    }

    #[test]
    fn cluster_nodes_are_checked_and_passwords_never_shown() {
        let store = RedisStore::cluster([
            "redis://:hunter2-S3CRET@10.0.0.1:7000",
            " valkey://:hunter2-S3CRET@10.0.0.2:7001 ",
        ])
        .unwrap();
        let shown = format!("{store:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(
            shown.contains("10.0.0.1:7000") && shown.contains("10.0.0.2:7001"),
            "{shown}"
        );

        let refused = |nodes: &[&str]| refusal(RedisStore::cluster(nodes));
        let e = refused(&[]);
        assert!(
            e.starts_with("invalid `token_store`: is a Redis Cluster without node URLs"),
            "{e}"
        );
        let e = refused(&["redis://10.0.0.1:7000", "memcached://:hunter2@10.0.0.2"]);
        assert!(
            e.contains("node 2 has the scheme `memcached`") && !e.contains("hunter2"),
            "{e}"
        );
        let e = refused(&["redis://10.0.0.1:7000", "10.0.0.2:7001 hunter2"]);
        assert!(
            e.contains("node 2 is not a URL") && !e.contains("hunter2"),
            "{e}"
        );
        let e = refused(&["redis://10.0.0.1:7000/3"]);
        assert!(e.contains("node 1 names a database"), "{e}");
        assert!(RedisStore::cluster(["redis://10.0.0.1:7000/0"]).is_ok());
        let e = refused(&["rediss://10.0.0.1:7000", "redis://10.0.0.2:7001"]);
        assert!(e.contains("node 2 and node 1 differ in TLS"), "{e}");
        let e = refused(&[
            "redis://:hunter2@10.0.0.1:7000",
            "redis://:other@10.0.0.2:7001",
        ]);
        assert!(
            e.contains("differ in user or password") && !e.contains("hunter2"),
            "{e}"
        );
    }
}
