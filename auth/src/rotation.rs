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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use tokio::sync::watch;

use crate::clock::Clock;
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
#[error("the secret could not be read: {reason}")]
pub struct SecretSourceError {
    reason: Reason,
}

/// Why a source could not be read.
#[derive(Debug, Clone, thiserror::Error)]
enum Reason {
    /// Given by a source of the caller's.
    #[error("{0}")]
    Given(String),
    #[error("cannot read {} ({kind}); check that it exists and that this process may read it", .path.display())]
    Io {
        path: PathBuf,
        kind: std::io::ErrorKind,
    },
    #[error(
        "{} is larger than {limit} bytes, far more than a secret, so it was not read further; \
         point the SecretFile at a file that holds the secret alone",
        .path.display()
    )]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("{} is not UTF-8 text; write the secret as text", .path.display())]
    NotText { path: PathBuf },
    #[error("the source panicked; the next check reads it again")]
    Panicked,
    #[error("no thread could be started to read it ({kind}); the next check tries again")]
    NoThread { kind: std::io::ErrorKind },
}

impl SecretSourceError {
    /// An error with this explanation, which must not contain the secret.
    pub fn new(reason: impl Into<String>) -> Self {
        Reason::Given(reason.into()).into()
    }
}

impl From<Reason> for SecretSourceError {
    fn from(reason: Reason) -> Self {
        Self { reason }
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

    fn io_error(&self, error: &std::io::Error) -> SecretSourceError {
        Reason::Io {
            path: self.path.clone(),
            kind: error.kind(),
        }
        .into()
    }
}

impl SecretSource for SecretFile {
    fn read(&self) -> Result<SecretString, SecretSourceError> {
        let file = std::fs::File::open(&self.path).map_err(|e| self.io_error(&e))?;
        // Room for one byte past the limit, allocated once: reading stops there, and the
        // buffer never moves (a move would leave a copy of the secret behind, unzeroed).
        let room = usize::try_from(Self::MAX_LEN + 1).unwrap_or(usize::MAX);
        let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(room));
        file.take(Self::MAX_LEN + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| self.io_error(&e))?;
        if bytes.len() as u64 > Self::MAX_LEN {
            return Err(Reason::TooLarge {
                path: self.path.clone(),
                limit: Self::MAX_LEN,
            }
            .into());
        }
        let text = std::str::from_utf8(&bytes).map_err(|_| Reason::NotText {
            path: self.path.clone(),
        })?;
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

/// A time bound that cannot be reached, for a read timeout too large to add to an instant.
const FAR_FUTURE: Duration = Duration::from_secs(60 * 60 * 24 * 365);

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
                    Err(Reason::Panicked.into())
                });
            deliver(outcome);
        })
        .map(drop)
        .map_err(|e| Reason::NoThread { kind: e.kind() }.into())
}

/// The outcome of `read` once it ends (`Err` if it can no longer end), or `None` once its
/// deadline has passed.
///
/// The runtime's timer only wakes the wait: the deadline is kept in real time, because a
/// paused runtime clock (a test's `start_paused`) jumps to the next timer as soon as every
/// task waits, and would time out at once a read that its thread is about to finish.
async fn wait(read: &Read) -> Option<Result<Option<Arc<Outcome>>, ()>> {
    let mut outcome = read.outcome.clone();
    loop {
        let left = read.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            // One last look: a read that ended just now is not a stall.
            return outcome.borrow().clone().map(|ended| Ok(Some(ended)));
        }
        let wake = tokio::time::Instant::now()
            .checked_add(left)
            .unwrap_or_else(|| tokio::time::Instant::now() + FAR_FUTURE);
        let waited = tokio::time::timeout_at(wake, outcome.wait_for(Option::is_some))
            .await
            .map(|ended| ended.map(|ended| ended.clone()).map_err(drop));
        match waited {
            Ok(ended) => return Some(ended),
            // The runtime's clock ran ahead of real time: let the read's thread run on.
            Err(_) => tokio::task::yield_now().await,
        }
    }
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
    spawn_read(source.clone(), move |read| {
        // The caller may have stopped waiting: nobody to tell.
        let _ = sender.send(read);
    })
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

struct State {
    /// When the last check was due (on the connection's clock).
    checked_at: Instant,
    current: SecretString,
    /// How many reads were started; a read's number orders it among them.
    reads: u64,
    /// The newest read whose outcome was weighed against `current`: an older read's outcome,
    /// weighed after it, would put an older secret back.
    weighed: u64,
    /// The latest read, under way or over.
    latest: Option<Read>,
    /// How many times `current` changed.
    changes: u64,
}

/// One read of the source, which the checks that come while it is under way share.
#[derive(Clone)]
pub(crate) struct Read {
    number: u64,
    started: Instant,
    /// When the checks stop waiting for it, in real time.
    deadline: Instant,
    /// `None` while the read is under way.
    outcome: watch::Receiver<Option<Arc<Outcome>>>,
    /// Whether what it ended with (an error, an unusable secret) was reported: once per read,
    /// however many checks shared it.
    reported: Arc<AtomicBool>,
    /// Whether it was reported for missing its time bound: apart from `reported`, so that
    /// what a late read ends with is still told.
    stall_reported: Arc<AtomicBool>,
    /// Whether a check got its outcome (before its deadline, or after).
    settled: Arc<AtomicBool>,
}

impl Read {
    fn under_way(&self) -> bool {
        self.outcome.borrow().is_none()
    }

    /// Whether this caller is the first to report this read's failure.
    fn first_report(&self) -> bool {
        !self.reported.swap(true, Ordering::SeqCst)
    }

    /// Whether this caller is the first to report that this read missed its time bound.
    fn first_stall_report(&self) -> bool {
        !self.stall_reported.swap(true, Ordering::SeqCst)
    }
}

/// What a check found to do.
pub(crate) enum Check {
    /// Wait for this read (started by this check, or a periodic check's late one) and weigh
    /// its outcome.
    Wait(Read),
    /// A check after a 401 joined the read under way, when the current secret had changed
    /// `changes` times. That read may have begun before the secret was rotated: if it finds
    /// no change and nobody else did, a read of now follows.
    Joined { read: Read, changes: u64 },
    /// A read outlived its time bound and is still under way: reported, not started again.
    Stalled { under_way_for: Duration },
}

impl fmt::Debug for Rotation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rotation")
            .field("source", &self.source)
            .field("interval", &self.interval)
            .field("read_timeout", &self.read_timeout)
            .finish_non_exhaustive()
    }
}

impl Rotation {
    pub(crate) fn new(
        source: Arc<dyn SecretSource>,
        current: SecretString,
        interval: Duration,
        read_timeout: Duration,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let checked_at = clock.now();
        Self {
            source,
            interval,
            read_timeout,
            clock,
            state: Mutex::new(State {
                checked_at,
                current,
                reads: 0,
                weighed: 0,
                latest: None,
                changes: 0,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // No holder runs the caller's code or can panic midway: a poisoned state is whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
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
    /// the checks already waiting. A read that outlived its time
    /// bound is waited for by nobody again; it is reported at most once a check interval, no
    /// other read starts until it ends, and the first periodic check after it ended uses what
    /// it found.
    pub(crate) fn check(&self, force: bool) -> Option<Check> {
        let now = self.clock.now();
        let mut state = if force {
            self.state()
        } else {
            match self.state.try_lock() {
                Ok(state) => state,
                // Another call is checking at this moment: this one need not.
                Err(std::sync::TryLockError::WouldBlock) => return None,
                Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            }
        };
        let due = now.saturating_duration_since(state.checked_at) >= self.interval;
        if let Some(read) = state.latest.as_ref() {
            if read.under_way() {
                let elapsed = read.started.elapsed();
                if Instant::now() < read.deadline {
                    return force.then(|| Check::Joined {
                        read: read.clone(),
                        changes: state.changes,
                    });
                }
                if !due {
                    return None;
                }
                state.checked_at = now;
                return Some(Check::Stalled {
                    under_way_for: elapsed,
                });
            }
            if due && !force && !read.settled.load(Ordering::SeqCst) {
                // It ended after every check stopped waiting for it: what it found is used
                // (a source slower than the time bound still rotates, a check late), and
                // the next check reads again. After a 401, a read of now is wanted instead.
                let read = read.clone();
                state.checked_at = now;
                return Some(Check::Wait(read));
            }
        }
        if !(force || due) {
            return None;
        }
        state.checked_at = now;
        state.reads += 1;
        let started = Instant::now();
        let (sender, outcome) = watch::channel(None);
        let read = Read {
            number: state.reads,
            started,
            deadline: started
                .checked_add(self.read_timeout)
                .unwrap_or_else(|| started + FAR_FUTURE),
            outcome,
            reported: Arc::new(AtomicBool::new(false)),
            stall_reported: Arc::new(AtomicBool::new(false)),
            settled: Arc::new(AtomicBool::new(false)),
        };
        state.latest = Some(read.clone());
        // The thread is started once the lock is let go: the read is already the one under
        // way for any check that comes meanwhile.
        drop(state);
        self.start(sender);
        Some(Check::Wait(read))
    }

    /// Starts a read on a thread of its own, whose outcome `sender` announces.
    fn start(&self, sender: watch::Sender<Option<Arc<Outcome>>>) {
        let sender = Arc::new(sender);
        let announce = sender.clone();
        let spawned = spawn_read(self.source.clone(), move |read| {
            // Ignored when nobody holds the read any more (a newer one replaced it).
            let _ = announce.send(Some(Arc::new(read)));
        });
        if let Err(error) = spawned {
            let _ = sender.send(Some(Arc::new(Err(error))));
        }
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
        let (read, changes) = match check {
            Check::Wait(read) => return self.settle_read(&read, &prepare).await,
            Check::Joined { read, changes } => (read, changes),
            Check::Stalled { under_way_for } => {
                tracing::warn!(
                    source = ?self.source,
                    under_way_for = ?under_way_for,
                    "the secret source has still not answered; keeping the current secret, and not reading it again until that read ends"
                );
                return None;
            }
        };
        if let Some(prepared) = self.settle_read(&read, &prepare).await {
            return Some(prepared);
        }
        let unchanged = matches!(read.outcome.borrow().as_deref(), Some(Ok(_)))
            && self.state().changes == changes;
        if !unchanged {
            return None;
        }
        // Once: a read begun after this one was joined is of now (another 401's included).
        match self.check(true)? {
            Check::Wait(read) | Check::Joined { read, .. } => {
                self.settle_read(&read, &prepare).await
            }
            Check::Stalled { .. } => None,
        }
    }

    /// Waits for `read` (until its deadline) and weighs its outcome.
    async fn settle_read<T>(
        &self,
        read: &Read,
        prepare: impl FnOnce(&SecretString) -> Result<T, ConfigError>,
    ) -> Option<T> {
        let outcome = match wait(read).await {
            Some(Ok(outcome)) => {
                read.settled.store(true, Ordering::SeqCst);
                outcome
            }
            // The sender goes only once it has sent.
            Some(Err(())) => None,
            None => {
                if read.first_stall_report() {
                    tracing::warn!(
                        source = ?self.source,
                        timeout = ?self.read_timeout,
                        "the secret source did not answer in time; keeping the current secret, and leaving the read to finish (no other read of it starts until it does)"
                    );
                }
                return None;
            }
        }?;
        match &*outcome {
            Ok(secret) => self.weigh(read, secret, prepare),
            Err(error) => {
                if read.first_report() {
                    tracing::warn!(source = ?self.source, error = %error, "keeping the current secret");
                }
                None
            }
        }
    }

    /// Makes `secret`, read by `read`, the current one if it is new and `prepare` accepts it.
    fn weigh<T>(
        &self,
        read: &Read,
        secret: &SecretString,
        prepare: impl FnOnce(&SecretString) -> Result<T, ConfigError>,
    ) -> Option<T> {
        let rejected = {
            let mut state = self.state();
            if read.number < state.weighed {
                return None;
            }
            state.weighed = read.number;
            if secret.expose_secret() == state.current.expose_secret() {
                return None;
            }
            match prepare(secret) {
                Ok(prepared) => {
                    state.current = SecretString::from(secret.expose_secret());
                    state.changes += 1;
                    return Some(prepared);
                }
                Err(error) => error,
            }
        };
        if read.first_report() {
            tracing::warn!(
                source = ?self.source,
                error = %rejected,
                "the secret changed to one that cannot be used; keeping the current one"
            );
        }
        None
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
