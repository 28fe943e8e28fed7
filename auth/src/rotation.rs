//! Secrets that change while the service runs: an API key or password read again and again
//! from where it is kept (a file a secrets manager or a Kubernetes secret rewrites, or a
//! callback), so that a rotated secret takes effect without a restart.
//!
//! A source is read on a thread of its own, never on the async runtime, and waited for within
//! a time bound: a source that stalls (a FIFO nobody writes, a network mount that does not
//! answer, a vault client stuck on a lock) costs the calls that check it that bound, not the
//! runtime. At most one read of a source is under way at a time, so a source that stalls
//! holds one thread, however many checks come.

use std::fmt;
use std::io::Read as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, TryLockError};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use tokio::sync::watch;

use crate::clock::{later, Clock};
use crate::error::ConfigError;

/// Where a secret (an API key, a password) is read from, each time the connection checks
/// whether it changed (every [`secret_check_interval`](crate::ClientBuilder::secret_check_interval),
/// and after a 401).
///
/// [`read`](Self::read) runs on a thread of its own, never on the async runtime, so it may
/// block (a file on a network mount, a vault client's synchronous call). The calls that
/// check the secret wait for it at most
/// [`secret_read_timeout`](crate::ClientBuilder::secret_read_timeout), then go on with the
/// current secret; a read that takes longer is left to finish, reported with a warning, and
/// no other read of the source starts until it ends.
///
/// The warnings name the source by its `Debug`: it must not show the secret.
pub trait SecretSource: fmt::Debug + Send + Sync + 'static {
    /// The secret as it is now.
    fn read(&self) -> Result<SecretString, SecretSourceError>;
}

/// A [`SecretSource`] that could not be read. Its message names the source and the cause,
/// never a secret.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the secret could not be read: {0}")]
pub struct SecretSourceError(String);

impl SecretSourceError {
    /// An error with this explanation, which must not contain the secret.
    pub fn new(reason: impl Into<String>) -> Self {
        Self(reason.into())
    }
}

/// A secret kept in a file, as Kubernetes mounts a secret or a secrets manager's agent writes
/// one: the whole file, less trailing white space (the newline an editor or `echo` leaves).
///
/// A file larger than [`MAX_LEN`](Self::MAX_LEN) is refused (the current secret is kept,
/// with a warning) after reading no more than that: a path pointing at a log or a disk image
/// by mistake costs nothing at each check.
#[derive(Debug, Clone)]
pub struct SecretFile {
    path: PathBuf,
}

impl SecretFile {
    /// The largest file read as a secret, in bytes (64 KiB): far more than any key or
    /// password.
    pub const MAX_LEN: u64 = 64 * 1024;

    /// The secret in the file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }
}

impl SecretSource for SecretFile {
    fn read(&self) -> Result<SecretString, SecretSourceError> {
        let failed = |why: String| SecretSourceError::new(format!("{} {why}", self.path.display()));
        let unreadable = |e: std::io::Error| {
            let kind = e.kind();
            failed(format!(
                "cannot be read ({kind}); check that it exists and that this process may read it"
            ))
        };
        let file = std::fs::File::open(&self.path).map_err(unreadable)?;
        // Room for one byte past the limit, allocated once: reading stops there, and the
        // buffer never moves (a move would leave a copy of the secret behind, unzeroed).
        let room = usize::try_from(Self::MAX_LEN + 1).unwrap_or(usize::MAX);
        let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(room));
        file.take(Self::MAX_LEN + 1)
            .read_to_end(&mut bytes)
            .map_err(unreadable)?;
        if bytes.len() as u64 > Self::MAX_LEN {
            return Err(failed(format!(
                "is larger than {} bytes, far more than a secret, so it was not read further; point the SecretFile at a file that holds the secret alone",
                Self::MAX_LEN
            )));
        }
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| failed(String::from("is not UTF-8 text; write the secret as text")))?;
        Ok(SecretString::from(text.trim_end()))
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

/// What one read of a source gave.
type Outcome = Result<SecretString, SecretSourceError>;

/// Reads `source` on a thread of its own and hands the outcome to `deliver`.
///
/// A thread rather than the runtime's blocking pool: a runtime waits for its blocking tasks
/// when it shuts down, so a read stuck for good (a FIFO) would keep the service from
/// stopping. The thread is never joined; a stuck one is abandoned.
fn spawn_read(
    source: Arc<dyn SecretSource>,
    deliver: impl FnOnce(Outcome) + Send + 'static,
) -> Result<(), SecretSourceError> {
    std::thread::Builder::new()
        .name(String::from("infobip-secret-read"))
        .spawn(move || {
            // A source is the caller's code: one that panics (a vault client's bug) counts as
            // unreadable, and the next check reads it again.
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| source.read()))
                .unwrap_or_else(|payload| {
                    // Its payload is the caller's too, and may panic when dropped: the thread
                    // must still deliver, or the read would stay under way for good.
                    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        drop(payload);
                    }));
                    if let Err(again) = dropped {
                        std::mem::forget(again);
                    }
                    Err(SecretSourceError::new(
                        "the source panicked; the next check reads it again",
                    ))
                });
            deliver(outcome);
        })
        .map(drop)
        .map_err(|e| {
            SecretSourceError::new(format!(
                "no thread could be started to read it ({}); the next check tries again",
                e.kind()
            ))
        })
}

/// The first read of `source`, when the connection is made: on a thread of its own too, so a
/// source that stalls fails `connect` after `timeout` instead of hanging it (the read is
/// left to finish).
pub(crate) fn read_at_connect(
    source: &Arc<dyn SecretSource>,
    timeout: Duration,
) -> Result<SecretString, ConfigError> {
    let failed = |reason: String| ConfigError::new("secret_source", reason);
    let (sender, outcome) = std::sync::mpsc::sync_channel(1);
    // The caller may have stopped waiting: nobody to tell.
    spawn_read(source.clone(), move |read| drop(sender.send(read)))
        .map_err(|e| failed(e.to_string()))?;
    match outcome.recv_timeout(timeout) {
        Ok(read) => read.map_err(|e| failed(e.to_string())),
        Err(_) => Err(failed(format!(
            "{source:?} did not answer within {timeout:?} (a FIFO nobody writes, a network mount that does not answer?); check the source, or allow it longer with secret_read_timeout"
        ))),
    }
}

/// The runtime side: when to read the source again, whether what it holds is new, and the
/// one read of it under way.
pub(crate) struct Rotation {
    source: Arc<dyn SecretSource>,
    interval: Duration,
    /// How long a check waits for a read, in real time: it bounds a wait for a thread, which
    /// neither a test's manual clock nor a paused runtime clock would let run.
    read_timeout: Duration,
    clock: Arc<dyn Clock>,
    /// Held for a few comparisons at a time, never across a read or an `await`.
    state: Mutex<State>,
}

/// Reads are numbered in the order they start; the marks below hold the newest read each
/// thing happened to, so that it happens once per read however many checks share it.
struct State {
    /// When the last check was due (on the connection's clock).
    checked_at: Instant,
    current: SecretString,
    /// How many times `current` changed.
    changes: u64,
    /// The latest read, under way or over.
    latest: Option<Read>,
    /// The newest read whose outcome a check weighed (before its deadline, or after).
    settled: u64,
    /// The newest read whose failure (or unusable secret) was reported.
    reported: u64,
    /// The newest read reported for missing its time bound: apart from `reported`, so that
    /// what a late read ends with is still told.
    stall_reported: u64,
}

/// One read of the source, which the checks that come while it is under way share.
#[derive(Clone)]
pub(crate) struct Read {
    number: u64,
    /// When it started, in real time.
    started: Instant,
    /// `None` while the read is under way.
    outcome: watch::Receiver<Option<Arc<Outcome>>>,
}

/// A read a check is to wait for: one it started, the one under way (after a 401), or a late
/// one a periodic check is to use.
pub(crate) struct Check {
    read: Read,
    /// For a check after a 401 that joined the read under way: how many times the current
    /// secret had changed then. That read may have begun before the secret was rotated: if
    /// it finds no change and nobody else did, a read of now follows.
    joined: Option<u64>,
}

impl Rotation {
    pub(crate) fn new(
        source: Arc<dyn SecretSource>,
        current: SecretString,
        interval: Duration,
        read_timeout: Duration,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let state = State {
            checked_at: clock.now(),
            current,
            changes: 0,
            latest: None,
            settled: 0,
            reported: 0,
            stall_reported: 0,
        };
        Self {
            source,
            interval,
            read_timeout,
            clock,
            state: Mutex::new(state),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // No holder runs the caller's code or can panic midway: a poisoned state is whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets `mark` (see [`State`]) to `read`, and says whether that is news: neither `read`
    /// nor a newer read had it.
    fn first(&self, read: &Read, mark: fn(&mut State) -> &mut u64) -> bool {
        let mut state = self.state();
        let mark = mark(&mut state);
        let first = *mark < read.number;
        *mark = (*mark).max(read.number);
        first
    }

    /// [`check`](Self::check), then [`settle`](Self::settle), as the tests call them.
    #[cfg(test)]
    pub(crate) async fn changed<T>(
        &self,
        force: bool,
        prepare: impl Fn(&SecretString) -> Result<T, ConfigError>,
    ) -> Option<T> {
        let check = self.check(force)?;
        self.settle(check, prepare).await
    }

    /// Whether there is a read to wait for: without waiting, and without a lock held past it.
    ///
    /// A due check (or a `force`d one, after a 401) starts a read, unless one is under way: a
    /// forced check then joins it (it may be the one that finds the rotated secret; if it
    /// finds no change, [`settle`](Self::settle) reads once more), a periodic one leaves it to
    /// the checks already waiting. A read that outlived its time bound is waited for by
    /// nobody again; it is reported at most once a check interval, no other read starts until
    /// it ends, and the first periodic check after it ended uses what it found.
    pub(crate) fn check(&self, force: bool) -> Option<Check> {
        let now = self.clock.now();
        let mut state = match self.state.try_lock() {
            Ok(state) => state,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            // Another call is checking at this moment: a periodic check need not.
            Err(TryLockError::WouldBlock) if !force => return None,
            Err(TryLockError::WouldBlock) => self.state(),
        };
        let due = now.saturating_duration_since(state.checked_at) >= self.interval;
        if !(force || due) {
            return None;
        }
        if let Some(read) = &state.latest {
            if read.outcome.borrow().is_none() {
                let under_way_for = read.started.elapsed();
                if under_way_for < self.read_timeout {
                    return force.then(|| Check {
                        read: read.clone(),
                        joined: Some(state.changes),
                    });
                }
                if due {
                    state.checked_at = now;
                    drop(state);
                    tracing::warn!(
                        source = ?self.source,
                        under_way_for = ?under_way_for,
                        "the secret source has still not answered; keeping the current secret, and not reading it again until that read ends"
                    );
                }
                return None;
            }
            if !force && state.settled < read.number {
                // It ended after every check stopped waiting for it: what it found is used
                // (a source slower than the time bound still rotates, a check late), and
                // the next check reads again. After a 401, a read of now is wanted instead.
                let read = read.clone();
                state.checked_at = now;
                return Some(Check { read, joined: None });
            }
        }
        state.checked_at = now;
        let (sender, outcome) = watch::channel(None);
        let read = Read {
            number: state.latest.as_ref().map_or(1, |read| read.number + 1),
            started: Instant::now(),
            outcome,
        };
        state.latest = Some(read.clone());
        // The thread is started once the lock is let go: the read is already the one under
        // way for any check that comes meanwhile.
        drop(state);
        let sender = Arc::new(sender);
        let announce = sender.clone();
        // Ignored when nobody holds the read any more (a newer one replaced it).
        let spawned = spawn_read(self.source.clone(), move |read| {
            drop(announce.send(Some(Arc::new(read))));
        });
        if let Err(error) = spawned {
            drop(sender.send(Some(Arc::new(Err(error)))));
        }
        Some(Check { read, joined: None })
    }

    /// What a [`check`](Self::check) found, seen through: the read waited for (until its
    /// deadline), then what `prepare` makes of the secret, if the source holds a new one and
    /// `prepare` accepts it; only then does it become the current secret, so that a read the
    /// connection could not use (a file caught mid-write, empty) leaves the current one in
    /// place, and reading it back later is no change. A stall or a failure is reported,
    /// naming the source, never the secret.
    pub(crate) async fn settle<T>(
        &self,
        check: Check,
        prepare: impl Fn(&SecretString) -> Result<T, ConfigError>,
    ) -> Option<T> {
        if let Some(prepared) = self.settle_read(&check.read, &prepare).await {
            return Some(prepared);
        }
        let changes = check.joined?;
        let read_ok = matches!(check.read.outcome.borrow().as_deref(), Some(Ok(_)));
        if !read_ok || self.state().changes != changes {
            return None;
        }
        // Once: a read begun after this one was joined is of now (another 401's included).
        let again = self.check(true)?;
        self.settle_read(&again.read, &prepare).await
    }

    /// Waits for `read` (until its deadline) and weighs its outcome.
    async fn settle_read<T>(
        &self,
        read: &Read,
        prepare: impl FnOnce(&SecretString) -> Result<T, ConfigError>,
    ) -> Option<T> {
        let Some(outcome) = self.wait(read).await else {
            if self.first(read, |state| &mut state.stall_reported) {
                tracing::warn!(
                    source = ?self.source,
                    timeout = ?self.read_timeout,
                    "the secret source did not answer in time; keeping the current secret, and leaving the read to finish (no other read of it starts until it does)"
                );
            }
            return None;
        };
        let error = match self.weigh(read, &outcome, prepare) {
            Ok(prepared) => return prepared,
            Err(error) => error,
        };
        if self.first(read, |state| &mut state.reported) {
            tracing::warn!(source = ?self.source, error = %error, "keeping the current secret");
        }
        None
    }

    /// The outcome of `read` once it ends, or `None` once its deadline has passed.
    ///
    /// The runtime's timer only wakes the wait: the deadline is kept in real time, because a
    /// paused runtime clock (a test's `start_paused`) jumps to the next timer as soon as every
    /// task waits, and would time out at once a read that its thread is about to finish.
    async fn wait(&self, read: &Read) -> Option<Arc<Outcome>> {
        let deadline = later(read.started, self.read_timeout);
        let mut outcome = read.outcome.clone();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                // One last look: a read that ended just now is not a stall.
                return outcome.borrow().clone();
            }
            let waited = tokio::time::timeout(left, outcome.wait_for(Option::is_some))
                .await
                // The sender goes only once it has sent.
                .map(|ended| ended.ok().and_then(|ended| ended.clone()));
            if let Ok(ended) = waited {
                return ended;
            }
            // The runtime's clock ran ahead of real time: let the read's thread run on.
            tokio::task::yield_now().await;
        }
    }

    /// Makes the secret `read` found the current one if it is new and `prepare` accepts it,
    /// returning what `prepare` made of it (`None` for no change), or why it cannot be used.
    /// An outcome older than one already weighed is no change: it would put an older secret
    /// back.
    fn weigh<T>(
        &self,
        read: &Read,
        outcome: &Outcome,
        prepare: impl FnOnce(&SecretString) -> Result<T, ConfigError>,
    ) -> Result<Option<T>, String> {
        let mut state = self.state();
        if read.number < state.settled {
            return Ok(None);
        }
        state.settled = read.number;
        let secret = outcome.as_ref().map_err(ToString::to_string)?;
        if secret.expose_secret() == state.current.expose_secret() {
            return Ok(None);
        }
        let prepared = prepare(secret)
            .map_err(|e| format!("the secret changed to one that cannot be used: {e}"))?;
        state.current = secret.clone();
        state.changes += 1;
        Ok(Some(prepared))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::test_util::ManualClock;

    const INTERVAL: Duration = Duration::from_secs(10);

    /// Whatever the source held, as the current secret would become.
    fn taken(secret: &SecretString) -> Result<SecretString, ConfigError> {
        Ok(SecretString::from(secret.expose_secret()))
    }

    fn exposed(secret: Option<SecretString>) -> Option<String> {
        secret.map(|s| s.expose_secret().to_owned())
    }

    fn rotation(
        source: impl SecretSource,
        clock: &ManualClock,
        read_timeout: Duration,
    ) -> Rotation {
        Rotation::new(
            Arc::new(source),
            SecretString::from("old-key"),
            INTERVAL,
            read_timeout,
            Arc::new(clock.clone()),
        )
    }

    /// A source whose first read answers `first` once the test lets it go; later reads answer
    /// `later` at once.
    struct Gated {
        reads: Arc<AtomicUsize>,
        entered: tokio::sync::mpsc::UnboundedSender<()>,
        gate: Mutex<std::sync::mpsc::Receiver<()>>,
        first: &'static str,
        later: &'static str,
    }

    impl fmt::Debug for Gated {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("the gated vault")
        }
    }

    impl SecretSource for Gated {
        fn read(&self) -> Result<SecretString, SecretSourceError> {
            if self.reads.fetch_add(1, Ordering::SeqCst) > 0 {
                return Ok(SecretString::from(self.later));
            }
            let _ = self.entered.send(());
            // Let go by a message, or by the test ending (the sender dropped).
            let _ = self
                .gate
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .recv();
            Ok(SecretString::from(self.first))
        }
    }

    /// The test's side of a [`Gated`] source.
    struct Gate {
        reads: Arc<AtomicUsize>,
        entered: tokio::sync::mpsc::UnboundedReceiver<()>,
        release: std::sync::mpsc::Sender<()>,
    }

    impl Gate {
        fn new(first: &'static str, later: &'static str) -> (Self, Gated) {
            let reads = Arc::new(AtomicUsize::new(0));
            let (entered_tx, entered) = tokio::sync::mpsc::unbounded_channel();
            let (release, gate) = std::sync::mpsc::channel();
            let source = Gated {
                reads: reads.clone(),
                entered: entered_tx,
                gate: Mutex::new(gate),
                first,
                later,
            };
            (
                Self {
                    reads,
                    entered,
                    release,
                },
                source,
            )
        }

        fn reads(&self) -> usize {
            self.reads.load(Ordering::SeqCst)
        }

        /// Returns once the first read has begun (and stopped at the gate).
        async fn entered(&mut self) {
            self.entered.recv().await;
        }

        fn open(&self) {
            let _ = self.release.send(());
        }
    }

    /// The warnings written while the guard [`capture`](Self::capture) returns lives, on this
    /// thread (where a current-thread runtime runs every task).
    #[derive(Clone, Default)]
    struct Warnings(Arc<Mutex<Vec<u8>>>);

    impl Warnings {
        fn capture(&self) -> tracing::subscriber::DefaultGuard {
            let writer = self.clone();
            tracing::subscriber::set_default(
                tracing_subscriber::fmt()
                    .with_max_level(tracing::Level::WARN)
                    .with_ansi(false)
                    .with_writer(move || writer.clone())
                    .finish(),
            )
        }

        fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner))
                .into_owned()
        }
    }

    impl std::io::Write for Warnings {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_source_that_panicked_once_is_read_again_afterwards() {
        // Regression: `changed` held the state's std mutex while it called the
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
        let warnings = Warnings::default();
        let _capture = warnings.capture();
        let rotation = rotation(source, &ManualClock::new(), Duration::from_secs(60));
        assert!(
            rotation.changed(true, taken).await.is_none(),
            "the panic keeps the secret"
        );
        let text = warnings.text();
        assert!(text.contains("the source panicked"), "not reported: {text}");

        let after = rotation.changed(true, taken).await;
        assert_eq!(
            exposed(after).as_deref(),
            Some("new-key"),
            "the source was read {} times: the check after the panic did not read it",
            reads.load(Ordering::SeqCst)
        );
    }

    #[tokio::test]
    async fn a_source_whose_panic_cannot_be_dropped_is_read_again_afterwards() {
        // Dropping the panic's payload panicked again, outside `catch_unwind`: the thread
        // ended without telling, its read stayed "under way" for good, and the source was
        // never read again (each check said it had still not answered).
        struct Payload;
        impl Drop for Payload {
            fn drop(&mut self) {
                panic!("a payload that panics when dropped");
            }
        }
        let reads = Arc::new(AtomicUsize::new(0));
        let source = {
            let reads = reads.clone();
            SecretFn::new(move || match reads.fetch_add(1, Ordering::SeqCst) {
                0 => std::panic::panic_any(Payload),
                _ => Ok(SecretString::from("new-key")),
            })
        };
        let rotation = rotation(source, &ManualClock::new(), Duration::from_secs(60));
        assert!(rotation.changed(true, taken).await.is_none());
        let after = rotation.changed(true, taken).await;
        assert_eq!(exposed(after).as_deref(), Some("new-key"));
    }

    #[tokio::test]
    async fn checks_while_a_read_is_under_way_start_no_other_read() {
        let (mut gate, source) = Gate::new("new-key", "a-second-read");
        let clock = ManualClock::new();
        let rotation = rotation(source, &clock, Duration::from_secs(60));
        clock.advance(INTERVAL);
        let first = rotation.check(false).expect("a check is due");
        gate.entered().await;

        // Periodic checks, due by the clock, skip; a forced one joins the read under way.
        for _ in 0..3 {
            clock.advance(INTERVAL);
            assert!(rotation.check(false).is_none(), "a periodic check waited");
        }
        let forced = rotation
            .check(true)
            .expect("a forced check waits for the read");
        assert_eq!(gate.reads(), 1, "a check started another read");

        gate.open();
        let (first, forced) = tokio::join!(
            rotation.settle(first, taken),
            rotation.settle(forced, taken)
        );
        let mut found = [exposed(first), exposed(forced)];
        found.sort();
        assert_eq!(
            found,
            [None, Some(String::from("new-key"))],
            "one of them makes it current"
        );
        assert_eq!(gate.reads(), 1);
    }

    #[tokio::test]
    async fn a_forced_check_that_joined_an_older_read_reads_again_if_it_found_no_change() {
        // The read under way when a 401 comes may have begun before the secret was rotated
        // (a vault call of a second, a periodic check just before the rotation): joining it
        // alone, the check found the old secret, and the call failed with a 401 though the
        // new secret was there to read.
        let (mut gate, source) = Gate::new("old-key", "new-key");
        let clock = ManualClock::new();
        let rotation = rotation(source, &clock, Duration::from_secs(60));
        clock.advance(INTERVAL);
        let periodic = rotation.check(false).expect("a check is due");
        gate.entered().await;
        let forced = rotation
            .check(true)
            .expect("a forced check waits for the read");

        gate.open();
        let (periodic, forced) = tokio::join!(
            rotation.settle(periodic, taken),
            rotation.settle(forced, taken)
        );
        assert!(periodic.is_none(), "the periodic read found no change");
        assert_eq!(exposed(forced).as_deref(), Some("new-key"));
        assert_eq!(gate.reads(), 2, "the forced check read again once");
    }

    #[tokio::test]
    async fn a_forced_check_joins_the_read_under_way_and_gets_its_secret() {
        // The read under way is the one whose secret the forced check gets: another read would
        // answer "a-second-read".
        let (mut gate, source) = Gate::new("new-key", "a-second-read");
        let clock = ManualClock::new();
        let rotation = rotation(source, &clock, Duration::from_secs(60));
        clock.advance(INTERVAL);
        let periodic = rotation.check(false).expect("a check is due");
        gate.entered().await;
        let forced = rotation
            .check(true)
            .expect("a forced check waits for the read");
        // The call that started the read gives up on it (cancelled by its caller).
        drop(periodic);

        gate.open();
        let got = rotation.settle(forced, taken).await;
        assert_eq!(exposed(got).as_deref(), Some("new-key"));
        assert_eq!(gate.reads(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_paused_runtime_clock_does_not_time_a_read_out() {
        // A paused clock jumps to the next timer once every task waits: measured on it, the
        // read's bound passed at once, and a check after a 401 never found a rotated secret
        // in a test written with `start_paused`.
        let warnings = Warnings::default();
        let _capture = warnings.capture();
        let (mut gate, source) = Gate::new("new-key", "a-second-read");
        let rotation = rotation(source, &ManualClock::new(), Duration::from_secs(60));
        let (got, ()) = tokio::join!(rotation.changed(true, taken), async {
            gate.entered().await;
            gate.open();
        });
        assert_eq!(
            exposed(got).as_deref(),
            Some("new-key"),
            "{}",
            warnings.text()
        );
    }

    #[tokio::test]
    async fn a_stalled_read_is_reported_not_started_again_and_used_once_over() {
        let warnings = Warnings::default();
        let _capture = warnings.capture();
        let (mut gate, source) = Gate::new("late-key", "new-key");
        let clock = ManualClock::new();
        // Short, so that the test waits little for the bound the stalled read is sure to miss.
        let rotation = rotation(source, &clock, Duration::from_millis(50));
        clock.advance(INTERVAL);
        assert!(rotation.changed(false, taken).await.is_none());
        gate.entered().await;
        let text = warnings.text();
        assert!(
            text.contains("did not answer in time") && text.contains("the gated vault"),
            "the stall was not reported with the source's name: {text}"
        );

        // Past its bound, the read is waited for by nobody: a 401's check returns at once, and
        // a periodic one reports it again (once an interval), without reading.
        assert!(
            rotation.check(true).is_none(),
            "a forced check waited again"
        );
        clock.advance(INTERVAL);
        assert!(rotation.changed(false, taken).await.is_none());
        assert!(rotation.changed(false, taken).await.is_none());
        let text = warnings.text();
        assert_eq!(
            text.matches("has still not answered").count(),
            1,
            "one report an interval: {text}"
        );
        assert_eq!(gate.reads(), 1, "a check started another read");

        // Once it ends, the next periodic check uses what it found, and the one after reads
        // again.
        gate.open();
        let ended = rotation.state().latest.clone().map(|read| read.outcome);
        if let Some(mut ended) = ended {
            let _ = ended.wait_for(Option::is_some).await;
        }
        clock.advance(INTERVAL);
        let late = rotation.changed(false, taken).await;
        assert_eq!(exposed(late).as_deref(), Some("late-key"));
        assert_eq!(gate.reads(), 1);
        clock.advance(INTERVAL);
        let got = rotation.changed(false, taken).await;
        assert_eq!(exposed(got).as_deref(), Some("new-key"));
        assert_eq!(gate.reads(), 2);
        assert!(!warnings.text().contains("key"), "{}", warnings.text());
    }

    #[tokio::test]
    async fn a_read_that_fails_after_its_time_bound_reports_why() {
        // The stall's warning used the read's one report: the error it ended with was used by
        // the next check and dropped unsaid, and a source both slow and failing (a vault that
        // answers "sealed" after 6 s) only ever showed timeouts, pointing at the wrong cause.
        let warnings = Warnings::default();
        let _capture = warnings.capture();
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let gate = Mutex::new(gate);
        let source = SecretFn::new(move || {
            let _ = gate.lock().unwrap_or_else(PoisonError::into_inner).recv();
            Err(SecretSourceError::new("the vault is sealed"))
        });
        let clock = ManualClock::new();
        let rotation = rotation(source, &clock, Duration::from_millis(50));
        clock.advance(INTERVAL);
        assert!(rotation.changed(false, taken).await.is_none());
        assert!(warnings.text().contains("did not answer in time"));

        let _ = release.send(());
        let ended = rotation.state().latest.clone().map(|read| read.outcome);
        if let Some(mut ended) = ended {
            let _ = ended.wait_for(Option::is_some).await;
        }
        clock.advance(INTERVAL);
        assert!(rotation.changed(false, taken).await.is_none());
        let text = warnings.text();
        assert!(
            text.contains("the vault is sealed"),
            "the late read's error was not reported: {text}"
        );
    }

    #[test]
    fn a_source_that_does_not_answer_fails_connect_after_the_time_bound() {
        let (gate, source) = Gate::new("new-key", "new-key");
        let source: Arc<dyn SecretSource> = Arc::new(source);
        let failed = read_at_connect(&source, Duration::from_millis(50))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        gate.open();
        assert!(
            failed.contains("secret_source")
                && failed.contains("the gated vault")
                && failed.contains("secret_read_timeout"),
            "{failed}"
        );
    }

    #[tokio::test]
    async fn an_oversized_secret_file_is_refused_and_the_current_secret_kept() {
        let warnings = Warnings::default();
        let _capture = warnings.capture();
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("a temporary directory: {e}"));
        let path = dir.path().join("api-key");
        let write = |len: u64| {
            std::fs::write(&path, "k".repeat(len as usize))
                .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()))
        };

        // Exactly the limit is read.
        write(SecretFile::MAX_LEN);
        assert!(SecretFile::new(&path).read().is_ok());

        write(SecretFile::MAX_LEN + 1);
        let clock = ManualClock::new();
        let rotation = rotation(SecretFile::new(&path), &clock, Duration::from_secs(60));
        assert!(rotation.changed(true, taken).await.is_none());
        let text = warnings.text();
        assert!(
            text.contains(&*path.to_string_lossy())
                && text.contains(&SecretFile::MAX_LEN.to_string()),
            "the warning names neither the file nor the limit: {text}"
        );
        assert!(!text.contains("kkk"), "{text}");

        // The current secret was kept: the same one read back is no change, a new one is.
        std::fs::write(&path, "old-key\n").unwrap_or_else(|e| panic!("{e}"));
        assert!(rotation.changed(true, taken).await.is_none());
        std::fs::write(&path, "new-key\n").unwrap_or_else(|e| panic!("{e}"));
        let got = rotation.changed(true, taken).await;
        assert_eq!(exposed(got).as_deref(), Some("new-key"));
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_secret_file_is_read_no_further_than_its_limit() {
        // A FIFO whose writer sends one byte more than the limit and then holds it open: a
        // reader that wants the whole file waits for an end that never comes, and the check
        // would report a read that did not answer instead of a file too large.
        let warnings = Warnings::default();
        let _capture = warnings.capture();
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("a temporary directory: {e}"));
        let path = dir.path().join("api-key");
        let made = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap_or_else(|e| panic!("mkfifo: {e}"));
        assert!(made.success(), "mkfifo: {made}");
        let (done, held) = std::sync::mpsc::channel::<()>();
        let writer = {
            let path = path.clone();
            std::thread::spawn(move || {
                use std::io::Write as _;
                let mut fifo = std::fs::OpenOptions::new().write(true).open(&path)?;
                fifo.write_all(&vec![b'k'; (SecretFile::MAX_LEN + 1) as usize])?;
                // Held open until the test is over.
                let _ = held.recv();
                Ok::<_, std::io::Error>(())
            })
        };

        let clock = ManualClock::new();
        let rotation = rotation(SecretFile::new(&path), &clock, Duration::from_secs(60));
        assert!(rotation.changed(true, taken).await.is_none());
        drop(done);
        let text = warnings.text();
        assert!(
            text.contains("is larger than 65536 bytes"),
            "the file was not refused for its size: {text}"
        );
        let wrote = writer.join().map_err(|_| "the writer panicked");
        assert!(matches!(wrote, Ok(Ok(()))), "{wrote:?}");
    }
}
