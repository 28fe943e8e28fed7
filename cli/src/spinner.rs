//! A spinner on standard error while a call takes more than a second, and only when standard
//! error is a terminal: scripts and logs never see one.

use std::future::Future;
use std::io::IsTerminal as _;
use std::time::Duration;

/// How long a wait goes unremarked.
const QUIET: Duration = Duration::from_secs(1);

/// Runs `work`, showing `label` with a spinner once it has taken more than a second.
pub async fn while_waiting<T>(label: &str, work: impl Future<Output = T>) -> T {
    if !std::io::stderr().is_terminal() {
        return work.await;
    }
    let mut work = std::pin::pin!(work);
    if let Ok(done) = tokio::time::timeout(QUIET, work.as_mut()).await {
        return done;
    }
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_message(label.to_owned());
    spinner.enable_steady_tick(Duration::from_millis(100));
    let done = work.await;
    spinner.finish_and_clear();
    done
}
