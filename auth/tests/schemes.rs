//! What each scheme puts on the wire, and what it refuses to send.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{env, BALANCE, SESSION, TOKEN};
use infobip_auth::{AuthError, ClientExt as _, Scheme};
use infobip_client::account::operations as ops;
use workspace_tests::fake::{basic_credentials, API_KEY};

#[tokio::test]
async fn basic_sends_base64_of_username_and_password() {
    let env = env().await;
    let client = env.basic().build().unwrap();
    client.get_account_balance().send().await.unwrap();
    let [request] = env.server.take_requests().try_into().unwrap();
    assert_eq!(
        request.header("authorization").unwrap(),
        format!("Basic {}", basic_credentials())
    );
    assert_eq!(client.auth_scheme(), Some(Scheme::Basic));
}

#[tokio::test]
async fn api_key_sends_app_prefix() {
    let env = env().await;
    let client = env.api_key().build().unwrap();
    client.get_account_balance().send().await.unwrap();
    let [request] = env.server.take_requests().try_into().unwrap();
    assert_eq!(
        request.header("authorization").unwrap(),
        format!("App {API_KEY}")
    );
}

#[tokio::test]
async fn ibsso_logs_in_without_a_header_then_sends_the_session_token() {
    let env = env().await;
    let client = env.ibsso().build().unwrap();
    client.get_account_balance().send().await.unwrap();
    let [login, call] = env.server.take_requests().try_into().unwrap();
    assert_eq!(
        (login.method.as_str(), login.path.as_str()),
        ("POST", SESSION)
    );
    assert_eq!(login.header("authorization"), None);
    assert_eq!(call.header("authorization"), Some("IBSSO ibsso-1-SECRET"));
}

#[tokio::test]
async fn oauth2_fetches_without_a_header_then_sends_bearer() {
    let env = env().await;
    let client = env.oauth2().build().unwrap();
    client.get_account_balance().send().await.unwrap();
    let [login, call] = env.server.take_requests().try_into().unwrap();
    assert_eq!(
        (login.method.as_str(), login.path.as_str()),
        ("POST", TOKEN)
    );
    assert_eq!(login.header("authorization"), None);
    assert_eq!(call.header("authorization"), Some("Bearer oauth-1-SECRET"));
}

#[tokio::test]
async fn explicit_login_calls_never_carry_credentials_in_a_header() {
    let env = env().await;
    for client in [
        env.basic().build().unwrap(),
        env.api_key().build().unwrap(),
        env.ibsso().build().unwrap(),
        env.oauth2().build().unwrap(),
    ] {
        let _ = client
            .create_session()
            .body(
                infobip_client::account::types::CreateSessionRequest::builder()
                    .username("x")
                    .password("y"),
            )
            .send()
            .await;
        let _ = client
            .create_oauth2_token()
            .body(
                infobip_client::account::types::CreateOAuth2TokenRequest::builder()
                    .client_id("x")
                    .client_secret("y")
                    .grant_type(infobip_client::account::types::GrantType::ClientCredentials),
            )
            .send()
            .await;
    }
    let requests = env.server.take_requests();
    assert_eq!(requests.len(), 8);
    assert!(requests.iter().all(|r| r.header("authorization").is_none()));
}

#[tokio::test]
async fn an_operation_that_does_not_accept_the_scheme_fails_before_any_network() {
    let env = env().await;
    let client = env.api_key().build().unwrap();
    let err = client.get_api_keys_by_filter().send().await.unwrap_err();
    assert!(infobip_auth::is_auth_failure(&err), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("`get-api-keys-by-filter` does not accept APIKeyHeader; it accepts Basic, IBSSOTokenHeader, OAuth2"),
        "{message}"
    );
    let err = env
        .oauth2()
        .build()
        .unwrap()
        .destroy_session()
        .send()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("`destroy-session` does not accept OAuth2"),
        "{err}"
    );
    assert!(env.server.requests().is_empty());
}

#[tokio::test]
async fn destroy_session_without_a_session_says_so() {
    let env = env().await;
    let client = env.ibsso().build().unwrap();
    let err = client.destroy_session().send().await.unwrap_err();
    let failure = infobip_auth::AuthFailure::of(&err).unwrap();
    assert!(matches!(failure.error(), AuthError::NoSession), "{err}");
    assert!(env.server.requests().is_empty());
}

#[tokio::test]
async fn destroy_session_uses_the_sessions_own_token_and_forgets_it() {
    let env = env().await;
    let client = env.ibsso().build().unwrap();
    client.get_account_balance().send().await.unwrap();
    client.destroy_session().send().await.unwrap();
    client.get_account_balance().send().await.unwrap();
    let requests = env.server.take_requests();
    let summary: Vec<String> = requests
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r.method,
                r.path,
                r.header("authorization").unwrap_or("-")
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "POST /auth/1/session -",
            "GET /account/1/balance IBSSO ibsso-1-SECRET",
            "DELETE /auth/1/session IBSSO ibsso-1-SECRET",
            "POST /auth/1/session -",
            "GET /account/1/balance IBSSO ibsso-2-SECRET",
        ]
    );
}

#[tokio::test]
async fn key_management_works_with_every_scheme_that_may_use_it() {
    let env = env().await;
    for builder in [env.basic(), env.ibsso(), env.oauth2()] {
        let client = builder.build().unwrap();
        client.get_api_keys_by_filter().send().await.unwrap();
    }
    assert_eq!(env.count("GET", "/settings/2/api-keys"), 3);
    assert!(ops::GET_API_KEYS_BY_FILTER.accepts(Scheme::OAuth2));
    let _ = BALANCE;
}
