//! One replica of a fleet: replicas sharing a Redis token store obtain one OAuth token (or
//! IBSSO session) per expiry between them, however many run.
//!
//! ```sh
//! export INFOBIP_TOKEN_STORE=redis://127.0.0.1:6379       # the same store for every replica
//! export INFOBIP_TOKEN_STORE_KEY=$(openssl rand -base64 32) # the same key for every replica
//! for i in 1 2 3; do cargo run -p infobip-examples --bin fleet & done; wait
//! ```
//!
//! The rest of the configuration from the environment, as `send-sms` (`cargo run -p
//! infobip-sandbox` prints it, with OAuth 2.0). Against the sandbox, its log then shows one token request.

use infobip_auth::ClientBuilder;
use infobip_client::Products as _;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `from_env` reads the store's URL and key too (INFOBIP_TOKEN_STORE, _KEY).
    let infobip = ClientBuilder::from_env()?.connect()?;
    // Concurrent calls of one replica share its token as well.
    let calls = (0..5).map(|_| {
        let infobip = infobip.clone();
        tokio::spawn(async move { infobip.account().get_account_balance().send().await })
    });
    for call in calls {
        let balance = call.await??;
        println!("balance: {} {}", balance.balance, balance.currency);
    }
    Ok(())
}
