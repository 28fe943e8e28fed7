//! `cargo run -p infobip-sandbox -- --port 8080`: serves the sandbox until Ctrl-C.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use infobip_sandbox::{
    Sandbox, SandboxConfig, SessionRule, DEMO_ACCOUNT_ID, DEMO_PASSWORD, DEMO_USERNAME,
};

const USAGE: &str = "\
Usage: infobip-sandbox [OPTIONS]

A local stand-in for Infobip: authentication, API keys, balance and SMS (v3).

Options:
  --port N                 port to listen on (default: one the OS picks)
  --host IP                address to bind (default: 127.0.0.1); an address other
                           than loopback needs --allow-remote
  --allow-remote           accept connections from other machines (the demo
                           password is public: anyone who reaches it can use it)
  --max-connections N      connections served at once; more wait (default: 256)
  --session-rule RULE      create-session while a session is valid:
                           reuse (default), strict or fresh
  --session-idle-secs S    session idle timeout in seconds (default: 3600)
  --oauth-expires-in S     OAuth token lifetime in seconds (default: 3600)
  --no-throttle            switch off the rate limits (10/s; 40/day for key writes;
                           120/min for the SMS logs)
  --delivery-delay-secs S  how long an SMS stays pending before its final status
                           (default: 3)
  --undeliverable NUMBER   SMS to NUMBER end UNDELIVERABLE (repeatable)
  --rejected NUMBER        SMS to NUMBER end REJECTED (repeatable)
  -h, --help               print this help";

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<SandboxConfig>, String> {
    let mut config = SandboxConfig::default();
    let mut host = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut port = 0u16;
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => {
                port = value("--port")?
                    .parse()
                    .map_err(|_| "--port takes a number from 0 to 65535".to_owned())?;
            }
            "--host" => {
                host = value("--host")?
                    .parse()
                    .map_err(|_| "--host takes an IP address such as 127.0.0.1".to_owned())?;
            }
            "--allow-remote" => config.allow_remote = true,
            "--max-connections" => {
                config.max_connections = value("--max-connections")?
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| "--max-connections takes a number from 1 up".to_owned())?;
            }
            "--session-rule" => config.session_rule = value("--session-rule")?.parse()?,
            "--session-idle-secs" => {
                let secs: u64 = value("--session-idle-secs")?
                    .parse()
                    .map_err(|_| "--session-idle-secs takes a number of seconds".to_owned())?;
                config.session_idle = std::time::Duration::from_secs(secs);
            }
            "--oauth-expires-in" => {
                config.oauth_expires_in = value("--oauth-expires-in")?
                    .parse()
                    .map_err(|_| "--oauth-expires-in takes a number of seconds".to_owned())?;
            }
            "--no-throttle" => config.throttle = false,
            "--delivery-delay-secs" => {
                let secs: u64 = value("--delivery-delay-secs")?
                    .parse()
                    .map_err(|_| "--delivery-delay-secs takes a number of seconds".to_owned())?;
                config.delivery_delay = std::time::Duration::from_secs(secs);
            }
            "--undeliverable" => {
                config.undeliverable.insert(value("--undeliverable")?);
            }
            "--rejected" => {
                config.rejected.insert(value("--rejected")?);
            }
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    config.bind = SocketAddr::new(host, port);
    Ok(Some(config))
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        // stdout carries only the banner, so scripts can read the base URL from it.
        .with_writer(std::io::stderr)
        .init();
    let config = match parse_args(std::env::args().skip(1)) {
        Ok(Some(config)) => config,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let rule = match config.session_rule {
        SessionRule::Reuse => "reuse",
        SessionRule::Strict => "strict",
        SessionRule::Fresh => "fresh",
    };
    let throttle = config.throttle;
    let webhook_interval = config.webhook_interval;
    let delivery_delay = config.delivery_delay;
    let sandbox = match Sandbox::start(config).await {
        Ok(sandbox) => sandbox,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(warning) = sandbox.exposure_warning() {
        eprintln!("{warning}");
    }
    // The demo account exists only in this local process, so showing its password is the
    // point: it is what a user types into their service's configuration.
    println!("Infobip sandbox listening on {}", sandbox.base_url());
    if sandbox.addr().ip().is_unspecified() {
        println!(
            "  from other machines: http://<an address of this machine>:{}",
            sandbox.addr().port()
        );
    }
    println!("  demo username:   {DEMO_USERNAME}");
    println!("  demo password:   {DEMO_PASSWORD}");
    println!("  demo account id: {DEMO_ACCOUNT_ID}");
    println!(
        "  session rule: {rule}; throttling: {}",
        if throttle { "on" } else { "off" }
    );
    if let Some(interval) = webhook_interval {
        println!(
            "  SMS: final after {} s; delivery reports posted to webhooks every {} ms",
            delivery_delay.as_secs(),
            interval.as_millis()
        );
    }
    // What `ClientBuilder::from_env` (and the examples) read, ready to paste.
    println!("In another terminal:");
    println!("  export INFOBIP_BASE_URL={}", sandbox.base_url());
    println!("  export INFOBIP_AUTH=oauth2");
    println!("  export INFOBIP_USERNAME={DEMO_USERNAME}");
    println!("  export INFOBIP_PASSWORD={DEMO_PASSWORD}");
    println!("Press Ctrl-C to stop.");
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("error: cannot wait for Ctrl-C: {e}");
    }
    sandbox.shutdown().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<SandboxConfig>, String> {
        parse_args(args.iter().map(|a| (*a).to_owned()))
    }

    #[test]
    fn options_set_the_config() {
        let config = parse(&[
            "--port",
            "8080",
            "--session-rule",
            "strict",
            "--oauth-expires-in",
            "-5",
            "--session-idle-secs",
            "30",
            "--no-throttle",
            "--delivery-delay-secs",
            "10",
            "--undeliverable",
            "41790000001",
            "--rejected",
            "41790000002",
            "--rejected",
            "41790000003",
            "--allow-remote",
            "--max-connections",
            "8",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(config.bind, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(config.session_rule, SessionRule::Strict);
        assert_eq!(config.oauth_expires_in, -5);
        assert_eq!(config.session_idle, std::time::Duration::from_secs(30));
        assert!(!config.throttle);
        assert_eq!(config.delivery_delay, std::time::Duration::from_secs(10));
        assert!(config.undeliverable.contains("41790000001"));
        assert_eq!(config.rejected.len(), 2);
        assert!(config.allow_remote);
        assert_eq!(config.max_connections, 8);

        let defaults = parse(&[]).unwrap().unwrap();
        assert_eq!(defaults.bind.port(), 0);
        assert!(defaults.throttle);
        assert!(!defaults.allow_remote, "loopback only unless asked");
        assert!(
            defaults.webhook_interval.is_some(),
            "the binary posts webhooks itself"
        );
        assert!(parse(&["--help"]).unwrap().is_none());
    }

    #[test]
    fn bad_options_say_what_is_expected() {
        for (args, message) in [
            (&["--port", "x"][..], "--port takes a number"),
            (&["--port"][..], "--port needs a value"),
            (
                &["--max-connections", "0"][..],
                "--max-connections takes a number",
            ),
            (&["--session-rule", "lax"][..], "use reuse, strict or fresh"),
            (&["--verbose"][..], "unknown option `--verbose`"),
        ] {
            let err = parse(args).unwrap_err();
            assert!(err.contains(message), "{args:?}: {err}");
        }
    }
}
