//! Each operation, called through the generated client against a loopback server, sends what
//! the spec describes and parses what comes back (successes and both error formats).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use infobip_client::account::types::{
    CreateApiKeyRequest, CreateOAuth2TokenRequest, CreateSessionRequest, GrantType, OrderDirection,
    Permission, UpdateApiKeyRequest,
};
use infobip_client::account::Client;
use infobip_client::Auth;
use serde_json::{json, Value};
use workspace_tests::{RecordingServer, Reply};

const LEGACY_401: &str = r#"{"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"Invalid login details","validationErrors":{"username":["must not be blank"]}}},"error":"invalid_client"}"#;
const NEW_403: &str = r#"{"errorCode":"E403","description":"Insufficient permissions","action":"Add the account-management:manage scope","violations":[{"property":"scopeGuids","violation":"missing"}],"resources":[{"name":"API scopes","url":"https://www.infobip.com/docs/essentials/api-authentication"}]}"#;
const API_KEY: &str = r#"{"id":"key-1","apiKeySecret":"s3cr3t","accountId":"acc-1","name":"ci","allowedIPs":["127.0.0.1"],"validFrom":"2023-09-01T10:00:00","validTo":"2024-09-01T10:00:00.988+0000","enabled":true,"permissions":["PUBLIC_API"],"platform":[],"scopeGuids":["account-management:manage"]}"#;

async fn setup() -> (RecordingServer, Client) {
    let server = RecordingServer::start().await.unwrap();
    let client = Client::new_with_client(&server.base_url(), reqwest::Client::new(), Auth::none());
    (server, client)
}

fn json_body(request: &workspace_tests::Recorded) -> Value {
    assert_eq!(request.header("content-type"), Some("application/json"));
    serde_json::from_str(&request.body).unwrap()
}

#[tokio::test]
async fn create_session_sends_json_and_parses_the_token() {
    let (server, client) = setup().await;
    server.reply(Reply::json(200, r#"{"token":"2f9b4a3c-session"}"#));
    let response = client
        .create_session()
        .body(
            CreateSessionRequest::builder()
                .username("user")
                .password("pass")
                .unsafe_(true),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.token.expose(), "2f9b4a3c-session");

    let [request] = server.take_requests().try_into().unwrap();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/auth/1/session");
    assert_eq!(request.query, None);
    assert_eq!(
        json_body(&request),
        json!({"username": "user", "password": "pass", "unsafe": true})
    );
}

#[tokio::test]
async fn create_session_parses_the_legacy_error() {
    let (server, client) = setup().await;
    server.reply(Reply::json(401, LEGACY_401));
    let err = client
        .create_session()
        .body(CreateSessionRequest::builder().username("u").password("p"))
        .send()
        .await
        .unwrap_err();
    let infobip = err
        .infobip()
        .unwrap_or_else(|| panic!("expected Infobip's error, got {err:?}"));
    assert_eq!(infobip.status, Some(401));
    assert_eq!(infobip.code, "E401");
    assert_eq!(infobip.message_id.as_deref(), Some("UNAUTHORIZED"));
    assert_eq!(infobip.description, "Invalid login details");
    assert_eq!(infobip.violations.len(), 1);
    assert_eq!(infobip.violations[0].property, "username");
    assert_eq!(infobip.violations[0].violation, "must not be blank");
}

#[tokio::test]
async fn destroy_session_sends_delete_and_accepts_200_and_204() {
    let (server, client) = setup().await;
    server.reply(Reply::empty(200));
    server.reply(Reply::empty(204));
    client.destroy_session().send().await.unwrap();
    client.destroy_session().send().await.unwrap();
    for request in server.take_requests() {
        assert_eq!(request.method, "DELETE");
        assert_eq!(request.path, "/auth/1/session");
        assert_eq!(request.body, "");
    }
}

#[tokio::test]
async fn token_call_sends_a_form_body() {
    let (server, client) = setup().await;
    server.reply(Reply::json(
        200,
        r#"{"access_token":"eyJ-token","expires_in":7200,"token_type":"Bearer"}"#,
    ));
    let token = client
        .create_oauth2_token()
        .body(
            CreateOAuth2TokenRequest::builder()
                .client_id("user")
                .client_secret("p&ss=word")
                .grant_type(GrantType::ClientCredentials),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(token.access_token.expose(), "eyJ-token");
    assert_eq!(token.expires_in, 7200);
    assert_eq!(token.token_type, "Bearer");

    let [request] = server.take_requests().try_into().unwrap();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/auth/1/oauth2/token");
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        request.body,
        "client_id=user&client_secret=p%26ss%3Dword&grant_type=client_credentials"
    );
}

#[tokio::test]
async fn list_keys_sends_every_filter_as_query() {
    let (server, client) = setup().await;
    server.reply(Reply::json(
        200,
        format!(
            r#"{{"apiKeys":[{API_KEY}],"paging":{{"page":0,"pageSize":100,"orderDirection":"ASC","orderBy":"name","totalCount":1,"totalPages":1}}}}"#
        ),
    ));
    let page = client
        .get_api_keys_by_filter()
        .account_id("acc-1")
        .name("ci")
        .enabled(true)
        .api_key_secret("s3cr3t")
        .page(2)
        .size(50)
        .order_by("name")
        .order_direction(OrderDirection::Desc)
        .send()
        .await
        .unwrap();
    assert_eq!(page.paging.total_count, Some(1));
    let key = &page.api_keys[0];
    assert_eq!(key.api_key_secret.as_ref().unwrap().expose(), "s3cr3t");
    assert_eq!(
        key.valid_from.unwrap().to_string(),
        "2023-09-01T10:00:00.000+0000"
    );
    assert_eq!(
        key.valid_to.unwrap().to_string(),
        "2024-09-01T10:00:00.988+0000"
    );

    let [request] = server.take_requests().try_into().unwrap();
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, "/settings/2/api-keys");
    assert_eq!(
        request.query.as_deref(),
        Some("accountId=acc-1&apiKeySecret=s3cr3t&enabled=true&name=ci&orderBy=name&orderDirection=DESC&page=2&size=50")
    );
}

#[tokio::test]
async fn create_key_sends_json_and_parses_the_new_error_format() {
    let (server, client) = setup().await;
    server.reply(Reply::json(200, API_KEY));
    server.reply(Reply::json(403, NEW_403));
    let request = || {
        CreateApiKeyRequest::builder()
            .name("ci")
            .allowed_i_ps(vec!["127.0.0.1".to_owned()])
            .permissions(vec![Permission::PublicApi])
            .scope_guids(vec!["account-management:manage".to_owned()])
            .valid_to(
                "2030-01-01T00:00:00+0000"
                    .parse::<infobip_client::DateTime>()
                    .unwrap(),
            )
    };
    let key = client
        .create_api_key()
        .body(request())
        .send()
        .await
        .unwrap();
    assert_eq!(key.id.as_deref(), Some("key-1"));
    assert_eq!(
        key.scope_guids,
        Some(vec!["account-management:manage".to_owned()])
    );

    let err = client
        .create_api_key()
        .body(request())
        .send()
        .await
        .unwrap_err();
    let infobip = err
        .infobip()
        .unwrap_or_else(|| panic!("expected Infobip's error, got {err:?}"));
    assert_eq!(infobip.status, Some(403));
    assert_eq!(infobip.code, "E403");
    assert_eq!(infobip.violations[0].property, "scopeGuids");
    assert_eq!(infobip.resources[0].name, "API scopes");

    for request in server.take_requests() {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/settings/2/api-keys");
        assert_eq!(
            json_body(&request),
            json!({
                "name": "ci",
                "allowedIPs": ["127.0.0.1"],
                "permissions": ["PUBLIC_API"],
                "scopeGuids": ["account-management:manage"],
                "validTo": "2030-01-01T00:00:00.000+0000"
            })
        );
    }
}

#[tokio::test]
async fn get_and_update_key_use_the_path_parameter() {
    let (server, client) = setup().await;
    server.reply(Reply::json(200, API_KEY));
    server.reply(Reply::json(200, API_KEY));
    server.reply(Reply::json(404, NEW_403.replace("E403", "E404")));
    client
        .get_api_key()
        .api_key_id("key/1")
        .send()
        .await
        .unwrap();
    client
        .update_api_key()
        .api_key_id("key-1")
        .body(
            UpdateApiKeyRequest::builder()
                .enabled(false)
                .scope_guids(Vec::<String>::new()),
        )
        .send()
        .await
        .unwrap();
    let err = client
        .get_api_key()
        .api_key_id("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));

    let requests = server.take_requests();
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].path, "/settings/2/api-keys/key%2F1");
    assert_eq!(requests[1].method, "PUT");
    assert_eq!(requests[1].path, "/settings/2/api-keys/key-1");
    assert_eq!(
        json_body(&requests[1]),
        // An empty scope list must reach the server: it is how scopes are removed.
        json!({"enabled": false, "scopeGuids": []})
    );
}

#[tokio::test]
async fn balance_parses_success_and_legacy_error() {
    let (server, client) = setup().await;
    server.reply(Reply::json(200, r#"{"balance":47.25,"currency":"EUR"}"#));
    server.reply(Reply::json(
        429,
        r#"{"requestError":{"serviceException":{"messageId":"TOO_MANY_REQUESTS","text":"Too many requests"}}}"#,
    ));
    let balance = client.get_account_balance().send().await.unwrap();
    assert_eq!(balance.balance, 47.25);
    assert_eq!(balance.currency, "EUR");
    let err = client.get_account_balance().send().await.unwrap_err();
    let infobip = err
        .infobip()
        .unwrap_or_else(|| panic!("expected Infobip's error, got {err:?}"));
    assert_eq!(infobip.status, Some(429));
    assert_eq!(infobip.message_id.as_deref(), Some("TOO_MANY_REQUESTS"));
    let [first, _] = server.take_requests().try_into().unwrap();
    assert_eq!(first.method, "GET");
    assert_eq!(first.path, "/account/1/balance");
    assert_eq!(first.header("accept"), Some("application/json"));
}

#[test]
fn generated_types_redact_secrets_in_debug() {
    let request = CreateSessionRequest::new("hunter2", "user");
    let printed = format!("{request:?}");
    assert!(!printed.contains("hunter2"), "{printed}");
}

// ---- SMS ----------------------------------------------------------------------------------

#[tokio::test]
async fn sms_logs_send_array_filters_as_repeated_keys_and_dates_in_one_form() {
    let server = RecordingServer::start().await.unwrap();
    let client = infobip_client::sms::Client::new_with_client(
        &server.base_url(),
        reqwest::Client::new(),
        Auth::none(),
    );
    server.reply(Reply::json(
        200,
        r#"{"results":[],"cursor":{"limit":2,"nextCursor":"c-2"}}"#,
    ));
    let since: infobip_client::DateTime = "2026-01-31T09:30:00+01:00".parse().unwrap();
    let logs = client
        .get_outbound_sms_message_logs_v3()
        .bulk_id(vec![String::from("b1"), String::from("b,2")])
        .message_id(vec![String::from("m1")])
        .sent_since(since)
        .use_cursor(true)
        .limit(2)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(logs.results.is_empty());
    let query = server.requests()[0].query.clone().unwrap();
    // Progenitor's exploded form, the one the description declares: one key per value (a
    // value's own comma is escaped), whatever the prose's "comma-separated" says.
    for part in [
        "bulkId=b1",
        "bulkId=b%2C2",
        "messageId=m1",
        "sentSince=2026-01-31T08%3A30%3A00.000%2B0000",
        "useCursor=true",
        "limit=2",
    ] {
        assert!(query.split('&').any(|p| p == part), "{part} in {query}");
    }
}
