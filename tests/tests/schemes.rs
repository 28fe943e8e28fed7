//! What each scheme puts on the wire against the sandbox, what it refuses to send, and key
//! management with every scheme that may use it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{basic_header, default_world};
use infobip_auth::{AuthError, ClientExt as _, Scheme};
use infobip_client::account::operations as ops;
use infobip_client::account::types::{
    CreateApiKeyRequest, CreateOAuth2TokenRequest, CreateSessionRequest, GrantType,
    UpdateApiKeyRequest,
};
use infobip_sandbox::{Endpoint, SchemeUsed, MANAGE_SCOPE};

const BALANCE: Endpoint = Endpoint::GetAccountBalance;

#[tokio::test]
async fn basic_sends_base64_of_username_and_password() {
    let w = default_world().await;
    let client = w.basic();
    let balance = client.get_account_balance().send().await.unwrap();
    assert_eq!(balance.currency, "EUR");
    let [request] = w.sandbox.requests().try_into().unwrap();
    assert_eq!(
        request.header("authorization").unwrap(),
        basic_header().as_str()
    );
    assert_eq!(request.status, Some(200));
    assert_eq!(w.sandbox.count_with(BALANCE, Some(SchemeUsed::Basic)), 1);
    assert_eq!(client.auth_scheme(), Some(Scheme::Basic));
}

#[tokio::test]
async fn api_key_sends_app_prefix() {
    let w = default_world().await;
    let secret = w.new_key_secret("app");
    let client = w.api_key(&secret);
    let balance = client.get_account_balance().send().await.unwrap();
    assert_eq!(balance.currency, "EUR");
    let [request] = w.sandbox.requests().try_into().unwrap();
    assert_eq!(
        request.header("authorization").unwrap(),
        format!("App {secret}")
    );
    assert_eq!(request.status, Some(200));
    assert_eq!(w.sandbox.count_with(BALANCE, Some(SchemeUsed::ApiKey)), 1);
}

#[tokio::test]
async fn ibsso_logs_in_without_a_header_then_sends_the_session_token() {
    let w = default_world().await;
    let client = w.ibsso();
    let balance = client.get_account_balance().send().await.unwrap();
    assert_eq!(balance.currency, "EUR");
    let [login, call] = w.sandbox.requests().try_into().unwrap();
    assert_eq!(
        (login.method.as_str(), login.path.as_str()),
        ("POST", "/auth/1/session")
    );
    assert_eq!(login.header("authorization"), None);
    let [session] = w.sandbox.issued_tokens().try_into().unwrap();
    assert_eq!(
        call.header("authorization"),
        Some(format!("IBSSO {session}").as_str())
    );
    assert_eq!(call.status, Some(200));
    assert_eq!(w.sandbox.count_with(BALANCE, Some(SchemeUsed::Ibsso)), 1);
}

#[tokio::test]
async fn oauth2_fetches_without_a_header_then_sends_bearer() {
    let w = default_world().await;
    let client = w.oauth2();
    let balance = client.get_account_balance().send().await.unwrap();
    assert_eq!(balance.currency, "EUR");
    let [login, call] = w.sandbox.requests().try_into().unwrap();
    assert_eq!(
        (login.method.as_str(), login.path.as_str()),
        ("POST", "/auth/1/oauth2/token")
    );
    assert_eq!(login.header("authorization"), None);
    let [token] = w.sandbox.issued_tokens().try_into().unwrap();
    assert_eq!(
        call.header("authorization"),
        Some(format!("Bearer {token}").as_str())
    );
    assert_eq!(call.status, Some(200));
    assert_eq!(w.sandbox.count_with(BALANCE, Some(SchemeUsed::Bearer)), 1);
}

#[tokio::test]
async fn explicit_login_calls_never_carry_credentials_in_a_header() {
    let w = default_world().await;
    let secret = w.new_key_secret("login calls");
    for client in [w.basic(), w.api_key(&secret), w.ibsso(), w.oauth2()] {
        let _ = client
            .create_session()
            .body(CreateSessionRequest::builder().username("x").password("y"))
            .send()
            .await;
        let _ = client
            .create_oauth2_token()
            .body(
                CreateOAuth2TokenRequest::builder()
                    .client_id("x")
                    .client_secret("y")
                    .grant_type(GrantType::ClientCredentials),
            )
            .send()
            .await;
    }
    let requests = w.sandbox.requests();
    assert_eq!(requests.len(), 8);
    assert!(requests.iter().all(|r| r.header("authorization").is_none()));
}

#[tokio::test]
async fn an_operation_that_does_not_accept_the_scheme_fails_before_any_network() {
    let w = default_world().await;
    let secret = w.new_key_secret("refused");
    let client = w.api_key(&secret);
    let err = client.get_api_keys_by_filter().send().await.unwrap_err();
    assert!(infobip_auth::AuthFailure::of(&err).is_some(), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("`get-api-keys-by-filter` does not accept APIKeyHeader; it accepts Basic, IBSSOTokenHeader, OAuth2"),
        "{message}"
    );
    let err = client
        .get_api_key()
        .api_key_id("any")
        .send()
        .await
        .unwrap_err();
    assert!(infobip_auth::AuthFailure::of(&err).is_some(), "{err}");
    let err = w.oauth2().destroy_session().send().await.unwrap_err();
    assert!(
        err.to_string()
            .contains("`destroy-session` does not accept OAuth2"),
        "{err}"
    );
    assert!(w.sandbox.requests().is_empty());
}

#[tokio::test]
async fn destroy_session_without_a_session_says_so() {
    let w = default_world().await;
    let client = w.ibsso();
    let err = client.destroy_session().send().await.unwrap_err();
    let failure = infobip_auth::AuthFailure::of(&err).unwrap();
    assert!(matches!(failure.error(), AuthError::NoSession), "{err}");
    assert!(w.sandbox.requests().is_empty());
}

#[tokio::test]
async fn destroy_session_uses_the_sessions_own_token_and_forgets_it() {
    let w = default_world().await;
    let client = w.ibsso();
    client.get_account_balance().send().await.unwrap();
    client.destroy_session().send().await.unwrap();
    client.get_account_balance().send().await.unwrap();
    let summary: Vec<String> = w
        .sandbox
        .requests()
        .iter()
        .map(|r| {
            format!(
                "{} {} {} -> {}",
                r.method,
                r.path,
                r.header("authorization").unwrap_or("-"),
                r.status.unwrap_or(0)
            )
        })
        .collect();
    let [first, second] = w.sandbox.issued_tokens().try_into().unwrap();
    assert_ne!(first, second);
    assert_eq!(
        summary,
        [
            "POST /auth/1/session - -> 200".to_owned(),
            format!("GET /account/1/balance IBSSO {first} -> 200"),
            format!("DELETE /auth/1/session IBSSO {first} -> 200"),
            "POST /auth/1/session - -> 200".to_owned(),
            format!("GET /account/1/balance IBSSO {second} -> 200"),
        ]
    );
}

#[tokio::test]
async fn key_management_works_with_every_scheme_that_may_use_it() {
    let w = default_world().await;
    assert!(ops::GET_API_KEYS_BY_FILTER.accepts(Scheme::OAuth2));
    for (manager, scheme) in [
        (w.basic(), SchemeUsed::Basic),
        (w.ibsso(), SchemeUsed::Ibsso),
        (w.oauth2(), SchemeUsed::Bearer),
    ] {
        manager.get_api_keys_by_filter().send().await.unwrap();

        // Create a key, use it.
        let key = manager
            .create_api_key()
            .body(
                CreateApiKeyRequest::builder()
                    .name("managed")
                    .scope_guids(vec![MANAGE_SCOPE.to_owned()]),
            )
            .send()
            .await
            .unwrap();
        let id = key.id.clone().unwrap();
        let user = w.api_key(key.api_key_secret.as_ref().unwrap().expose());
        user.get_account_balance().send().await.unwrap();

        // An API key may not manage keys: refused before any network.
        let before = w.sandbox.requests().len();
        let err = user.get_api_key().api_key_id(&id).send().await.unwrap_err();
        assert!(infobip_auth::AuthFailure::of(&err).is_some(), "{err}");
        assert_eq!(w.sandbox.requests().len(), before);

        // Narrow its scopes to nothing: 403 in the balance endpoint's (legacy) format.
        manager
            .update_api_key()
            .api_key_id(&id)
            .body(UpdateApiKeyRequest::builder().scope_guids(Vec::<String>::new()))
            .send()
            .await
            .unwrap();
        let err = user.get_account_balance().send().await.unwrap_err();
        let infobip = err.infobip().cloned().unwrap();
        assert_eq!((infobip.status, infobip.code.as_str()), (Some(403), "E403"));
        assert_eq!(infobip.message_id.as_deref(), Some("FORBIDDEN"));

        // Give the scope back, then revoke it: 401.
        manager
            .update_api_key()
            .api_key_id(&id)
            .body(UpdateApiKeyRequest::builder().scope_guids(vec![MANAGE_SCOPE.to_owned()]))
            .send()
            .await
            .unwrap();
        user.get_account_balance().send().await.unwrap();
        let revoked = manager
            .update_api_key()
            .api_key_id(&id)
            .body(UpdateApiKeyRequest::builder().enabled(false))
            .send()
            .await
            .unwrap();
        assert_eq!(revoked.enabled, Some(false));
        let err = user.get_account_balance().send().await.unwrap_err();
        assert_eq!(err.status(), Some(401));
        let listed = manager
            .get_api_keys_by_filter()
            .enabled(false)
            .send()
            .await
            .unwrap();
        assert!(listed.api_keys.iter().any(|k| k.id.as_deref() == Some(&id)));
        assert_eq!(
            w.sandbox
                .count_with(Endpoint::GetApiKeysByFilter, Some(scheme)),
            2,
            "{scheme:?}"
        );
    }
}

#[tokio::test]
async fn key_management_errors_arrive_in_the_new_format() {
    let w = default_world().await;
    let err = w
        .basic()
        .get_api_key()
        .api_key_id("no-such-key")
        .send()
        .await
        .unwrap_err();
    let infobip = err.infobip().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(infobip.status, Some(404));
    assert_eq!(infobip.code, "E404");
    assert_eq!(infobip.message_id, None, "the new format has no legacy id");
}
