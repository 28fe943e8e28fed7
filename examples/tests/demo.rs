//! The demo (`cargo xtask demo`) runs every step (every scheme, an SMS) against the sandbox, prints no secret, and
//! exits 0.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

#[test]
fn demo_passes_every_step_without_printing_secrets() {
    let output = Command::new(env!("CARGO_BIN_EXE_infobip-demo"))
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("all steps passed"), "{stdout}");
    assert!(!stdout.contains("FAILED"), "{stdout}");
    for expected in [
        "Basic: read the balance",
        "OAuth 2.0: 50 concurrent calls on a cold client share one token request",
        "POST   /auth/1/oauth2/token       no auth  -> 503",
        "IBSSO: the server ended the session",
        "DELETE /auth/1/session            IBSSO    -> 200",
        "GET    /account/1/balance         App      -> 403",
        "GET    /account/1/balance         App      -> 401",
        // The SMS steps: a send with a key scoped to it, its report, the refusal to read the
        // logs naming the scope, and the middleware's hand-written request.
        "POST   /sms/3/messages            App      -> 200",
        "DELIVERED_TO_HANDSET for 0.01 EUR",
        "GET    /sms/3/logs                App      -> 403",
        "needs one of sms:manage, sms:logs:read; the API key in use lacks them",
        "GET    /sms/3/logs                Bearer   -> 200",
    ] {
        assert!(
            stdout.contains(expected),
            "missing `{expected}` in:\n{stdout}"
        );
    }
    // Every step shows what it says: the renewal in the renewal step, one token request for
    // the 50 concurrent calls (the burst prints as one counted line).
    let step = |title: &str| {
        stdout
            .split("\n* ")
            .find(|step| step.starts_with(title))
            .unwrap_or_else(|| panic!("no step `{title}`"))
            .to_owned()
    };
    let renewal = step("OAuth 2.0: 56 minutes later the token is renewed");
    assert_eq!(
        renewal.matches("/auth/1/oauth2/token").count(),
        1,
        "{renewal}"
    );
    let burst = step("OAuth 2.0: 50 concurrent calls");
    assert_eq!(burst.matches("/auth/1/oauth2/token").count(), 1, "{burst}");
    assert!(
        stdout.contains("GET    /account/1/balance         Bearer   -> 200  x50"),
        "{stdout}"
    );
    // Three services sharing a store: one token request in that step, then the 60 calls.
    let shared = stdout
        .split("\n* ")
        .find(|step| step.starts_with("Shared token store"))
        .expect("the shared store step");
    assert_eq!(
        shared.matches("/auth/1/oauth2/token").count(),
        1,
        "{shared}"
    );
    assert!(
        shared.contains("GET    /account/1/balance         Bearer   -> 200  x60"),
        "{shared}"
    );
    for secret in [
        infobip_sandbox::DEMO_PASSWORD,
        "Basic ZGVt",
        "IBSSO ",
        "Bearer ",
    ] {
        let leaked = stdout
            .lines()
            .any(|l| l.contains(secret) && !l.contains("->"));
        assert!(!leaked, "`{secret}` printed:\n{stdout}");
    }
    assert!(
        !stdout.contains(infobip_sandbox::DEMO_PASSWORD)
            && !stderr.contains(infobip_sandbox::DEMO_PASSWORD)
    );
}
