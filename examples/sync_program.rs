//! A program without async code of its own (a command, a batch job): one tokio runtime, made
//! once, runs every call.
//!
//! ```sh
//! cargo run -p infobip-examples --bin sync-program
//! ```
//!
//! The trap this avoids: a connection keeps an HTTP connection pool and background tasks (the
//! token's early renewal) on the runtime that first used it. A runtime made per call (or a
//! `#[tokio::main]` function called from another runtime) leaves them behind when it is
//! dropped, and the next call through the same connection fails or hangs. Make one runtime,
//! keep it beside the connection, and `block_on` each call.
//!
//! Configuration from the environment, as `send-sms` (`cargo run -p infobip-sandbox` prints it).

use infobip_auth::ClientBuilder;
use infobip_client::Products as _;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let infobip = ClientBuilder::from_env()?.connect()?;

    for round in 1..=3 {
        let balance = runtime.block_on(infobip.account().get_account_balance().send())?;
        println!("round {round}: {} {}", balance.balance, balance.currency);
    }
    Ok(())
}
