//! The file store: tokens kept between runs of the command line, shared by every `infobip`
//! process of the user that opens the file; and the key that seals it, in a private file.

use std::fmt;
use std::fs::File;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use infobip_auth::error::ConfigError;
use infobip_auth::store::{EncryptionKey, ExpiringMap, Rule, StoreError, Stored, TokenStore};
use infobip_client::BoxFuture;
use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::private_files::{self, Durability};

/// What the whole file is sealed under (its associated data): a file of another kind, or of
/// another version of this layout, does not open.
const FILE_AAD: &str = "infobip-auth file store v1";

/// The longest a call waits for another process's turn with the file. Turns last
/// milliseconds; a lock held longer belongs to a process that is stuck.
const LOCK_WAIT: Duration = Duration::from_secs(10);

/// A [`TokenStore`] in one encrypted file, for processes on one machine: ten runs of a
/// command line in a row share one OAuth token or IBSSO session, and so do runs at the same
/// moment.
///
/// **Safe with many processes.** Every call takes an exclusive lock on `<file>.lock` (`flock`
/// on Unix, `LockFileEx` on Windows), reads the file, changes it, writes the new content to
/// a temporary file and renames it over the old one, then lets go of the lock. So the
/// compare-then-act writes of [`TokenStore`] hold across processes, a reader never sees half
/// a file, and a process killed mid-write leaves the previous content (the system drops the
/// lock of a dead process). Keep the store timeout of the builder generous (a few seconds)
/// where many processes start at once: each call waits for the others' turns.
///
/// **Encrypted twice over.** The values a client stores are already sealed with the
/// [`EncryptionKey`] given to the builder; the file as a whole (keys, expiries, lock owners)
/// is sealed again with the key given here (XChaCha20-Poly1305), usually the same one. The
/// file, its lock and the directories this creates are readable by their owner only (0600,
/// 0700 on Unix), and [`open`](Self::open) refuses an existing file that others can read.
///
/// **What the encryption protects against**, when the key is kept apart from the file (in
/// the OS keyring, or a 0600 key file, see [`load_or_create_key`]): a copy of the
/// store without its key (a backup, a synced or shared folder, a file sent along with a bug
/// report) gives away no token, nor whose tokens they are, and a changed or damaged file
/// reads as empty instead of handing out a forged token. **What it does not protect
/// against:** anyone who can act as the same user on the machine (or as root) can read the
/// key as easily as the file; the file store is no defence against them, any more than a
/// browser's cookie jar is.
///
/// A file that cannot be read with the key (written with another key, damaged, of another
/// format) is treated as empty, with a warning, and replaced by the next write: the store
/// holds nothing that cannot be fetched again. Expiries are kept in wall-clock time, since
/// the processes sharing the file share no other clock.
#[derive(Clone)]
pub struct FileStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    lock_path: PathBuf,
    key: EncryptionKey,
}

impl fmt::Debug for FileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileStore")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

/// The file's content once opened: each key's value and when it expires.
#[derive(Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Contents {
    entries: ExpiringMap<SystemTime>,
}

impl FileStore {
    /// The store in the file at `path`, sealed with `key`. Creates the file's directory (0700
    /// on Unix) if it is missing; the file is created by the first write. Refuses a file, or
    /// its lock, that others than its owner can read or write, naming the `chmod` that fixes
    /// it.
    pub fn open(path: impl Into<PathBuf>, key: &EncryptionKey) -> Result<Self, ConfigError> {
        let path = path.into();
        let fail = |reason: String| ConfigError {
            field: "token_store",
            reason,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            private_files::create_dir(dir).map_err(|e| {
                fail(format!(
                    "its directory {} cannot be created ({e})",
                    dir.display()
                ))
            })?;
        }
        let lock_path = sibling(&path, ".lock");
        for file in [&path, &lock_path] {
            private_files::check_file(file).map_err(|e| fail(e.to_string()))?;
        }
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                lock_path,
                key: key.clone(),
            }),
        })
    }

    /// The file's path (the tests damage the file, and read its mode).
    #[cfg(test)]
    fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Deletes `key`, whatever it holds; returns whether it was there. How a command line's
    /// `logout` forgets a token that has no logout of its own (an OAuth token).
    pub fn remove(&self, key: &str) -> Result<bool, StoreError> {
        self.inner.update(|map, now| map.remove(key, now))
    }

    /// Applies `rule` in a blocking task, so that waiting for another process's lock never
    /// holds up the async runtime.
    fn with<T: Send + 'static>(
        &self,
        rule: impl FnOnce(&mut ExpiringMap<SystemTime>, SystemTime) -> T + Send + 'static,
    ) -> BoxFuture<'static, Result<T, StoreError>> {
        let inner = self.inner.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || inner.update(rule))
                .await
                .map_err(|e| StoreError::new(format!("the file store's task failed ({e})")))?
        })
    }
}

impl Inner {
    /// One atomic step: lock, read, sweep, apply `rule`, write the entries back if they
    /// changed, unlock.
    fn update<T>(
        &self,
        rule: impl FnOnce(&mut ExpiringMap<SystemTime>, SystemTime) -> T,
    ) -> Result<T, StoreError> {
        let lock = private_files::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&self.lock_path)
            .map_err(|e| self.failed("cannot open the lock file", &e))?;
        self.wait_for(&lock)?;
        let now = SystemTime::now();
        let (mut contents, unreadable) = self.read()?;
        let swept = contents.entries.sweep(now);
        let before = contents.clone();
        let result = rule(&mut contents.entries, now);
        if unreadable || swept || contents != before {
            self.write(&contents)?;
        }
        // Closing the lock file releases the lock.
        drop(lock);
        Ok(result)
    }

    /// Takes the lock, waiting at most [`LOCK_WAIT`] for another process to let go of it.
    ///
    /// `flock` waits without a limit, and a wait cannot be cancelled: a call whose caller
    /// gave up (the client's store timeout) would hold its thread until the lock came free,
    /// and a process could not exit while another held the lock. So the lock is tried, and
    /// tried again after short pauses, until it is taken or the wait is over.
    fn wait_for(&self, lock: &File) -> Result<(), StoreError> {
        let started = std::time::Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            // Called through the trait: the standard library's own `File::try_lock` is newer
            // than the workspace's minimum Rust version.
            match fs4::FileExt::try_lock(lock) {
                Ok(()) => return Ok(()),
                Err(fs4::TryLockError::WouldBlock) if started.elapsed() < LOCK_WAIT => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(fs4::TryLockError::WouldBlock) => {
                    return Err(StoreError::new(format!(
                        "{} is locked by another process and was not let go of within {} s; \
                         the call goes ahead without the store",
                        self.lock_path.display(),
                        LOCK_WAIT.as_secs()
                    )))
                }
                Err(fs4::TryLockError::Error(e)) => {
                    return Err(self.failed("cannot lock the lock file", &e))
                }
            }
        }
    }

    /// The entries, and whether the file must be rewritten (it could not be read).
    fn read(&self) -> Result<(Contents, bool), StoreError> {
        let mut sealed = Vec::new();
        match File::open(&self.path) {
            Ok(mut file) => {
                file.read_to_end(&mut sealed)
                    .map_err(|e| self.failed("cannot read", &e))?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Contents::default(), false))
            }
            Err(e) => return Err(self.failed("cannot open", &e)),
        }
        match self.key.open::<Contents>(FILE_AAD, &sealed) {
            Some(contents) => Ok((contents, false)),
            None => {
                tracing::warn!(
                    path = %self.path.display(),
                    "the token file cannot be read with this key (another key, damaged, or another format); treating it as empty"
                );
                Ok((Contents::default(), true))
            }
        }
    }

    /// Replaces the file: a new file beside it, renamed over the old one. Not flushed to disk
    /// first: under the lock of every other process, an fsync could take longer than a store
    /// call may, and a file a crash left damaged only reads as empty (the tokens are fetched
    /// again).
    fn write(&self, contents: &Contents) -> Result<(), StoreError> {
        let sealed = self.key.seal(FILE_AAD, contents)?;
        private_files::replace(&self.path, &sealed, Durability::Cached)
            .map_err(|e| self.failed("cannot write", &e))
    }

    fn failed(&self, what: &str, error: &std::io::Error) -> StoreError {
        StoreError::new(format!("{what} {} ({error})", self.path.display()))
    }
}

/// `path` with `suffix` added to its file name.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

impl TokenStore for FileStore {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>, StoreError>> {
        let key = key.to_owned();
        self.with(move |map, now| map.load(&key, now))
    }

    fn apply(&self, rule: Rule) -> BoxFuture<'_, Result<bool, StoreError>> {
        self.with(move |map, now| map.apply(rule, now))
    }
}

/// The key in the file at `path` (44 characters of base64, as written here or by
/// `openssl rand -base64 32`), created with a new random key, readable by its owner only
/// (0600 on Unix), if there is none. Two processes creating it at once end up with the
/// same key. Refuses a file that others can read or write, naming the `chmod` that fixes
/// it: with the key, anyone could read the tokens it protects.
pub fn load_or_create_key(path: impl AsRef<Path>) -> Result<EncryptionKey, ConfigError> {
    let path = path.as_ref();
    let fail = |reason: String| ConfigError {
        field: "token_store_key",
        reason,
    };
    if !path.exists() {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            private_files::create_dir(dir)
                .map_err(|e| fail(format!("{} cannot be created ({e})", dir.display())))?;
        }
        create_key_file(path)
            .map_err(|e| fail(format!("{} cannot be created ({e})", path.display())))?;
    }
    private_files::check_file(path).map_err(|e| fail(e.to_string()))?;
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|e| fail(format!("{} cannot be read ({e})", path.display())))?,
    );
    EncryptionKey::from_base64(&text).map_err(|e| {
        fail(format!(
            "{} {}; delete it to have a new key made (cached tokens are then fetched again)",
            path.display(),
            e.reason
        ))
    })
}

/// Writes a new random key to `path` unless a file is there already (another process's,
/// whose key then stands).
fn create_key_file(path: &Path) -> std::io::Result<()> {
    let key = EncryptionKey::generate().to_base64();
    let encoded = Zeroizing::new(format!("{}\n", key.expose_secret()));
    private_files::create_if_absent(path, encoded.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The store's rules as calls, so that each test reads as the steps it takes.
    trait Rules: TokenStore {
        fn insert_if_absent(&self, key: &str, value: &[u8], ttl: Duration) -> Applied<'_> {
            let (key, value) = (key.to_owned(), value.to_vec());
            self.apply(Rule::InsertIfAbsent { key, value, ttl })
        }

        fn save_if(
            &self,
            key: &str,
            value: Vec<u8>,
            ttl: Duration,
            guard: &str,
            expected: &[u8],
        ) -> Applied<'_> {
            self.apply(Rule::SaveIf {
                key: key.to_owned(),
                value,
                ttl,
                guard: guard.to_owned(),
                expected: expected.to_vec(),
            })
        }

        fn extend_if(&self, key: &str, expected: &[u8], ttl: Duration) -> Applied<'_> {
            let (key, expected) = (key.to_owned(), expected.to_vec());
            self.apply(Rule::ExtendIf { key, expected, ttl })
        }
    }

    impl<S: TokenStore> Rules for S {}

    type Applied<'a> = BoxFuture<'a, Result<bool, StoreError>>;

    fn key(byte: u8) -> EncryptionKey {
        EncryptionKey::from_bytes([byte; 32])
    }

    fn store(dir: &Path, byte: u8) -> FileStore {
        FileStore::open(dir.join("tokens"), &key(byte)).unwrap()
    }

    #[tokio::test]
    async fn remove_forgets_a_key_whatever_it_holds() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path(), 1);
        let minute = Duration::from_secs(60);
        assert!(store.insert_if_absent("k", b"v", minute).await.unwrap());
        assert!(store.remove("k").unwrap());
        assert!(!store.remove("k").unwrap());
        assert!(store.load("k").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_file_in_the_first_releases_layout_still_opens() {
        // The layout as the first release wrote it, field by field: each value in base64 and
        // its expiry in milliseconds since the epoch, under "entries".
        let dir = tempfile::tempdir().unwrap();
        let in_an_hour = SystemTime::now() + Duration::from_secs(3600);
        let expires_at_ms = in_an_hour
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let written = serde_json::json!({"entries": {
            "l": {"value": "YQ==", "expires_at_ms": expires_at_ms},
            "gone": {"value": "Yg==", "expires_at_ms": 1},
        }});
        let sealed = key(1).seal(FILE_AAD, &written).unwrap();
        private_files::replace(&dir.path().join("tokens"), &sealed, Durability::Cached).unwrap();
        let store = store(dir.path(), 1);
        let found = store.load("l").await.unwrap().unwrap();
        assert_eq!(found.value, b"a");
        assert!(found.ttl.unwrap() > Duration::from_secs(3500));
        assert!(store.load("gone").await.unwrap().is_none());
        assert!(store
            .extend_if("l", b"a", Duration::from_secs(60))
            .await
            .unwrap());
        let reread: serde_json::Value = key(1)
            .open(FILE_AAD, &std::fs::read(store.path()).unwrap())
            .unwrap();
        assert_eq!(reread["entries"]["l"]["value"], "YQ==");
        assert!(reread["entries"]["l"]["expires_at_ms"].as_u64().unwrap() < expires_at_ms);
        assert!(reread["entries"].get("gone").is_none());
    }

    #[tokio::test]
    async fn another_opening_of_the_file_sees_the_same_entries() {
        let dir = tempfile::tempdir().unwrap();
        let minute = Duration::from_secs(60);
        assert!(store(dir.path(), 1)
            .insert_if_absent("l", b"a", minute)
            .await
            .unwrap());
        let again = store(dir.path(), 1);
        assert_eq!(again.load("l").await.unwrap().unwrap().value, b"a");
        assert!(!again.insert_if_absent("l", b"b", minute).await.unwrap());
    }

    #[tokio::test]
    async fn nothing_readable_without_the_key_and_a_bad_file_reads_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let minute = Duration::from_secs(60);
        let store_1 = store(dir.path(), 1);
        assert!(store_1
            .insert_if_absent(
                "infobip-auth:v1:https://x.example:oauth2:user",
                b"tok-SECRET",
                minute
            )
            .await
            .unwrap());
        let raw = std::fs::read(store_1.path()).unwrap();
        let text = String::from_utf8_lossy(&raw);
        for visible in ["tok-SECRET", "oauth2", "x.example", "expires"] {
            assert!(!text.contains(visible), "{visible} in {text}");
        }

        // Another key: empty, then replaced by the next write.
        let store_2 = store(dir.path(), 2);
        assert!(store_2
            .load("infobip-auth:v1:https://x.example:oauth2:user")
            .await
            .unwrap()
            .is_none());
        assert!(store_2.insert_if_absent("l", b"x", minute).await.unwrap());
        assert!(store_2.load("l").await.unwrap().is_some());
        assert!(store_1.load("l").await.unwrap().is_none());

        // Damaged: a flipped bit, a cut file, garbage.
        let damages: [fn(Vec<u8>) -> Vec<u8>; 3] = [
            |mut bytes: Vec<u8>| {
                let at = bytes.len() / 2;
                bytes[at] ^= 1;
                bytes
            },
            |bytes: Vec<u8>| bytes[..bytes.len() - 3].to_vec(),
            |_: Vec<u8>| b"not a token file".to_vec(),
        ];
        for damage in damages {
            let store = store(dir.path(), 3);
            store.remove("l").unwrap();
            assert!(store.insert_if_absent("l", b"x", minute).await.unwrap());
            let bytes = std::fs::read(store.path()).unwrap();
            std::fs::write(store.path(), damage(bytes)).unwrap();
            assert!(store.load("l").await.unwrap().is_none());
            assert!(store.insert_if_absent("l", b"y", minute).await.unwrap());
            assert_eq!(store.load("l").await.unwrap().unwrap().value, b"y");
        }
    }

    #[test]
    fn writers_on_many_threads_each_opening_the_file_take_a_lock_once() {
        // Each thread opens the file itself, as a process would: `flock` locks belong to an
        // opening of the file, so these exclude each other as processes do.
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let winners: usize = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..16u8)
                .map(|i| {
                    let path = dir.path().to_owned();
                    scope.spawn(move || {
                        let store = FileStore::open(path.join("tokens"), &key(7)).unwrap();
                        let minute = Duration::from_secs(60);
                        let runtime = tokio::runtime::Builder::new_current_thread()
                            .build()
                            .unwrap();
                        runtime.block_on(async {
                            let mut won = 0;
                            for round in 0..5u8 {
                                let lock = format!("lock-{round}");
                                if store.insert_if_absent(&lock, &[i], minute).await.unwrap() {
                                    won += 1;
                                    // Only the holder's write lands.
                                    assert!(store
                                        .save_if(
                                            &format!("v-{round}"),
                                            vec![i],
                                            minute,
                                            &lock,
                                            &[i]
                                        )
                                        .await
                                        .unwrap());
                                }
                                assert!(!store
                                    .save_if(&format!("v-{round}"), vec![99], minute, &lock, &[99])
                                    .await
                                    .unwrap());
                            }
                            won
                        })
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(winners, 5, "one winner per lock");
        let store = store(dir.path(), 7);
        runtime.block_on(async {
            for round in 0..5u8 {
                let lock = store.load(&format!("lock-{round}")).await.unwrap().unwrap();
                let value = store.load(&format!("v-{round}")).await.unwrap().unwrap();
                assert_eq!(lock.value, value.value, "the winner's value, nobody else's");
            }
        });
    }

    #[cfg(unix)]
    #[test]
    fn files_are_private_and_wider_permissions_are_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let key_path = dir.path().join("sub/tokens.key");
        let key = load_or_create_key(&key_path).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&key_path), 0o600);
        assert_eq!(mode(&dir.path().join("sub")), 0o700);
        // The same key the next time.
        let again = load_or_create_key(&key_path).unwrap();
        assert_eq!(
            key.to_base64().expose_secret(),
            again.to_base64().expose_secret()
        );

        let store = FileStore::open(dir.path().join("sub/tokens"), &key).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime
            .block_on(store.insert_if_absent("l", b"a", Duration::from_secs(60)))
            .unwrap();
        assert_eq!(mode(store.path()), 0o600);
        assert_eq!(mode(&dir.path().join("sub/tokens.lock")), 0o600);

        std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let refused = load_or_create_key(&key_path).unwrap_err().to_string();
        assert!(refused.contains("mode 644"), "{refused}");
        assert!(
            refused.contains(&format!("chmod 600 {}", key_path.display())),
            "{refused}"
        );
        assert!(!refused.contains(
            &String::from_utf8_lossy(&std::fs::read(&key_path).unwrap())
                .trim()
                .to_string()
        ));

        std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o640)).unwrap();
        let refused = FileStore::open(store.path(), &key).unwrap_err().to_string();
        assert!(refused.contains("chmod 600"), "{refused}");
    }

    #[test]
    fn racing_creators_of_a_key_file_share_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.key");
        let keys: Vec<String> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    scope.spawn(|| {
                        let key = load_or_create_key(&path).unwrap();
                        key.to_base64().expose_secret().to_owned()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(keys.windows(2).all(|w| w[0] == w[1]));
    }

    #[test]
    fn a_bad_key_file_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.key");
        std::fs::write(&path, "short").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let error = load_or_create_key(&path).unwrap_err().to_string();
        assert!(error.contains("delete it"), "{error}");
    }
}
