//! `infobip sandbox`: a local Infobip with a demo account, until Ctrl-C.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use infobip_sandbox::{
    Endpoint, Sandbox, SandboxConfig, DEMO_ACCOUNT_ID, DEMO_PASSWORD, DEMO_USERNAME,
};

use crate::failure::Failure;

/// `infobip sandbox`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
The sandbox keeps everything in memory: accounts, sessions, tokens, API keys, messages. It \
is gone when it stops. While it runs, it prints a line each time it issues an OAuth token or \
creates a session, so you can watch the command line reuse one token across commands.")]
pub struct Serve {
    /// The port to listen on (default: one the system picks)
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The address to listen on; one other than loopback needs --allow-remote
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    /// Accept connections from other machines (the demo password is public: anyone who
    /// reaches the sandbox can use it)
    #[arg(long)]
    allow_remote: bool,
}

impl Serve {
    /// Runs it until Ctrl-C.
    pub async fn run(self) -> Result<(), Failure> {
        let config = SandboxConfig::default()
            .with_bind(SocketAddr::new(self.host, self.port))
            .with_allow_remote(self.allow_remote);
        let sandbox = Sandbox::start(config)
            .await
            .map_err(|e| Failure::local(e.to_string()))?;
        if let Some(warning) = sandbox.exposure_warning() {
            eprintln!("{warning}\n");
        }
        // Loopback even when listening on every interface: the instructions are for this
        // machine, and nothing can connect to 0.0.0.0.
        let url = sandbox.base_url().to_owned();
        let elsewhere = if sandbox.addr().ip().is_unspecified() {
            format!(
                "\nOther machines reach it at http://<an address of this machine>:{}",
                sandbox.addr().port()
            )
        } else {
            String::new()
        };
        // The demo account exists only in this process: printing its password is the point.
        println!(
            "Infobip sandbox listening on {url} (demo account {DEMO_USERNAME}, id {DEMO_ACCOUNT_ID}){elsewhere}

Use it from another terminal, with the variables:
  export INFOBIP_BASE_URL={url}
  export INFOBIP_AUTH=oauth2
  export INFOBIP_USERNAME={DEMO_USERNAME}
  export INFOBIP_PASSWORD={DEMO_PASSWORD}
  infobip whoami

or signed in once as a profile:
  printf '%s\\n' {DEMO_PASSWORD} | infobip login --profile sandbox --base-url {url} --username {DEMO_USERNAME}
  infobip --profile sandbox sms send --to 41793026727 --text 'Hello'

Token requests are counted below: ten commands in a row should make one.
Press Ctrl-C to stop."
        );
        let watch = watch(&sandbox);
        tokio::select! {
            () = watch => {}
            stopped = tokio::signal::ctrl_c() => {
                if let Err(e) = stopped {
                    eprintln!("error: cannot wait for Ctrl-C: {e}");
                }
            }
        }
        sandbox.shutdown().await;
        println!("Sandbox stopped.");
        Ok(())
    }
}

/// Prints the count of tokens and sessions issued whenever it changes. Wakes only when a
/// request arrives or is answered, and reads two counters: nothing is copied, and an idle
/// sandbox costs nothing.
async fn watch(sandbox: &Sandbox) {
    let mut changes = sandbox.log_changed();
    let mut shown = (0, 0);
    while changes.changed().await.is_ok() {
        let now = (
            sandbox.answered(Endpoint::CreateOAuth2Token),
            sandbox.answered(Endpoint::CreateSession),
        );
        if now != shown {
            println!(
                "  token requests so far: {} OAuth, {} session",
                now.0, now.1
            );
            shown = now;
        }
    }
}
