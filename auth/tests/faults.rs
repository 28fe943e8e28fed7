//! 401 handling and token-endpoint failures: what is retried, how often, and what the caller
//! is told.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{env, BALANCE, SESSION, TOKEN};
use infobip_auth::{AuthError, AuthFailure, ClientBuilder, InfobipError, RetryPolicy};
use infobip_client::Error;
use workspace_tests::Reply;

const LEGACY_500: &str = r#"{"requestError":{"serviceException":{"messageId":"GENERAL_ERROR","text":"Something went wrong"}}}"#;

#[tokio::test]
async fn a_401_gets_one_reauthentication_and_one_retry() {
    let env = env().await;
    let client = env.oauth2().build().unwrap();
    client.get_account_balance().send().await.unwrap();
    env.fake.revoke_all();
    client.get_account_balance().send().await.unwrap();
    assert_eq!(env.count("POST", TOKEN), 2);
    assert_eq!(env.count("GET", BALANCE), 3);
    let last = env.server.requests().pop().unwrap();
    assert_eq!(last.header("authorization"), Some("Bearer oauth-2-SECRET"));
}

#[tokio::test]
async fn when_the_retry_is_rejected_too_the_401_reaches_the_caller() {
    // A server that accepts logins but rejects every token.
    let server = workspace_tests::RecordingServer::start_with(|r| match r.path.as_str() {
        "/auth/1/oauth2/token" => Reply::json(
            200,
            r#"{"access_token":"t-SECRET","expires_in":3600,"token_type":"Bearer"}"#,
        ),
        _ => Reply::json(
            401,
            r#"{"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"Invalid login details"}}}"#,
        ),
    })
    .await
    .unwrap();
    let client = ClientBuilder::oauth2("u", "p")
        .base_url(server.base_url())
        .build()
        .unwrap();
    let err = client.get_account_balance().send().await.unwrap_err();
    let Error::ErrorResponse(response) = &err else {
        panic!("expected the server's 401, got {err:?}")
    };
    assert_eq!(response.status(), 401);
    assert!(!infobip_auth::is_auth_failure(&err));
    let infobip = InfobipError::from_client_error(&err).unwrap();
    assert_eq!(infobip.code, "E401");
    assert_eq!(infobip.message_id.as_deref(), Some("UNAUTHORIZED"));
    assert_eq!(server.count("GET", BALANCE), 2, "one call, one retry");
    assert_eq!(server.count("POST", TOKEN), 2, "first token, one re-auth");
}

#[tokio::test]
async fn basic_and_api_key_never_retry_a_401() {
    let env = env().await;
    for builder in [
        ClientBuilder::basic("nobody", "wrong"),
        ClientBuilder::api_key("wrong-key"),
    ] {
        let client = builder.base_url(env.server.base_url()).build().unwrap();
        let err = client.get_account_balance().send().await.unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    }
    assert_eq!(env.count("GET", BALANCE), 2);
    assert_eq!(env.server.requests().len(), 2);
}

#[tokio::test]
async fn ibsso_logs_in_again_when_the_server_ends_the_session() {
    let env = env().await;
    let client = env.ibsso().build().unwrap();
    client.get_account_balance().send().await.unwrap();
    env.fake.revoke_all();
    client.get_account_balance().send().await.unwrap();
    assert_eq!(env.count("POST", SESSION), 2);
    // The rejected session is not destroyed: the server already ended it.
    assert_eq!(env.count("DELETE", SESSION), 0);
}

/// The auth failure a balance call reports when the token endpoint answers `replies`.
async fn token_error(replies: Vec<Reply>) -> (String, common::Env) {
    let env = env().await;
    for reply in replies {
        env.fake.fail_next_login(reply);
    }
    let client = env.oauth2().build().unwrap();
    let err = client.get_account_balance().send().await.unwrap_err();
    let failure = AuthFailure::of(&err).unwrap_or_else(|| panic!("{err:?}"));
    (failure.to_string(), env)
}

#[tokio::test]
async fn a_500_is_retried_and_recovers() {
    let env = env().await;
    env.fake.fail_next_login(Reply::json(500, LEGACY_500));
    env.fake.fail_next_login(Reply::json(500, LEGACY_500));
    let client = env.oauth2().build().unwrap();
    client.get_account_balance().send().await.unwrap();
    assert_eq!(env.count("POST", TOKEN), 3);
    let slept = env.clock.slept();
    assert_eq!(slept.len(), 2);
    // Jittered exponential backoff: 200 ms then 400 ms, each between half and all of it.
    assert!(slept[0] >= Duration::from_millis(100) && slept[0] <= Duration::from_millis(200));
    assert!(slept[1] >= Duration::from_millis(200) && slept[1] <= Duration::from_millis(400));
}

#[tokio::test]
async fn a_500_that_persists_ends_after_the_bounded_attempts() {
    let (error, env) = token_error(vec![Reply::json(500, LEGACY_500); 5]).await;
    assert_eq!(env.count("POST", TOKEN), 3);
    assert!(
        error.starts_with(
            "infobip auth failed for `get-account-balance` with OAuth2: `create-oauth2-token` \
             failed after 3 attempt(s): HTTP 500 E500 Something went wrong. Infobip may be \
             unavailable or throttling this account; try again later [infobip-auth failure #"
        ),
        "{error}"
    );
    assert_eq!(env.count("GET", BALANCE), 0, "no call without credentials");
}

#[tokio::test]
async fn a_429_honours_retry_after() {
    let env = env().await;
    env.fake.fail_next_login(
        Reply::json(429, r#"{"requestError":{"serviceException":{"messageId":"TOO_MANY_REQUESTS","text":"Too many requests"}}}"#)
            .header("retry-after", "7"),
    );
    let client = env.oauth2().build().unwrap();
    client.get_account_balance().send().await.unwrap();
    assert_eq!(env.clock.slept(), vec![Duration::from_secs(7)]);
    assert_eq!(env.count("POST", TOKEN), 2);
}

#[tokio::test]
async fn a_429_asking_for_too_long_a_wait_gives_up_at_once() {
    let (error, env) =
        token_error(vec![Reply::json(429, "{}").header("retry-after", "3600")]).await;
    assert_eq!(env.count("POST", TOKEN), 1);
    assert!(env.clock.slept().is_empty());
    assert!(
        error.contains(
            "Infobip asked to retry after 3600 s, longer than the 60 s this client waits"
        ),
        "{}",
        error
    );
}

#[tokio::test]
async fn bad_credentials_are_not_retried() {
    let env = env().await;
    let client = ClientBuilder::oauth2("fake-user", "wrong")
        .base_url(env.server.base_url())
        .clock(env.clock.clone())
        .build()
        .unwrap();
    let err = client.get_account_balance().send().await.unwrap_err();
    assert_eq!(env.count("POST", TOKEN), 1);
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
async fn garbage_json_is_reported_not_retried() {
    let (error, env) = token_error(vec![Reply::json(200, r#"{"access_tok"#)]).await;
    assert_eq!(env.count("POST", TOKEN), 1);
    assert!(
        error.contains("`create-oauth2-token` answered HTTP 200 with a body that is not a token (Eof JSON error at line 1 column 12)"),
        "{error}"
    );
}

#[tokio::test]
async fn an_error_body_in_neither_format_is_kept_raw() {
    let (error, _env) = token_error(vec![Reply::json(502, "<html>Bad gateway</html>"); 3]).await;
    assert!(
        error.contains("HTTP 502 E502 the error body is in neither of Infobip's formats: <html>Bad gateway</html>"),
        "{}",
        error
    );
}

#[tokio::test]
async fn a_timeout_is_retried_then_reported() {
    let env = env().await;
    for _ in 0..3 {
        env.fake
            .fail_next_login(Reply::empty(200).delayed(Duration::from_secs(5)));
    }
    let client = env
        .oauth2()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = client.get_account_balance().send().await.unwrap_err();
    assert_eq!(env.count("POST", TOKEN), 3);
    assert!(
        err.to_string()
            .contains("failed after 3 attempt(s): timed out"),
        "{err}"
    );
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_reported() {
    // Bind and drop to get a port that nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let clock = infobip_auth::ManualClock::new();
    let client = ClientBuilder::oauth2("u", "p")
        .base_url(format!("http://127.0.0.1:{port}"))
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
}

#[tokio::test]
async fn a_session_refused_because_another_is_active_says_what_to_do() {
    let env = env().await;
    env.fake.fail_next_login(Reply::json(
        400,
        r#"{"requestError":{"serviceException":{"messageId":"BAD_REQUEST","text":"A session is already active for this user"}}}"#,
    ));
    let client = env.ibsso().build().unwrap();
    let err = client.get_account_balance().send().await.unwrap_err();
    let message = err.to_string();
    assert!(message.contains("Infobip refused to create a session (HTTP 400 E400 A session is already active for this user)"), "{message}");
    assert!(
        message.contains("destroyed (DELETE /auth/1/session with its token) or idles out"),
        "{message}"
    );
    assert_eq!(env.count("POST", SESSION), 1, "not retried");
}

#[tokio::test]
async fn a_request_whose_body_cannot_be_replayed_is_not_retried() {
    use infobip_client::{Authenticator as _, ClientInfo as _};

    let env = env().await;
    let client = env.oauth2().build().unwrap();
    client.get_account_balance().send().await.unwrap();
    env.fake.revoke_all();

    let auth = client
        .inner()
        .downcast_ref::<infobip_auth::InfobipAuth>()
        .unwrap();
    let url = format!("{}{BALANCE}", env.server.base_url());
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
    auth.prepare(call, &mut request).await.unwrap();
    let response = auth.send(call, request).await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        env.count("GET", BALANCE),
        2,
        "the first call, then the streamed one once"
    );
    assert_eq!(env.count("POST", TOKEN), 1);
}

#[tokio::test]
async fn a_session_create_that_may_have_succeeded_is_not_resent() {
    // A 500 or a timeout may come after the server created the session: resending could
    // leave one behind (and Infobip may then refuse every new one).
    let env = env().await;
    env.fake.fail_next_login(Reply::json(500, LEGACY_500));
    let client = env.ibsso().build().unwrap();
    let err = client.get_account_balance().send().await.unwrap_err();
    assert_eq!(env.count("POST", SESSION), 1);
    assert!(
        err.to_string()
            .contains("(not resent: the server may have acted on it)"),
        "{err}"
    );
    // 503 and 429 mean "not processed": those are retried.
    env.fake.fail_next_login(Reply::json(503, LEGACY_500));
    env.fake.fail_next_login(Reply::json(429, "{}"));
    client.get_account_balance().send().await.unwrap();
    assert_eq!(env.count("POST", SESSION), 4);
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() {
    let env = env().await;
    let in_ten_seconds =
        httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(10));
    env.fake
        .fail_next_login(Reply::json(429, "{}").header("retry-after", &in_ten_seconds));
    let client = env.oauth2().build().unwrap();
    client.get_account_balance().send().await.unwrap();
    let [slept] = env.clock.slept().try_into().unwrap();
    assert!(
        slept > Duration::from_secs(7) && slept <= Duration::from_secs(10),
        "{slept:?}"
    );
}
