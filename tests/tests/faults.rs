//! 401 handling and every fault the token or session endpoint (or the network) can produce,
//! against the sandbox: what is retried, how often and after how long, what the caller is
//! told; the client never panics, never loops, and never sends an authenticated call without
//! credentials.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{default_world, refused_port, World, LEGACY_500};
use infobip_auth::clock::Clock as _;
use infobip_auth::clock::ManualClock;
use infobip_auth::retry::RetryPolicy;
use infobip_auth::{AuthError, AuthFailure, ClientBuilder, ClientExt as _};
use infobip_sandbox::{Endpoint, Fault, DEMO_USERNAME};

const TOKEN: Endpoint = Endpoint::CreateOAuth2Token;
const SESSION: Endpoint = Endpoint::CreateSession;
const BALANCE: Endpoint = Endpoint::GetAccountBalance;

/// The auth failure a cold OAuth client's balance call reports, which must be an auth
/// failure.
async fn auth_failure(client: &infobip_client::account::Client) -> String {
    let err = client.get_account_balance().send().await.unwrap_err();
    let failure = AuthFailure::of(&err).unwrap_or_else(|| panic!("{err:?}"));
    failure.to_string()
}

/// A world whose token endpoint plays `faults` first.
async fn token_faults(faults: impl IntoIterator<Item = Fault>) -> World {
    let w = default_world().await;
    for fault in faults {
        w.sandbox.inject(TOKEN, fault);
    }
    w
}

// ---- 401 handling ----------------------------------------------------------------------

#[tokio::test]
async fn a_401_gets_one_reauthentication_and_one_retry() {
    let w = default_world().await;
    let client = w.oauth2();
    client.get_account_balance().send().await.unwrap();
    // The server refuses the cached token before it expires (revoked, or clocks disagree).
    w.sandbox.inject(BALANCE, Fault::status(401));
    client.get_account_balance().send().await.unwrap();
    assert_eq!(w.sandbox.count(TOKEN), 2);
    assert_eq!(w.sandbox.count(BALANCE), 3);
    let [_, renewed] = w.sandbox.issued_tokens().try_into().unwrap();
    let last = w.sandbox.requests().pop().unwrap();
    assert_eq!(
        last.header("authorization"),
        Some(format!("Bearer {renewed}").as_str())
    );
    assert_eq!(last.status, Some(200));
}

#[tokio::test]
async fn when_the_retry_is_rejected_too_the_401_reaches_the_caller() {
    let w = default_world().await;
    let client = w.oauth2();
    let rejected_twice = || w.sandbox.inject(BALANCE, Fault::status(401).times(2));

    // On a cold client: the first token, a 401, one re-auth, one retry, the 401.
    rejected_twice();
    let err = client.get_account_balance().send().await.unwrap_err();
    assert_eq!(
        err.status(),
        Some(401),
        "expected the server's 401, got {err:?}"
    );
    assert!(AuthFailure::of(&err).is_none());
    let infobip = err.infobip().cloned().unwrap();
    assert_eq!(infobip.code, "E401");
    assert_eq!(infobip.message_id.as_deref(), Some("UNAUTHORIZED"));
    assert_eq!(w.sandbox.count(BALANCE), 2, "one call, one retry");
    assert_eq!(w.sandbox.count(TOKEN), 2, "first token, one re-auth");

    // With a cached token: the same, once more (once the pause after the refused new token
    // is over: a token refused as soon as issued is remembered like a failed login).
    w.clock.advance(Duration::from_secs(1));
    client.get_account_balance().send().await.unwrap();
    rejected_twice();
    let err = client.get_account_balance().send().await.unwrap_err();
    assert!(err.status() == Some(401), "{err:?}");
    assert_eq!(w.sandbox.count(BALANCE), 5);
    // The refused token was dropped, so the call in between fetched one more.
    assert_eq!(w.sandbox.count(TOKEN), 4);
}

#[tokio::test]
async fn tokens_rejected_as_soon_as_issued_do_not_turn_calls_into_a_login_storm() {
    // Regression: a re-login after a 401 that did not help (the new token is refused too) is not
    // remembered as a failed login (auth/src/authenticator.rs returns the second 401
    // and leaves the refused token cached). A server or gateway that refuses every token it
    // issues (clock skew, a token bound to another address, a revoked client on a cache that
    // still issues tokens) therefore costs a token request per call, for ever: twenty calls in
    // a row make 21 token requests, where wrong credentials make one. Infobip allows 10
    // token requests a second per account, so a service at a few calls a second throttles the
    // whole account (and every other client of it).
    let w = default_world().await;
    let client = w.oauth2();
    w.sandbox.inject(BALANCE, Fault::status(401).times(1000));
    for _ in 0..20 {
        let err = client.get_account_balance().send().await.unwrap_err();
        // The server's 401, or (once a new token was refused too) that refusal, remembered.
        let remembered = AuthFailure::of(&err).is_some_and(|f| {
            matches!(f.error(), AuthError::CoolingDown { cause, .. }
                if matches!(**cause, AuthError::TokenRefused { .. }))
        });
        assert!(err.status() == Some(401) || remembered, "{err}");
    }
    assert!(
        w.sandbox.count(TOKEN) <= 3,
        "{} token requests for 20 calls",
        w.sandbox.count(TOKEN)
    );
}

#[tokio::test]
async fn basic_and_api_key_never_retry_a_401() {
    let w = default_world().await;
    for builder in [
        ClientBuilder::basic(DEMO_USERNAME, "wrong"),
        ClientBuilder::api_key("wrong-key"),
    ] {
        let client = w.configure(builder).build().unwrap();
        let err = client.get_account_balance().send().await.unwrap_err();
        assert_eq!(err.status(), Some(401));
    }
    assert_eq!(w.sandbox.count(BALANCE), 2);
    assert_eq!(w.sandbox.requests().len(), 2);
}

#[tokio::test]
async fn ibsso_logs_in_again_when_the_server_ends_the_session() {
    let w = default_world().await;
    let client = w.ibsso();
    for i in 0..20 {
        if i % 5 == 4 {
            w.sandbox.end_sessions(DEMO_USERNAME);
        }
        client.get_account_balance().send().await.unwrap();
        if i == 4 {
            assert_eq!(w.sandbox.count(SESSION), 2);
            assert_eq!(w.sandbox.count(BALANCE), 6, "4 + rejected + retried");
        }
    }
    assert_eq!(w.sandbox.count(SESSION), 5);
    assert_eq!(w.sandbox.count(BALANCE), 24);
    // A rejected session is ended before the next login (a 401 does not prove it gone, and
    // one left alive would block new ones): here the server had ended it, and says so.
    assert_eq!(w.sandbox.count(Endpoint::DestroySession), 4);
    assert_eq!(w.sandbox.answered(Endpoint::DestroySession), 4);
    client.logout().await.unwrap();
    assert_eq!(w.sandbox.active_sessions(DEMO_USERNAME), 0);
    w.assert_never_bare();
}

#[tokio::test]
async fn a_request_whose_body_cannot_be_replayed_is_not_retried() {
    use infobip_client::{Authenticator as _, ClientInfo as _};

    let w = default_world().await;
    let client = w.oauth2();
    client.get_account_balance().send().await.unwrap();
    w.sandbox.inject(BALANCE, Fault::status(401));

    let auth = client
        .inner()
        .downcast_ref::<infobip_auth::InfobipAuth>()
        .unwrap();
    let url = format!("{}/account/1/balance", w.sandbox.base_url());
    let stream = futures_util::stream::iter([Ok::<_, std::io::Error>("streamed")]);
    let mut request = reqwest::Client::new()
        .get(url)
        .body(reqwest::Body::wrap_stream(stream))
        .build()
        .unwrap();
    assert!(request.try_clone().is_none());
    let http = reqwest::Client::new();
    let call = infobip_client::Call {
        operation: &infobip_client::account::operations::GET_ACCOUNT_BALANCE,
        transport: &http,
    };
    auth.prepare(call, &mut request).outcome().await.unwrap();
    let response = auth.send(call, request).await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        w.sandbox.count(BALANCE),
        2,
        "the first call, then the streamed one once"
    );
    assert_eq!(w.sandbox.count(TOKEN), 1);

    // The same for a write, which no retry policy sends again: the cached token's short
    // route (auth/src/authenticator.rs, `Route::Replayable`) rather than the general one.
    w.sandbox
        .inject(Endpoint::SendSmsMessages, Fault::status(401));
    let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(r#"{"messages":[]}"#)]);
    let mut request = reqwest::Client::new()
        .post(format!("{}/sms/3/messages", w.sandbox.base_url()))
        .body(reqwest::Body::wrap_stream(stream))
        .build()
        .unwrap();
    let call = infobip_client::Call {
        operation: &infobip_client::sms::operations::SEND_SMS_MESSAGES,
        transport: &http,
    };
    auth.prepare(call, &mut request).outcome().await.unwrap();
    let response = auth.send(call, request).await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(w.sandbox.count(Endpoint::SendSmsMessages), 1, "sent once");
    assert_eq!(w.sandbox.count(TOKEN), 1);
    // Nor was the token dropped for a 401 it could not be retried after.
    client.get_account_balance().send().await.unwrap();
    assert_eq!(w.sandbox.count(TOKEN), 1);
}

/// What `client` makes of a script of 401s (each call's outcome, then every request the
/// sandbox saw: method, path, status, and which of the credentials seen so far it carried).
/// Tokens are random, so each `Authorization` value is named by the order it first appeared.
async fn replays_of(w: &World, client: &infobip_client::account::Client) -> Vec<String> {
    use infobip_client::account::types::CreateApiKeyRequest;

    let mut seen = Vec::new();
    let status = |outcome: Result<u16, infobip_client::Error>| match outcome {
        Ok(status) => status.to_string(),
        Err(err) => err
            .status()
            .map_or_else(|| err.to_string(), |s| s.to_string()),
    };
    let balance = || async {
        client
            .get_account_balance()
            .send()
            .await
            .map(|r| r.status().as_u16())
    };
    seen.push(status(balance().await));
    w.sandbox.inject(BALANCE, Fault::status(401));
    seen.push(status(balance().await));
    w.sandbox.inject(BALANCE, Fault::status(401).times(2));
    seen.push(status(balance().await));
    w.clock.advance(Duration::from_secs(1));
    seen.push(status(balance().await));
    // An answer that holds a secret, and a secret in the URL: the general route either way.
    w.sandbox.inject(Endpoint::CreateApiKey, Fault::status(401));
    let created = client
        .create_api_key()
        .body(CreateApiKeyRequest::builder().name("replayed"))
        .send()
        .await;
    seen.push(status(created.map(|r| r.status().as_u16())));
    w.sandbox
        .inject(Endpoint::GetApiKeysByFilter, Fault::status(401));
    let filtered = client
        .get_api_keys_by_filter()
        .api_key_secret("k3y")
        .send()
        .await;
    seen.push(status(filtered.map(|r| r.status().as_u16())));
    // The token's end (refused before anything is sent for OAuth 2.0), then a call that
    // needs a new one.
    let ended = client.destroy_session().send().await;
    seen.push(status(ended.map(|r| r.status().as_u16())));
    seen.push(status(balance().await));
    let mut credentials: Vec<String> = Vec::new();
    for r in w.sandbox.requests() {
        let header = r.header("authorization").unwrap_or_default().to_owned();
        let named = match credentials.iter().position(|c| *c == header) {
            Some(n) => n,
            None => {
                credentials.push(header);
                credentials.len() - 1
            }
        };
        seen.push(format!(
            "{} {} {:?} credential {named}",
            r.method, r.path, r.status
        ));
    }
    seen
}

#[test]
fn a_401_is_handled_alike_whether_or_not_the_call_is_traced() {
    // Untraced, a renewing scheme's call takes a short route of its own to the 401 replay
    // (`Route::Replayable`, auth/src/authenticator.rs); traced, the general route: the
    // requests sent, their credentials and what the caller gets must not depend on which.
    // Reads are retried by default, which takes the general route too: without that policy,
    // the balance reads go by the short one.
    for scheme in ["oauth2", "ibsso"] {
        let [untraced, traced] = [false, true].map(|traced| {
            common::run_traced(traced, async {
                let w = default_world().await;
                let builder = match scheme {
                    "oauth2" => w.oauth2_builder(),
                    _ => w.ibsso_builder(),
                };
                let client = builder.read_retry(RetryPolicy::never()).build().unwrap();
                replays_of(&w, &client).await
            })
        });
        assert_eq!(untraced, traced, "{scheme}");
    }
}

#[tokio::test]
async fn a_401_replay_that_finds_the_secret_unchanged_records_its_duration() {
    use infobip_auth::secret::SecretFn;
    use infobip_client::Products as _;
    use workspace_tests::{CapturedLogs, RecordingServer, Reply};

    let logs = CapturedLogs::default();
    let _guard = tracing::subscriber::set_default(logs.subscriber());
    let server = RecordingServer::start().await.unwrap();
    server.reply(Reply::json(
        401,
        r#"{"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"Invalid login details"}}}"#,
    ));
    // A key read from a source: a 401 reads it again, and finds it as it was.
    let infobip = ClientBuilder::api_key_from(SecretFn::new(|| Ok("k3y-0f-the-test".into())))
        .base_url(server.base_url())
        .connect()
        .unwrap();
    let error = infobip
        .account()
        .get_account_balance()
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(401), "{error}");
    let text = logs.text();
    let retry = text
        .lines()
        .find(|l| l.contains("infobip_auth.retry_401") && l.contains("close"))
        .unwrap_or_else(|| panic!("no closed retry span in:\n{text}"));
    assert!(retry.contains("outcome=\"secret unchanged\""), "{retry}");
    assert!(retry.contains("duration_ms="), "{retry}");
}

// ---- the token endpoint failing ----------------------------------------------------------

#[tokio::test]
async fn a_5xx_is_retried_and_recovers() {
    let w = token_faults([
        Fault::reply(500, LEGACY_500),
        Fault::Status {
            status: 503,
            retry_after: None,
            times: 1,
        },
    ])
    .await;
    w.oauth2().get_account_balance().send().await.unwrap();
    assert_eq!(w.sandbox.count(TOKEN), 3);
    let slept = w.clock.slept();
    assert_eq!(slept.len(), 2);
    // Jittered exponential backoff: 200 ms then 400 ms, each between half and all of it.
    assert!(slept[0] >= Duration::from_millis(100) && slept[0] <= Duration::from_millis(200));
    assert!(slept[1] >= Duration::from_millis(200) && slept[1] <= Duration::from_millis(400));
    w.assert_never_bare();
}

#[tokio::test]
async fn a_500_that_persists_ends_after_the_bounded_attempts() {
    let w = token_faults([Fault::reply(500, LEGACY_500).times(5)]).await;
    let error = auth_failure(&w.oauth2()).await;
    assert_eq!(w.sandbox.count(TOKEN), 3);
    // The scheme, the login call, how often it was tried, Infobip's words, what to do.
    for part in [
        "OAuth2",
        "`create-oauth2-token`",
        "3 attempt(s)",
        "HTTP 500 E500 Something went wrong",
        "try again later",
    ] {
        assert!(error.contains(part), "{part:?} in {error}");
    }
    assert_eq!(w.sandbox.count(BALANCE), 0, "no call without credentials");
    w.assert_never_bare();
}

#[tokio::test]
async fn a_429_honours_retry_after_in_seconds() {
    let w = token_faults([Fault::Status {
        status: 429,
        retry_after: Some(7),
        times: 1,
    }])
    .await;
    let before = std::time::Instant::now();
    let t0 = w.clock.now();
    w.oauth2().get_account_balance().send().await.unwrap();
    assert_eq!(w.clock.slept(), vec![Duration::from_secs(7)]);
    // The wait happened on the (shared, manual) clock: 7 s of it, no real seconds.
    assert!(w.clock.now() - t0 >= Duration::from_secs(7));
    assert!(before.elapsed() < Duration::from_secs(7));
    assert_eq!(w.sandbox.count(TOKEN), 2);

    // Without Retry-After: the first backoff step.
    let w = token_faults([Fault::status(429)]).await;
    let t0 = w.clock.now();
    w.oauth2().get_account_balance().send().await.unwrap();
    let waited = w.clock.now() - t0;
    assert!(
        waited >= Duration::from_millis(100) && waited <= Duration::from_millis(200),
        "{waited:?}"
    );
    assert_eq!(w.sandbox.count(TOKEN), 2);
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() {
    let in_ten_seconds =
        httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(10));
    let w =
        token_faults([Fault::reply(429, "{}").with_header("retry-after", &in_ten_seconds)]).await;
    w.oauth2().get_account_balance().send().await.unwrap();
    let [slept] = w.clock.slept().try_into().unwrap();
    assert!(
        slept > Duration::from_secs(7) && slept <= Duration::from_secs(10),
        "{slept:?}"
    );
    assert_eq!(w.sandbox.count(TOKEN), 2);
}

#[tokio::test]
async fn a_retry_after_too_large_to_parse_is_a_long_wait_not_none() {
    // Regression: `retry::retry_after` (auth/src/retry.rs) parses delay-seconds with
    // `parse::<u64>()`; a value one digit longer than u64 fails to parse, and, not being an
    // HTTP date either, is treated as if the server had sent no Retry-After at all. A server
    // (or proxy) that asks for "practically forever" then gets three requests 100-400 ms apart
    // and a 1 s pause, where `Retry-After: 3600` gets one request and a 5-minute pause.
    let w = token_faults([Fault::reply(429, "{}")
        .with_header("retry-after", "99999999999999999999")
        .times(3)])
    .await;
    let client = w.oauth2();
    let failure = failure_of(&client).await;
    assert_eq!(w.sandbox.count(TOKEN), 1, "retried at once: {failure}");
    assert!(w.clock.slept().is_empty(), "{:?}", w.clock.slept());
}

#[tokio::test]
async fn a_429_asking_for_too_long_a_wait_gives_up_at_once() {
    let w = token_faults([Fault::Status {
        status: 429,
        retry_after: Some(3600),
        times: 1,
    }])
    .await;
    let error = auth_failure(&w.oauth2()).await;
    assert_eq!(w.sandbox.count(TOKEN), 1);
    assert!(w.clock.slept().is_empty());
    assert!(
        error.contains(
            "Infobip asked to retry after 3600 s, longer than the 60 s this client waits"
        ),
        "{error}"
    );
}

#[tokio::test]
async fn bad_credentials_are_not_retried() {
    let w = default_world().await;
    let client = w
        .configure(ClientBuilder::oauth2(DEMO_USERNAME, "wrong"))
        .build()
        .unwrap();
    let err = client.get_account_balance().send().await.unwrap_err();
    assert_eq!(w.sandbox.count(TOKEN), 1);
    let failure = AuthFailure::of(&err).unwrap_or_else(|| panic!("{err:?}"));
    assert!(matches!(failure.error(), AuthError::BadCredentials { .. }));
    assert!(!failure.error().is_retryable());
    assert_eq!(
        failure.error().to_string(),
        "OAuth2 login was rejected by `create-oauth2-token` (HTTP 401 E401 Invalid login \
         details); check the username and password"
    );
    assert_eq!(failure.operation().id, "get-account-balance");
}

#[tokio::test]
async fn a_login_answered_with_another_success_status_is_not_bad_credentials() {
    // Regression: a status the spec does not declare reaches `Login::classify` as
    // `Error::UnexpectedResponse`, and every non-redirect, non-transient one is passed to the
    // operation's `refused` (auth/src/login.rs): for the token call that is
    // `AuthError::BadCredentials`, for create-session `SessionRefused`. So a 201 (a session
    // created, token in the body) or a 204 from a proxy tells the caller the password is wrong,
    // `is_retryable()` is false (the README's "page someone"), and the pause that follows is
    // the bad-credentials one. A success status with no usable token is a malformed answer
    // ("not a credentials problem", retryable), as a 200 with a bad body already is.
    for (status, body) in [
        (204, String::new()),
        (
            201,
            String::from(r#"{"access_token":"abc","expires_in":3600,"token_type":"Bearer"}"#),
        ),
    ] {
        let w = token_faults([Fault::reply(status, body)]).await;
        let failure = failure_of(&w.oauth2()).await;
        assert!(
            !matches!(failure.error(), AuthError::BadCredentials { .. }),
            "HTTP {status}: {failure}"
        );
        assert!(failure.error().is_retryable(), "HTTP {status}: {failure}");
    }
}

#[tokio::test]
async fn garbage_json_is_reported_not_retried() {
    // The sandbox cuts a token body off: `{"access_tok`.
    let w = token_faults([Fault::MalformedBody { times: 1 }]).await;
    let error = auth_failure(&w.oauth2()).await;
    assert!(
        error.contains("`create-oauth2-token` answered HTTP 200 with a body that is not a token (cut short at line 1 column 12)"),
        "{error}"
    );
    assert!(error.contains("not a credentials problem"), "{error}");
    assert_eq!(w.sandbox.count(TOKEN), 1);
    assert_eq!(w.sandbox.count(BALANCE), 0);
}

#[tokio::test]
async fn token_empty_or_wrong_json_is_reported_once() {
    for body in [
        "",
        "{}",
        "[]",
        "null",
        r#"{"access_token":42,"expires_in":"x"}"#,
    ] {
        let w = token_faults([Fault::reply(200, body)]).await;
        let message = auth_failure(&w.oauth2()).await;
        assert!(
            message.contains("with a body that is not a token"),
            "{body}: {message}"
        );
        assert!(
            !message.contains("42"),
            "the body's values are not echoed: {message}"
        );
        assert_eq!(w.sandbox.count(TOKEN), 1, "{body}");
        assert_eq!(w.sandbox.count(BALANCE), 0, "{body}");
    }
}

#[tokio::test]
async fn an_error_body_in_neither_format_is_kept_raw() {
    let w = token_faults([Fault::reply(502, "<html>Bad gateway</html>").times(3)]).await;
    let error = auth_failure(&w.oauth2()).await;
    assert!(
        error.contains("HTTP 502 E502 the error body is in neither of Infobip's formats: <html>Bad gateway</html>"),
        "{error}"
    );
    assert_eq!(w.sandbox.count(TOKEN), 3);
}

#[tokio::test]
async fn a_timeout_is_retried_then_reported() {
    let w = token_faults([Fault::Delay {
        delay: Duration::from_secs(5),
        times: 3,
    }])
    .await;
    let client = w
        .oauth2_builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let message = auth_failure(&client).await;
    assert_eq!(w.sandbox.count(TOKEN), 3);
    assert!(
        message.contains("failed after 3 attempt(s): timed out"),
        "{message}"
    );
    w.assert_never_bare();
}

#[tokio::test]
async fn a_dropped_connection_is_retried() {
    let w = token_faults([Fault::DropConnection { times: 1 }]).await;
    w.oauth2().get_account_balance().send().await.unwrap();
    assert_eq!(w.sandbox.count(TOKEN), 2);
    let statuses: Vec<_> = w
        .sandbox
        .requests()
        .iter()
        .filter(|r| r.endpoint == Some(TOKEN))
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [None, Some(200)]);
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_reported() {
    let base_url = format!("http://127.0.0.1:{}", refused_port());
    let clock = ManualClock::new();
    let client = ClientBuilder::oauth2("u", "p")
        .base_url(&base_url)
        .clock(clock.clone())
        .retry_policy(RetryPolicy {
            max_attempts: 2,
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    let err = client.get_account_balance().send().await.unwrap_err();
    assert!(
        err.to_string()
            .contains("failed after 2 attempt(s): could not connect"),
        "{err}"
    );
    assert_eq!(clock.slept().len(), 1);

    // Every scheme reports it, with or without a login first.
    for builder in [
        ClientBuilder::oauth2("u", "p"),
        ClientBuilder::ibsso("u", "p"),
        ClientBuilder::api_key("k"),
    ] {
        let client = builder
            .base_url(&base_url)
            .clock(clock.clone())
            .build()
            .unwrap();
        let err = client.get_account_balance().send().await.unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("could not connect") || message.contains("error sending request"),
            "{message}"
        );
    }
}

// ---- the session endpoint failing --------------------------------------------------------

#[tokio::test]
async fn a_session_refused_because_another_is_active_says_what_to_do() {
    let w = default_world().await;
    w.sandbox.inject(
        SESSION,
        Fault::reply(
            400,
            r#"{"requestError":{"serviceException":{"messageId":"BAD_REQUEST","text":"A session is already active for this user"}}}"#,
        ),
    );
    let client = w.ibsso();
    let err = client.get_account_balance().send().await.unwrap_err();
    let message = err.to_string();
    assert!(message.contains("Infobip refused to create a session (HTTP 400 E400 A session is already active for this user)"), "{message}");
    assert!(
        message.contains("destroyed (DELETE /auth/1/session with its token) or idles out"),
        "{message}"
    );
    assert_eq!(w.sandbox.count(SESSION), 1, "not retried");
}

#[tokio::test]
async fn a_session_create_that_may_have_succeeded_is_not_resent() {
    // A 500 or a timeout may come after the server created the session: resending could
    // leave one behind (and Infobip may then refuse every new one).
    let w = default_world().await;
    w.sandbox.inject(SESSION, Fault::reply(500, LEGACY_500));
    let client = w.ibsso();
    let message = auth_failure(&client).await;
    assert_eq!(w.sandbox.count(SESSION), 1);
    assert!(
        message.contains("(not resent: the server may have acted on it)"),
        "{message}"
    );
    // Once the pause after that failure is over, the next call logs in again, and the
    // sandbox never holds more than one session.
    w.clock.advance(Duration::from_secs(1));
    client.get_account_balance().send().await.unwrap();
    assert_eq!(w.sandbox.count(SESSION), 2);
    assert_eq!(w.sandbox.active_sessions(DEMO_USERNAME), 1);

    // 503 and 429 mean "not processed": those are retried.
    w.sandbox.end_sessions(DEMO_USERNAME);
    w.sandbox.inject(SESSION, Fault::reply(503, LEGACY_500));
    w.sandbox.inject(SESSION, Fault::reply(429, "{}"));
    client.get_account_balance().send().await.unwrap();
    assert_eq!(w.sandbox.count(SESSION), 5);

    // A dropped connection may also have created one: still never more than one.
    w.sandbox
        .inject(SESSION, Fault::DropConnection { times: 1 });
    w.sandbox.end_sessions(DEMO_USERNAME);
    let _ = client.get_account_balance().send().await;
    w.clock.advance(Duration::from_secs(1));
    client.get_account_balance().send().await.unwrap();
    assert!(w.sandbox.active_sessions(DEMO_USERNAME) <= 1);
    w.assert_never_bare();
}

// ---- failures remembered -------------------------------------------------------------------

/// The typed failure of a call that needed a login.
async fn failure_of(client: &infobip_client::account::Client) -> AuthFailure {
    let err = client.get_account_balance().send().await.unwrap_err();
    AuthFailure::of(&err)
        .cloned()
        .unwrap_or_else(|| panic!("{err:?}"))
}

#[tokio::test]
async fn a_failed_login_is_not_repeated_by_the_calls_after_it() {
    // Wrong credentials: twenty calls one after another make one token request; the others
    // get the remembered failure at once, saying when the client tries again.
    let w = default_world().await;
    let client = w
        .configure(ClientBuilder::oauth2(DEMO_USERNAME, "wrong"))
        .build()
        .unwrap();
    let first = failure_of(&client).await;
    assert!(matches!(first.error(), AuthError::BadCredentials { .. }));
    for _ in 0..19 {
        let later = failure_of(&client).await;
        match later.error() {
            AuthError::CoolingDown { cause, retry_in } => {
                assert!(matches!(**cause, AuthError::BadCredentials { .. }));
                assert_eq!(*retry_in, Duration::from_secs(1));
            }
            other => panic!("{other:?}"),
        }
        assert!(
            !later.error().is_retryable(),
            "bad credentials need a person"
        );
        assert!(
            later.to_string().contains("no new login for another 1 s"),
            "{later}"
        );
    }
    assert_eq!(w.sandbox.count(TOKEN), 1);

    // The pause grows with each failure in a row: 1 s, then 2 s.
    w.clock.advance(Duration::from_secs(1));
    failure_of(&client).await;
    assert_eq!(w.sandbox.count(TOKEN), 2);
    w.clock.advance(Duration::from_secs(1));
    let paused = failure_of(&client).await;
    assert_eq!(paused.error().retry_after(), Some(Duration::from_secs(1)));
    assert_eq!(w.sandbox.count(TOKEN), 2);

    // Clearing it (after fixing the credentials, say) lets the next call log in at once.
    client.clear_login_cooldown().await;
    failure_of(&client).await;
    assert_eq!(w.sandbox.count(TOKEN), 3);
}

#[tokio::test]
async fn the_typed_failure_is_the_one_this_call_had_not_an_older_one_with_the_same_text() {
    // Regression: `AuthFailure::raise` (auth/src/failure.rs) de-duplicates failures by their
    // Display text. `AuthError::Unavailable`'s text does not include its `retry_after`, and
    // `CoolingDown`'s rounds `retry_in` up to whole seconds, so a later failure with different
    // typed fields is handed back as the older one: `AuthFailure::of(&e).error().retry_after()`
    // tells the caller to wait 7 s when Infobip asked for 40 s (and the client itself pauses
    // for 40 s), and a remaining pause of 0.5 s reads as 1 s. Callers that back off by
    // `retry_after()`, as the README suggests, wait for the wrong time.
    let throttled = |seconds| Fault::Status {
        status: 429,
        retry_after: Some(seconds),
        times: 3,
    };
    let w = token_faults([throttled(7)]).await;
    let client = w.oauth2();
    let first = failure_of(&client).await;
    assert_eq!(first.error().retry_after(), Some(Duration::from_secs(7)));
    client.clear_login_cooldown().await;
    w.sandbox.inject(TOKEN, throttled(40));
    let second = failure_of(&client).await;
    assert_eq!(w.sandbox.count(TOKEN), 6);
    assert_eq!(
        second.error().retry_after(),
        Some(Duration::from_secs(40)),
        "{second}"
    );

    // The remaining pause, read twice half a second apart.
    let w = default_world().await;
    let wrong = w
        .configure(ClientBuilder::oauth2(DEMO_USERNAME, "wrong"))
        .build()
        .unwrap();
    failure_of(&wrong).await;
    assert_eq!(
        failure_of(&wrong).await.error().retry_after(),
        Some(Duration::from_secs(1))
    );
    w.clock.advance(Duration::from_millis(500));
    assert_eq!(
        failure_of(&wrong).await.error().retry_after(),
        Some(Duration::from_millis(500))
    );
}

#[tokio::test]
async fn a_long_retry_after_pauses_logins_up_to_the_cap() {
    let w = token_faults([Fault::reply(429, "{}").with_header("retry-after", "3600")]).await;
    let client = w.oauth2();
    let first = failure_of(&client).await;
    assert_eq!(
        first.error().retry_after(),
        Some(Duration::from_secs(3600)),
        "{first}"
    );
    for _ in 0..19 {
        let later = failure_of(&client).await;
        assert!(later.error().is_retryable(), "throttling passes");
        assert!(
            later.error().retry_after().unwrap() <= Duration::from_secs(300),
            "{later}"
        );
    }
    assert_eq!(w.sandbox.count(TOKEN), 1);
    // A bogus header from a proxy cannot stop a service for an hour: 5 minutes at most.
    w.clock.advance(Duration::from_secs(299));
    failure_of(&client).await;
    assert_eq!(w.sandbox.count(TOKEN), 1);
    w.clock.advance(Duration::from_secs(1));
    client.get_account_balance().send().await.unwrap();
    assert_eq!(w.sandbox.count(TOKEN), 2);
}

#[tokio::test]
async fn a_pause_longer_than_any_clock_holds_logins_instead_of_panicking_into_a_login_loop() {
    // Regression: `Lease::complete` (auth/src/cache.rs) computes `now + pause` with no
    // overflow check. A pause that does not fit in an `Instant` (a `LoginCooldown` whose
    // `first`/`max` are `Duration::MAX`, which a careless caller sets to mean "after a failed
    // login, wait until I call clear_login_cooldown()"; or `max_retry_after: Duration::MAX`,
    // "honour whatever Retry-After says", with a proxy sending `Retry-After:
    // 18446744073709551615`) panics inside the spawned login task. The lease is then dropped
    // without an outcome, the waiting caller elects itself leader again and logs in again:
    // the failed login is repeated in a tight loop for as long as it fails. With wrong
    // credentials that is an endless stream of token requests (account lock-out, 429s) and a
    // call that never returns; `build()` accepts both settings.
    let never_again = infobip_auth::retry::LoginCooldown {
        first: Duration::MAX,
        max: Duration::MAX,
        ..infobip_auth::retry::LoginCooldown::default()
    };
    let any_retry_after = infobip_auth::retry::LoginCooldown {
        max_retry_after: Duration::MAX,
        ..infobip_auth::retry::LoginCooldown::default()
    };
    let refused = Fault::status(401).times(20);
    let far_retry_after = Fault::reply(429, "{}")
        .with_header("retry-after", &u64::MAX.to_string())
        .times(20);
    for (cooldown, fault) in [(never_again, refused), (any_retry_after, far_retry_after)] {
        // 20 failures queued: with the defect the call loops through all of them and then
        // succeeds; without it, it fails once and the failure is remembered.
        let w = token_faults([fault]).await;
        let client = w.oauth2_builder().login_cooldown(cooldown).build().unwrap();
        let first = client.get_account_balance().send().await;
        assert!(
            first.is_err(),
            "{cooldown:?}: the failed login was repeated until it passed"
        );
        assert_eq!(w.sandbox.count(TOKEN), 1, "{cooldown:?}");
        let again = failure_of(&client).await;
        assert!(
            matches!(again.error(), AuthError::CoolingDown { .. }),
            "{cooldown:?}: {again}"
        );
        assert_eq!(w.sandbox.count(TOKEN), 1, "{cooldown:?}");
    }
}

#[tokio::test]
async fn a_session_create_that_may_have_acted_is_not_resent_by_later_calls() {
    let w = default_world().await;
    w.sandbox.inject(SESSION, Fault::reply(500, LEGACY_500));
    let client = w.ibsso();
    for _ in 0..20 {
        failure_of(&client).await;
    }
    assert_eq!(w.sandbox.count(SESSION), 1);
    w.clock.advance(Duration::from_secs(1));
    client.get_account_balance().send().await.unwrap();
    assert_eq!(w.sandbox.count(SESSION), 2);
    assert_eq!(w.sandbox.active_sessions(DEMO_USERNAME), 1);
}

// ---- redirects ---------------------------------------------------------------------------

#[tokio::test]
async fn a_login_redirect_is_refused_and_names_where_it_pointed() {
    let elsewhere = workspace_tests::RecordingServer::start().await.unwrap();
    let target = format!("{}/steal?from=infobip", elsewhere.base_url());
    for (endpoint, status, client) in [(TOKEN, 307, "oauth2"), (SESSION, 302, "ibsso")] {
        let w = default_world().await;
        w.sandbox.inject(
            endpoint,
            Fault::reply(status, "").with_header("location", &target),
        );
        let client = match client {
            "oauth2" => w.oauth2(),
            _ => w.ibsso(),
        };
        let failure = failure_of(&client).await;
        match failure.error() {
            AuthError::Redirected {
                status: got,
                location,
                ..
            } => {
                assert_eq!(*got, status);
                assert_eq!(location, &format!("{}/steal", elsewhere.base_url()));
            }
            other => panic!("{other:?}"),
        }
        assert!(!failure.error().is_retryable());
        assert_eq!(w.sandbox.count(endpoint), 1);
    }
    assert!(
        elsewhere.requests().is_empty(),
        "credentials followed a redirect"
    );
}

#[tokio::test]
async fn an_ordinary_call_follows_no_redirect() {
    let elsewhere = workspace_tests::RecordingServer::start().await.unwrap();
    let w = default_world().await;
    w.sandbox.inject(
        Endpoint::GetApiKeysByFilter,
        Fault::reply(307, "").with_header("location", &elsewhere.base_url()),
    );
    let err = w
        .basic()
        .get_api_keys_by_filter()
        .api_key_secret("key-S3CRET")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(307), "{err}");
    assert!(elsewhere.requests().is_empty());
}

#[tokio::test]
async fn a_product_client_that_follows_redirects_takes_no_other_hosts_401_for_infobips() {
    // The untraced call of a cached token goes to the transport by a short route of its own
    // (auth/src/authenticator.rs, `Route::Replayable`): with an HTTP client of the caller's
    // that follows redirects, the 401 of the host a redirect led to must still be handed back
    // as it came, the token kept and nothing sent again.
    use workspace_tests::{RecordingServer, Reply};

    let w = default_world().await;
    let client = w
        .oauth2_builder()
        .http_client(reqwest::Client::new())
        // Retried reads take the general route.
        .read_retry(RetryPolicy::never())
        .build()
        .unwrap();
    client.get_account_balance().send().await.unwrap();
    let elsewhere = RecordingServer::start_with(|_| Reply::json(401, r#"{"error":"who?"}"#))
        .await
        .unwrap();
    w.sandbox.inject(
        BALANCE,
        Fault::reply(302, "").with_header("location", &format!("{}/login", elsewhere.base_url())),
    );
    let err = client.get_account_balance().send().await.unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");
    assert_eq!(
        w.sandbox.count(BALANCE),
        2,
        "sent again after another host's 401"
    );
    assert_eq!(elsewhere.requests().len(), 1);
    assert!(elsewhere.requests()[0].header("authorization").is_none());

    client.get_account_balance().send().await.unwrap();
    assert_eq!(
        w.sandbox.count(TOKEN),
        1,
        "the token was dropped for another host's 401"
    );
}

#[tokio::test]
async fn a_retried_read_that_follows_a_redirect_takes_no_other_hosts_401_for_infobips() {
    // The same, on the route of a read with a retry policy (the default;
    // auth/src/authenticator.rs, `Route::Retrying`): another host's 401 is neither replayed
    // nor retried, and the token is kept.
    use workspace_tests::{RecordingServer, Reply};

    let w = default_world().await;
    let client = w
        .oauth2_builder()
        .http_client(reqwest::Client::new())
        .build()
        .unwrap();
    client.get_account_balance().send().await.unwrap();
    let elsewhere = RecordingServer::start_with(|_| Reply::json(401, r#"{"error":"who?"}"#))
        .await
        .unwrap();
    w.sandbox.inject(
        BALANCE,
        Fault::reply(302, "").with_header("location", &format!("{}/login", elsewhere.base_url())),
    );
    let err = client.get_account_balance().send().await.unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");
    assert_eq!(w.sandbox.count(BALANCE), 2);
    assert_eq!(elsewhere.requests().len(), 1);
    assert!(elsewhere.requests()[0].header("authorization").is_none());
    assert!(w.clock.slept().is_empty(), "a 401 is not retried");
    client.get_account_balance().send().await.unwrap();
    assert_eq!(
        w.sandbox.count(TOKEN),
        1,
        "the token was dropped for another host's 401"
    );
}

#[tokio::test]
async fn an_explicit_login_call_never_follows_a_redirect_whatever_the_http_client() {
    // Regression: the README says "Login calls go through a client of the crate's own that follows
    // no redirects, whatever `http_client` you pass", but only the logins the crate makes
    // itself do. `client.create_oauth2_token()` / `client.create_session()` called on a client
    // from `ClientBuilder` (the CLI's `auth login`, a tool that fetches a token to hand on) are
    // sent by `InfobipAuth::send` (auth/src/authenticator.rs) through `call.transport`,
    // the caller's `http_client`. reqwest's default client follows a 307 and resends the body,
    // so the account's username and password go to whatever host the Location names.
    use infobip_client::account::types::{CreateOAuth2TokenRequest, GrantType};
    let elsewhere = workspace_tests::RecordingServer::start().await.unwrap();
    let w = default_world().await;
    w.sandbox.inject(
        TOKEN,
        Fault::reply(307, "").with_header("location", &format!("{}/steal", elsewhere.base_url())),
    );
    let client = w
        .oauth2_builder()
        .http_client(reqwest::Client::new())
        // Retried reads take the general route.
        .read_retry(RetryPolicy::never())
        .build()
        .unwrap();
    let _ = client
        .create_oauth2_token()
        .body(CreateOAuth2TokenRequest::new(
            DEMO_USERNAME,
            infobip_sandbox::DEMO_PASSWORD,
            GrantType::ClientCredentials,
        ))
        .send()
        .await;
    let leaked: Vec<String> = elsewhere.requests().into_iter().map(|r| r.body).collect();
    assert!(
        leaked.is_empty(),
        "the credentials followed the redirect to another origin ({} request(s))",
        leaked.len()
    );
}

// ---- a client without timeouts -----------------------------------------------------------

#[tokio::test]
async fn a_hung_login_is_bounded_even_with_a_client_without_timeouts() {
    let w = default_world().await;
    w.sandbox.inject(
        TOKEN,
        Fault::Delay {
            delay: Duration::from_secs(30),
            times: 3,
        },
    );
    let client = w
        .oauth2_builder()
        .http_client(reqwest::Client::new())
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let failure = failure_of(&client).await;
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert!(failure.to_string().contains("timed out"), "{failure}");
}
