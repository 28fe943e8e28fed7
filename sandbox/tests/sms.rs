//! The sandbox's SMS product over real HTTP on loopback: send, statuses on the sandbox clock,
//! delivery reports (pulled once, or posted to a webhook), logs (filters, cursor paging, the
//! 120-a-minute limit), faults, and no message text in the sandbox's logs. Time moves only
//! through a `ManualClock`; webhooks go to a loopback `RecordingServer` and are posted by
//! `Sandbox::deliver_due`: no test sleeps.
//!
//! Every body the sandbox answers is read with the generated types
//! (`infobip_client::sms::types`), so a field the client could not read fails here.
//!
//! Every test captures the logs (see `oauth_query.rs` for why a binary's tests all do).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::time::Duration;

use infobip_client::sms::types::{
    DeliveryReport, DeliveryReports, LogResponseSmsLogSmsMessageContent, MessageErrorGroup,
    MessageGeneralStatus, SmsMessageContent, SmsResponseEnvelope,
};
use infobip_client::ApiError;
use infobip_sandbox::{
    Account, Clock, Endpoint, Fault, ManualClock, Sandbox, SandboxConfig, SchemeUsed,
    DEMO_PASSWORD, DEMO_USERNAME, MANAGE_SCOPE, SMS_CURRENCY, SMS_PRICE_PER_PART,
};
use reqwest::{Client, Response};
use serde_json::{json, Value};
use tracing::subscriber::DefaultGuard;
use workspace_tests::{CapturedLogs, RecordingServer, Reply};

/// The default delay before a message's final status.
const DELAY: Duration = Duration::from_secs(3);

struct Env {
    sandbox: Sandbox,
    http: Client,
    clock: ManualClock,
    logs: CapturedLogs,
    _guard: DefaultGuard,
}

impl Env {
    async fn start(config: SandboxConfig) -> Env {
        // The test runtime is single-threaded: the sandbox's tasks log on this thread.
        let logs = CapturedLogs::default();
        let guard = tracing::subscriber::set_default(logs.subscriber());
        let clock = ManualClock::new();
        let sandbox = Sandbox::start(config.with_clock(clock.clone()))
            .await
            .unwrap();
        Env {
            sandbox,
            http: Client::builder().no_proxy().build().unwrap(),
            clock,
            logs,
            _guard: guard,
        }
    }

    async fn default() -> Env {
        Env::start(SandboxConfig::for_tests()).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.base_url())
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.wall().into()
    }

    fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    async fn send_as(&self, auth: &str, body: &Value) -> Response {
        self.http
            .post(self.url("/sms/3/messages"))
            .header("Authorization", auth)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    async fn send(&self, body: Value) -> SmsResponseEnvelope {
        let response = self.send_as(&basic(), &body).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    async fn get_as(&self, auth: &str, path: &str, query: &[(&str, &str)]) -> Response {
        self.http
            .get(self.url(path))
            .header("Authorization", auth)
            .query(query)
            .send()
            .await
            .unwrap()
    }

    async fn reports(&self, query: &[(&str, &str)]) -> Vec<DeliveryReport> {
        let response = self.get_as(&basic(), "/sms/3/reports", query).await;
        assert_eq!(response.status(), 200);
        response.json::<DeliveryReports>().await.unwrap().results
    }

    async fn logs(&self, query: &[(&str, &str)]) -> LogResponseSmsLogSmsMessageContent {
        let response = self.get_as(&basic(), "/sms/3/logs", query).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// Message ids of the logs matching `query`, newest first.
    async fn logged_ids(&self, query: &[(&str, &str)]) -> Vec<String> {
        ids_of_logs(&self.logs(query).await)
    }

    /// `App <secret>` of a new key of the demo account; `None`: the user's role scopes.
    async fn key(&self, scopes: Option<&[&str]>) -> String {
        let mut body = json!({"name": "sms"});
        if let Some(scopes) = scopes {
            body["scopeGuids"] = json!(scopes);
        }
        let response = self
            .http
            .post(self.url("/settings/2/api-keys"))
            .header("Authorization", basic())
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let key: Value = response.json().await.unwrap();
        format!("App {}", key["apiKeySecret"].as_str().unwrap())
    }

    async fn session(&self) -> String {
        let response = self
            .http
            .post(self.url("/auth/1/session"))
            .json(&json!({"username": DEMO_USERNAME, "password": DEMO_PASSWORD}))
            .send()
            .await
            .unwrap();
        let body: Value = response.json().await.unwrap();
        format!("IBSSO {}", body["token"].as_str().unwrap())
    }

    async fn oauth(&self) -> String {
        let response = self
            .http
            .post(self.url("/auth/1/oauth2/token"))
            .form(&[
                ("client_id", DEMO_USERNAME),
                ("client_secret", DEMO_PASSWORD),
                ("grant_type", "client_credentials"),
            ])
            .send()
            .await
            .unwrap();
        let body: Value = response.json().await.unwrap();
        format!("Bearer {}", body["access_token"].as_str().unwrap())
    }
}

fn basic_for(username: &str, password: &str) -> String {
    use base64::Engine;
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    format!("Basic {encoded}")
}

fn basic() -> String {
    basic_for(DEMO_USERNAME, DEMO_PASSWORD)
}

/// `{"messages":[{"destinations":[{"to":to}], "content":{"text":text}}]}`
fn one(to: &str, text: &str) -> Value {
    json!({"messages": [{"destinations": [{"to": to}], "content": {"text": text}}]})
}

/// Infobip's form of an instant, as a query or body takes it.
fn infobip_time(t: chrono::DateTime<chrono::Utc>) -> String {
    infobip_client::DateTime::from(t).to_string()
}

fn ids(response: &SmsResponseEnvelope) -> Vec<String> {
    response
        .messages
        .iter()
        .map(|m| m.message_id.clone().unwrap())
        .collect()
}

fn ids_of_reports(reports: &[DeliveryReport]) -> Vec<String> {
    reports
        .iter()
        .map(|r| r.message_id.clone().unwrap())
        .collect()
}

fn ids_of_logs(page: &LogResponseSmsLogSmsMessageContent) -> Vec<String> {
    page.results
        .iter()
        .map(|r| r.message_id.clone().unwrap())
        .collect()
}

/// Asserts a newer-format error with every required field, read by the generated type.
async fn api_error(response: Response, status: u16) -> ApiError {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    for field in [
        "errorCode",
        "description",
        "action",
        "violations",
        "resources",
    ] {
        assert!(body.get(field).is_some(), "{field} in {body}");
    }
    let error: ApiError = serde_json::from_value(body).unwrap();
    assert_eq!(error.error_code, format!("E{status}"));
    error
}

fn violations(error: &ApiError) -> Vec<(String, String)> {
    error
        .violations
        .iter()
        .map(|v| {
            (
                v.property.clone().unwrap_or_default(),
                v.violation.clone().unwrap_or_default(),
            )
        })
        .collect()
}

// ---- send ---------------------------------------------------------------------------------

#[tokio::test]
async fn send_accepts_each_of_the_four_schemes() {
    let env = Env::default().await;
    let key = env.key(None).await;
    let session = env.session().await;
    let token = env.oauth().await;
    for auth in [basic(), key, session, token] {
        let response = env.send_as(&auth, &one("41793026727", "Hello")).await;
        assert_eq!(response.status(), 200, "{}", &auth[..5]);
        let answer: SmsResponseEnvelope = response.json().await.unwrap();
        assert_eq!(answer.messages.len(), 1);
    }
    for scheme in [
        SchemeUsed::Basic,
        SchemeUsed::ApiKey,
        SchemeUsed::Ibsso,
        SchemeUsed::Bearer,
    ] {
        assert_eq!(
            env.sandbox
                .count_with(Endpoint::SendSmsMessages, Some(scheme)),
            1,
            "{scheme:?}"
        );
    }
    // Without credentials, or with bad ones: 401 in the newer format.
    let response = env
        .http
        .post(env.url("/sms/3/messages"))
        .json(&one("41793026727", "Hello"))
        .send()
        .await
        .unwrap();
    api_error(response, 401).await;
    let response = env
        .send_as(
            &basic_for(DEMO_USERNAME, "wrong"),
            &one("41793026727", "Hello"),
        )
        .await;
    api_error(response, 401).await;
}

#[tokio::test]
async fn send_answers_one_pending_entry_per_destination() {
    let env = Env::default().await;
    // One destination, no bulk id asked for: none given.
    let single = env.send(one("41793026727", "Hello")).await;
    assert_eq!(single.bulk_id, None);
    let entry = &single.messages[0];
    assert_eq!(entry.destination.as_deref(), Some("41793026727"));
    assert!(entry.details.is_none(), "messageCount only when asked for");
    let status = entry.status.as_ref().unwrap();
    assert_eq!(status.group_id, Some(1));
    assert_eq!(status.group_name, Some(MessageGeneralStatus::Pending));
    assert_eq!(status.id, Some(26));
    assert_eq!(status.name.as_deref(), Some("PENDING_ACCEPTED"));

    // Several messages and destinations: one entry each, in order, and a bulk id; a
    // client-set messageId is kept.
    let answer = env
        .send(json!({
            "messages": [
                {"sender": "InfoSMS",
                 "destinations": [{"to": "41793026727", "messageId": "mine-1"}, {"to": "41793026728"}],
                 "content": {"text": "a".repeat(161)}},
                {"destinations": [{"to": "385981234567"}],
                 "content": {"hex": "0f c2 4a"}}
            ],
            "options": {"includeSmsCountInResponse": true}
        }))
        .await;
    assert!(answer.bulk_id.as_deref().is_some_and(|b| !b.is_empty()));
    let destinations: Vec<&str> = answer
        .messages
        .iter()
        .map(|m| m.destination.as_deref().unwrap())
        .collect();
    assert_eq!(destinations, ["41793026727", "41793026728", "385981234567"]);
    assert_eq!(answer.messages[0].message_id.as_deref(), Some("mine-1"));
    let generated = ids(&answer);
    assert_ne!(generated[1], generated[2]);
    // 161 GSM-7 characters are two parts; binary content has no count in the answer.
    let counts: Vec<Option<i32>> = answer
        .messages
        .iter()
        .map(|m| m.details.as_ref().and_then(|d| d.message_count))
        .collect();
    assert_eq!(counts, [Some(2), Some(2), None]);

    // A bulk id asked for is kept, even for one destination.
    let answer = env
        .send(json!({
            "messages": [{"destinations": [{"to": "41793026727"}], "content": {"text": "x"}}],
            "options": {"schedule": {"bulkId": "my-bulk"}}
        }))
        .await;
    assert_eq!(answer.bulk_id.as_deref(), Some("my-bulk"));
}

#[tokio::test]
async fn scopes_come_from_each_operations_list() {
    let basic_only =
        Account::new("accounts-only", "accounts-password", "ACCOUNTS").with_scopes([MANAGE_SCOPE]);
    let env = Env::start(SandboxConfig::for_tests().with_account(basic_only)).await;

    // A key that may send (and so read reports) but not read the logs.
    let sender = env.key(Some(&["sms:message:send"])).await;
    let response = env.send_as(&sender, &one("41793026727", "Hi")).await;
    assert_eq!(response.status(), 200);
    let response = env.get_as(&sender, "/sms/3/reports", &[]).await;
    assert_eq!(response.status(), 200);
    let error = api_error(env.get_as(&sender, "/sms/3/logs", &[]).await, 403).await;
    assert!(
        error.description.contains("`sms:manage`") && error.description.contains("`sms:logs:read`"),
        "{}",
        error.description
    );
    let resource = &error.resources[0];
    assert_eq!(resource.name.as_deref(), Some("API Scopes"));
    assert!(resource
        .url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://")));

    // A key for the logs alone may not send.
    let reader = env.key(Some(&["sms:logs:read"])).await;
    assert_eq!(env.get_as(&reader, "/sms/3/logs", &[]).await.status(), 200);
    let error = api_error(env.send_as(&reader, &one("41793026727", "Hi")).await, 403).await;
    for scope in ["message:send", "sms:message:send", "sms:manage"] {
        assert!(error.description.contains(&format!("`{scope}`")), "{scope}");
    }

    // Basic acts with the user's role scopes: an account without an SMS scope may not send.
    let auth = basic_for("accounts-only", "accounts-password");
    api_error(env.send_as(&auth, &one("41793026727", "Hi")).await, 403).await;
    // ... and the demo account has the SMS scope by default, for every scheme.
    let demo_key = env.key(None).await;
    assert_eq!(
        env.get_as(&demo_key, "/sms/3/logs", &[]).await.status(),
        200
    );
}

#[tokio::test]
async fn send_validation_reports_violations() {
    let env = Env::default().await;
    let now = env.now();
    let text = |extra: Value| {
        let mut message =
            json!({"destinations": [{"to": "41793026727"}], "content": {"text": "Hi"}});
        if let (Some(message), Some(extra)) = (message.as_object_mut(), extra.as_object()) {
            for (k, v) in extra {
                message.insert(k.clone(), v.clone());
            }
        }
        json!({"messages": [message]})
    };
    let to = |number: &str| text(json!({"destinations": [{"to": number}]}));
    let at = |t: chrono::DateTime<chrono::Utc>| {
        json!({"messages": [{"destinations": [{"to": "41793026727"}], "content": {"text": "Hi"}}],
               "options": {"schedule": {"sendAt": infobip_time(t)}}})
    };
    for (body, property, wanted) in [
        (json!({}), "messages", "is required"),
        (json!({"messages": []}), "messages", "at least one message"),
        (
            text(json!({"destinations": []})),
            "messages[0].destinations",
            "at least one destination",
        ),
        (
            to("+41793026727"),
            "messages[0].destinations[0].to",
            "without `+`",
        ),
        (
            to("0041793026727"),
            "messages[0].destinations[0].to",
            "`00`",
        ),
        (
            to("41-79-302"),
            "messages[0].destinations[0].to",
            "digits only",
        ),
        (
            to("417"),
            "messages[0].destinations[0].to",
            "7 to 15 digits",
        ),
        (
            to(&"4".repeat(65)),
            "messages[0].destinations[0].to",
            "longer than 64",
        ),
        (
            text(json!({"content": {"text": ""}})),
            "messages[0].content.text",
            "must not be empty",
        ),
        (
            text(json!({"content": {"text": "Hi", "hex": "0f"}})),
            "messages[0].content",
            "not both",
        ),
        (
            text(json!({"content": {"transliteration": "GREEK"}})),
            "messages[0].content",
            "`text` (text content) or `hex`",
        ),
        (
            text(json!({"content": {"hex": "0fc2"}})),
            "messages[0].content.hex",
            "byte pairs",
        ),
        (
            at(now - chrono::TimeDelta::minutes(1)),
            "options.schedule.sendAt",
            "in the past",
        ),
        (
            at(now + chrono::TimeDelta::days(181)),
            "options.schedule.sendAt",
            "180 days",
        ),
        (
            text(json!({"destinations": [{"to": "41793026727", "messageId": "m".repeat(201)}]})),
            "messages[0].destinations[0].messageId",
            "longer than 200",
        ),
        (
            text(
                json!({"destinations": [{"to": "41793026727", "messageId": "same"},
                                         {"to": "41793026728", "messageId": "same"}]}),
            ),
            "messages[0].destinations[1].messageId",
            "another destination",
        ),
        (
            json!({"messages": [{"destinations": [{"to": "41793026727"}], "content": {"text": "Hi"}}],
                   "options": {"schedule": {"bulkId": "b".repeat(101)}}}),
            "options.schedule.bulkId",
            "longer than 100",
        ),
        (
            text(json!({"webhooks": {"callbackData": "c".repeat(4001)}})),
            "messages[0].webhooks.callbackData",
            "longer than 4000",
        ),
        (
            text(json!({"options": {"campaignReferenceId": "c".repeat(256)}})),
            "messages[0].options.campaignReferenceId",
            "longer than 255",
        ),
        (
            text(json!({"webhooks": {"delivery": {"url": "not a url"}}})),
            "messages[0].webhooks.delivery.url",
            "http or https",
        ),
        (
            text(json!({"webhooks": {"contentType": "application/xml"}})),
            "messages[0].webhooks.contentType",
            "application/json only",
        ),
        (
            text(
                json!({"options": {"deliveryTimeWindow": {"days": ["MONDAY"], "from": {"hour": 24, "minute": 0}}}}),
            ),
            "messages[0].options.deliveryTimeWindow.from.hour",
            "maximum of 23",
        ),
        // Properties the sandbox does not act on are held to the description all the same,
        // each named by its own path however deep in optional objects.
        (
            text(json!({"options": {"flash": "yes"}})),
            "messages[0].options.flash",
            "not of type \"boolean\"",
        ),
        (
            text(json!({"options": {"validityPeriod": {"amount": 5, "timeUnit": "WEEKS"}}})),
            "messages[0].options.validityPeriod.timeUnit",
            "",
        ),
        (
            text(json!({"destinations": [{"to": "41793026727", "networkId": "one"}]})),
            "messages[0].destinations[0].networkId",
            "not of type \"integer\"",
        ),
        (
            json!({"messages": [{"destinations": [{"to": "41793026727"}], "content": {"text": "Hi"}}],
                   "options": {"schedule": {"sendAt": "tomorrow"}}}),
            "options.schedule.sendAt",
            "not a date-time",
        ),
    ] {
        let error = api_error(env.send_as(&basic(), &body).await, 400).await;
        let found = violations(&error);
        assert!(
            found
                .iter()
                .any(|(p, v)| p == property && v.contains(wanted)),
            "{body}: {found:?}"
        );
    }

    // Every problem of the values at once.
    let body = json!({"messages": [
        {"destinations": [{"to": "+41793026727"}, {"to": "41793026728"}], "content": {"text": " "}},
        {"destinations": [], "content": {"hex": "zz"}}
    ]});
    let error = api_error(env.send_as(&basic(), &body).await, 400).await;
    let properties: Vec<String> = violations(&error).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        properties,
        [
            "messages[0].destinations[0].to",
            "messages[0].content.text",
            "messages[1].destinations",
            "messages[1].content.hex",
        ]
    );
    // However many values break the rules, the answer lists the first 20, as it does for the
    // description's violations: a 1 MiB body must not make an answer many times its size.
    let destinations: Vec<Value> = (0..500).map(|_| json!({"to": "+41793026727"})).collect();
    let body = json!({"messages": [{"destinations": destinations, "content": {"text": "Hi"}}]});
    let error = api_error(env.send_as(&basic(), &body).await, 400).await;
    let found = violations(&error);
    assert_eq!(found.len(), 20);
    assert_eq!(found[0].0, "messages[0].destinations[0].to");
    // A body that is not JSON at all.
    let response = env
        .http
        .post(env.url("/sms/3/messages"))
        .header("Authorization", basic())
        .body("{not json")
        .send()
        .await
        .unwrap();
    api_error(response, 400).await;
    // Nothing refused was kept.
    assert!(env.logs(&[]).await.results.is_empty());
}

// ---- statuses and reports -------------------------------------------------------------------

#[tokio::test]
async fn statuses_move_on_the_sandbox_clock() {
    let delay = Duration::from_secs(5);
    let env = Env::start(SandboxConfig::for_tests().with_delivery_delay(delay)).await;
    let sent = env.now();
    let id = ids(&env.send(one("41793026727", "Hello")).await).remove(0);

    let entry = env.logs(&[]).await.results.remove(0);
    assert_eq!(entry.message_id.as_deref(), Some(id.as_str()));
    let status = entry.status.unwrap();
    assert_eq!(status.group_name, Some(MessageGeneralStatus::Pending));
    assert_eq!(status.name.as_deref(), Some("PENDING_ACCEPTED"));
    assert!(entry.done_at.is_none());
    assert_eq!(entry.sent_at, Some(sent.into()));

    env.advance(delay - Duration::from_millis(1));
    assert!(env.reports(&[]).await.is_empty(), "still pending");
    env.advance(Duration::from_millis(1));
    let entry = env.logs(&[]).await.results.remove(0);
    let status = entry.status.unwrap();
    assert_eq!(status.group_id, Some(3));
    assert_eq!(status.group_name, Some(MessageGeneralStatus::Delivered));
    assert_eq!(status.id, Some(5));
    assert_eq!(status.name.as_deref(), Some("DELIVERED_TO_HANDSET"));
    let error = entry.error.unwrap();
    assert_eq!(error.group_name, Some(MessageErrorGroup::Ok));
    assert_eq!(error.name.as_deref(), Some("NO_ERROR"));
    let (sent_at, done_at) = (entry.sent_at.unwrap().get(), entry.done_at.unwrap().get());
    assert_eq!((done_at - sent_at).to_std().unwrap(), delay);

    let reports = env.reports(&[]).await;
    assert_eq!(ids_of_reports(&reports), [id]);
}

#[tokio::test]
async fn scheduled_messages_wait_for_send_at() {
    let env = Env::default().await;
    // To the millisecond, as Infobip keeps it.
    let send_at = infobip_client::DateTime::from(env.now() + chrono::TimeDelta::hours(1)).get();
    let answer = env
        .send(json!({
            "messages": [{"destinations": [{"to": "41793026727"}], "content": {"text": "Later"}}],
            "options": {"schedule": {"sendAt": infobip_time(send_at)}}
        }))
        .await;
    // Scheduled messages are managed by bulk: one is assigned.
    assert!(answer.bulk_id.is_some());
    env.advance(DELAY);
    assert!(env.reports(&[]).await.is_empty());
    assert!(env.logs(&[]).await.results.is_empty(), "not sent yet");
    env.advance(Duration::from_secs(3600) - DELAY);
    // Sent at sendAt, pending for the delay from then.
    let entry = env.logs(&[]).await.results.remove(0);
    assert_eq!(entry.sent_at.unwrap().get(), send_at);
    assert_eq!(
        entry.status.unwrap().group_name,
        Some(MessageGeneralStatus::Pending)
    );
    env.advance(DELAY);
    let report = env.reports(&[]).await.remove(0);
    assert_eq!(report.sent_at.unwrap().get(), send_at);
    assert_eq!(report.bulk_id, answer.bulk_id);
}

#[tokio::test]
async fn reports_are_returned_once_and_only_to_their_account() {
    let other = Account::new("other", "other-password", "OTHER");
    let env = Env::start(SandboxConfig::for_tests().with_account(other)).await;
    let first = env
        .send(json!({
            "messages": [{
                "sender": "InfoSMS",
                "destinations": [{"to": "41793026727"}, {"to": "41793026728"}, {"to": "41793026729"}],
                "content": {"text": "ж".repeat(71)},
                "options": {"campaignReferenceId": "spring",
                            "platform": {"entityId": "entity-1", "applicationId": "app-1"}},
                "webhooks": {"callbackData": "order=42"}
            }]
        }))
        .await;
    let second = env.send(one("41793026727", "again")).await;
    env.advance(DELAY);

    // Another account sees none of them, and takes none.
    let response = env
        .get_as(&basic_for("other", "other-password"), "/sms/3/reports", &[])
        .await;
    assert!(response
        .json::<DeliveryReports>()
        .await
        .unwrap()
        .results
        .is_empty());

    // Filters, then limit; each report once.
    let by_message = env.reports(&[("messageId", &ids(&second)[0])]).await;
    assert_eq!(ids_of_reports(&by_message), ids(&second));
    let bulk = first.bulk_id.clone().unwrap();
    let page = env.reports(&[("bulkId", &bulk), ("limit", "2")]).await;
    assert_eq!(ids_of_reports(&page), ids(&first)[..2]);
    let rest = env.reports(&[("bulkId", &bulk)]).await;
    assert_eq!(ids_of_reports(&rest), ids(&first)[2..]);
    assert!(env.reports(&[]).await.is_empty(), "every report was taken");

    let report = &page[0];
    assert_eq!(report.bulk_id.as_deref(), Some(bulk.as_str()));
    assert_eq!(report.to.as_deref(), Some("41793026727"));
    assert_eq!(report.sender.as_deref(), Some("InfoSMS"));
    assert_eq!(report.callback_data.as_deref(), Some("order=42"));
    assert_eq!(report.campaign_reference_id.as_deref(), Some("spring"));
    let platform = report.platform.as_ref().unwrap();
    assert_eq!(platform.entity_id.as_deref(), Some("entity-1"));
    assert_eq!(platform.application_id.as_deref(), Some("app-1"));
    // 71 UCS-2 characters: two parts, priced per part.
    assert_eq!(report.message_count, Some(2));
    let price = report.price.as_ref().unwrap();
    assert_eq!(price.price_per_message, Some(SMS_PRICE_PER_PART));
    assert_eq!(price.currency.as_deref(), Some(SMS_CURRENCY));
    assert_eq!(
        report.status.as_ref().unwrap().name.as_deref(),
        Some("DELIVERED_TO_HANDSET")
    );
    assert!(report.sent_at.is_some() && report.done_at.is_some());
}

#[tokio::test]
async fn report_filters_for_platform_and_campaign() {
    let env = Env::default().await;
    let tagged = env
        .send(json!({"messages": [{
            "destinations": [{"to": "41793026727"}], "content": {"text": "x"},
            "options": {"campaignReferenceId": "c1", "platform": {"entityId": "e1", "applicationId": "a1"}}
        }]}))
        .await;
    env.send(one("41793026728", "y")).await;
    env.advance(DELAY);
    for filter in [
        ("campaignReferenceId", "c1"),
        ("entityId", "e1"),
        ("applicationId", "a1"),
    ] {
        // A filter that matches nothing takes nothing.
        let none = env.reports(&[(filter.0, "other")]).await;
        assert!(none.is_empty(), "{filter:?}");
    }
    let found = env
        .reports(&[
            ("campaignReferenceId", "c1"),
            ("entityId", "e1"),
            ("applicationId", "a1"),
        ])
        .await;
    assert_eq!(ids_of_reports(&found), ids(&tagged));
    assert_eq!(env.reports(&[]).await.len(), 1);
}

#[tokio::test]
async fn undeliverable_and_rejected_numbers_end_so() {
    let env = Env::start(
        SandboxConfig::for_tests()
            .with_undeliverable("41790000001")
            .with_rejected("41790000002"),
    )
    .await;
    let answer = env
        .send(json!({"messages": [{
            "destinations": [{"to": "41790000001"}, {"to": "41790000002"}, {"to": "41790000003"}],
            "content": {"text": "Hi"}
        }]}))
        .await;
    // The answer does not tell: every message is accepted first.
    for entry in &answer.messages {
        assert_eq!(entry.status.as_ref().unwrap().id, Some(26));
    }
    env.advance(DELAY);
    let reports = env.reports(&[]).await;
    // (status group, status id, status name, error group, permanent, price per part)
    type Summary<'a> = (
        Option<i32>,
        Option<i32>,
        Option<&'a str>,
        Option<i32>,
        bool,
        f64,
    );
    let summary: Vec<Summary> = reports
        .iter()
        .map(|r| {
            let status = r.status.as_ref().unwrap();
            let error = r.error.as_ref().unwrap();
            (
                status.group_id,
                status.id,
                status.name.as_deref(),
                error.group_id,
                error.permanent.unwrap(),
                r.price.as_ref().unwrap().price_per_message.unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                Some(2),
                Some(9),
                Some("UNDELIVERABLE_NOT_DELIVERED"),
                Some(1),
                true,
                SMS_PRICE_PER_PART
            ),
            (
                Some(5),
                Some(6),
                Some("REJECTED_NETWORK"),
                Some(3),
                true,
                0.0
            ),
            (
                Some(3),
                Some(5),
                Some("DELIVERED_TO_HANDSET"),
                Some(0),
                false,
                SMS_PRICE_PER_PART
            ),
        ]
    );
    assert_eq!(
        reports[0].error.as_ref().unwrap().group_name,
        Some(MessageErrorGroup::HandsetErrors)
    );
    assert_eq!(
        reports[1].error.as_ref().unwrap().group_name,
        Some(MessageErrorGroup::OperatorErrors)
    );
    // The logs filter by the general status.
    let undeliverable = env.logs(&[("generalStatus", "UNDELIVERABLE")]).await;
    assert_eq!(ids_of_logs(&undeliverable), ids(&answer)[..1]);
    let rejected = env.logs(&[("generalStatus", "REJECTED")]).await;
    assert_eq!(ids_of_logs(&rejected), ids(&answer)[1..2]);
}

// ---- webhooks -------------------------------------------------------------------------------

#[tokio::test]
async fn webhooks_receive_final_reports_which_are_then_not_pulled() {
    let env = Env::default().await;
    let receiver = RecordingServer::start_with(|_| Reply::empty(200))
        .await
        .unwrap();
    let url = format!("{}/dlr?token=receiver-secret", receiver.base_url());
    let answer = env
        .send(json!({"messages": [
            {"destinations": [{"to": "41793026727"}], "content": {"text": "pushed"},
             "webhooks": {"delivery": {"url": url}, "callbackData": "cb-1", "contentType": "application/json"}},
            {"destinations": [{"to": "41793026728"}], "content": {"text": "pulled"}},
            {"destinations": [{"to": "41793026729"}], "content": {"text": "not notified"},
             "webhooks": {"delivery": {"url": url, "notify": false}}}
        ]}))
        .await;
    let [pushed, pulled, not_notified] = <[String; 3]>::try_from(ids(&answer)).unwrap();

    assert_eq!(env.sandbox.deliver_due().await, 0, "nothing is final yet");
    assert!(receiver.requests().is_empty());
    env.advance(DELAY);
    assert_eq!(env.sandbox.deliver_due().await, 1);
    assert_eq!(env.sandbox.deliver_due().await, 0, "posted once");

    let posted = receiver.requests();
    assert_eq!(posted.len(), 1);
    let request = &posted[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/dlr");
    assert_eq!(request.query.as_deref(), Some("token=receiver-secret"));
    assert!(request
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/json")));
    let body: DeliveryReports = serde_json::from_str(&request.body).unwrap();
    assert_eq!(ids_of_reports(&body.results), std::slice::from_ref(&pushed));
    let report = &body.results[0];
    assert_eq!(report.callback_data.as_deref(), Some("cb-1"));
    assert_eq!(
        report.status.as_ref().unwrap().group_name,
        Some(MessageGeneralStatus::Delivered)
    );

    // A report posted to a webhook is not also pulled; the others are.
    let pulled_now = ids_of_reports(&env.reports(&[]).await);
    assert_eq!(pulled_now, [pulled, not_notified]);
    assert!(!pulled_now.contains(&pushed));
}

#[tokio::test]
async fn a_failed_webhook_post_is_tried_again_later() {
    let env = Env::default().await;
    let receiver = RecordingServer::start_with(|_| Reply::empty(204))
        .await
        .unwrap();
    receiver.reply(Reply::json(500, "{}"));
    let url = format!("{}/dlr", receiver.base_url());
    env.send(
        json!({"messages": [{"destinations": [{"to": "41793026727"}],
        "content": {"text": "x"}, "webhooks": {"delivery": {"url": url}}}]}),
    )
    .await;
    env.advance(DELAY);
    assert_eq!(
        env.sandbox.deliver_due().await,
        0,
        "the receiver answered 500"
    );
    assert_eq!(env.sandbox.deliver_due().await, 0, "not again so soon");
    assert_eq!(receiver.requests().len(), 1);
    env.advance(Duration::from_secs(10));
    assert_eq!(env.sandbox.deliver_due().await, 1);
    assert_eq!(receiver.requests().len(), 2);
    assert_eq!(receiver.requests()[0].body, receiver.requests()[1].body);
    assert_eq!(env.sandbox.deliver_due().await, 0);
}

#[tokio::test]
async fn a_webhook_that_never_answers_is_given_up_after_five_attempts() {
    let env = Env::default().await;
    // A port nobody listens on: bound, then closed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/dlr", closed.local_addr().unwrap());
    drop(closed);
    env.send(
        json!({"messages": [{"destinations": [{"to": "41793026727"}],
        "content": {"text": "x"}, "webhooks": {"delivery": {"url": url}}}]}),
    )
    .await;
    env.advance(DELAY);
    for _ in 0..5 {
        assert_eq!(env.sandbox.deliver_due().await, 0);
        env.advance(Duration::from_secs(10));
    }
    assert!(env.logs.text().contains("giving up"));
    // Given up: neither posted again nor pulled.
    assert!(env.reports(&[]).await.is_empty());
}

// ---- logs -----------------------------------------------------------------------------------

#[tokio::test]
async fn logs_filter_by_each_parameter() {
    let env = Env::default().await;
    let a = env
        .send(json!({"messages": [{"sender": "ShopA", "destinations": [{"to": "41793026727"}, {"to": "41793026728"}],
            "content": {"text": "text A"}, "options": {"campaignReferenceId": "camp-a",
            "platform": {"entityId": "ent-a", "applicationId": "app-a"}}}]}))
        .await;
    env.advance(Duration::from_secs(60));
    let b = env
        .send(json!({"messages": [{"sender": "ShopB", "destinations": [{"to": "41793026729"}, {"to": "41793026727"}],
            "content": {"hex": "0f c2 4a"}, "options": {"campaignReferenceId": "camp-b"}}]}))
        .await;
    env.advance(Duration::from_secs(60));
    let c = env.send(one("41793026720", "text C")).await;
    let (a_bulk, b_bulk) = (a.bulk_id.clone().unwrap(), b.bulk_id.clone().unwrap());
    let newest_first = |groups: &[&SmsResponseEnvelope]| {
        let mut all: Vec<String> = groups.iter().flat_map(|g| ids(g)).collect();
        all.reverse();
        all
    };

    assert_eq!(env.logged_ids(&[]).await, newest_first(&[&a, &b, &c]));
    assert_eq!(
        env.logged_ids(&[("sender", "ShopA")]).await,
        newest_first(&[&a])
    );
    assert_eq!(
        env.logged_ids(&[("destination", "41793026727")]).await,
        [ids(&b)[1].clone(), ids(&a)[0].clone()]
    );
    // Arrays as repeated keys, comma-joined, and both.
    let both = newest_first(&[&a, &b]);
    assert_eq!(
        env.logged_ids(&[("bulkId", &a_bulk), ("bulkId", &b_bulk)])
            .await,
        both
    );
    assert_eq!(
        env.logged_ids(&[("bulkId", &format!("{a_bulk},{b_bulk}"))])
            .await,
        both
    );
    let raw = env
        .http
        .get(format!(
            "{}?bulkId={a_bulk},{b_bulk}",
            env.url("/sms/3/logs")
        ))
        .header("Authorization", basic())
        .send()
        .await
        .unwrap();
    assert_eq!(ids_of_logs(&raw.json().await.unwrap()), both);
    let (id1, id2) = (&ids(&a)[1], &ids(&c)[0]);
    assert_eq!(
        env.logged_ids(&[("messageId", &format!("{id1},{id2}"))])
            .await,
        [id2.clone(), id1.clone()]
    );
    assert_eq!(
        env.logged_ids(&[
            ("campaignReferenceId", "camp-b"),
            ("campaignReferenceId", "camp-x")
        ])
        .await,
        newest_first(&[&b])
    );
    assert_eq!(
        env.logged_ids(&[("entityId", "ent-a")]).await,
        newest_first(&[&a])
    );
    assert_eq!(
        env.logged_ids(&[("applicationId", "app-a")]).await,
        newest_first(&[&a])
    );
    // The sandbox knows no networks: an mcc matches nothing; mnc alone is refused.
    assert!(env.logged_ids(&[("mcc", "228")]).await.is_empty());
    api_error(
        env.get_as(&basic(), "/sms/3/logs", &[("mnc", "01")]).await,
        400,
    )
    .await;
    // Sent since / until, inclusive, on the sandbox clock.
    let b_sent = infobip_time(env.now() - chrono::TimeDelta::seconds(60));
    assert_eq!(
        env.logged_ids(&[("sentSince", &b_sent)]).await,
        newest_first(&[&b, &c])
    );
    assert_eq!(
        env.logged_ids(&[("sentUntil", &b_sent)]).await,
        newest_first(&[&a, &b])
    );
    // The general status: the first two are delivered by now, the last is pending.
    assert_eq!(
        env.logged_ids(&[("generalStatus", "PENDING")]).await,
        newest_first(&[&c])
    );
    assert_eq!(
        env.logged_ids(&[("generalStatus", "DELIVERED")]).await,
        newest_first(&[&a, &b])
    );
    api_error(
        env.get_as(&basic(), "/sms/3/logs", &[("generalStatus", "LOST")])
            .await,
        400,
    )
    .await;
    assert_eq!(env.logged_ids(&[("limit", "2")]).await.len(), 2);

    // Content comes back as sent, text or binary; price and count with it.
    let page = env
        .logs(&[("messageId", &ids(&a)[0]), ("messageId", &ids(&b)[0])])
        .await;
    let binary = &page.results[0];
    match binary.content.as_ref().unwrap() {
        SmsMessageContent::BinaryMessageContent(content) => assert_eq!(content.hex, "0f c2 4a"),
        other => panic!("{other:?}"),
    }
    let text = &page.results[1];
    match text.content.as_ref().unwrap() {
        SmsMessageContent::TextMessageContent(content) => assert_eq!(content.text, "text A"),
        other => panic!("{other:?}"),
    }
    assert_eq!(text.message_count, Some(1));
    assert_eq!(
        text.price.as_ref().unwrap().currency.as_deref(),
        Some(SMS_CURRENCY)
    );
    assert_eq!(text.campaign_reference_id.as_deref(), Some("camp-a"));
    assert!(page.cursor.is_none(), "no cursor unless asked for");
}

#[tokio::test]
async fn logs_page_with_a_cursor() {
    let env = Env::default().await;
    let mut sent = Vec::new();
    for i in 0..5 {
        sent.extend(ids(&env.send(one("41793026727", &format!("n{i}"))).await));
        env.advance(Duration::from_millis(1));
    }
    sent.reverse();

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = Vec::new();
    loop {
        let mut query = vec![("useCursor", "true"), ("limit", "2")];
        if let Some(cursor) = &cursor {
            query.push(("cursor", cursor));
        }
        let page = env.logs(&query).await;
        let info = page.cursor.clone().unwrap();
        assert_eq!(info.limit, Some(2));
        pages.push(page.results.len());
        seen.extend(ids_of_logs(&page));
        // A message sent while paging is newer than every page: it does not shift them.
        env.send(one("41793026728", "meanwhile")).await;
        match info.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, [2, 2, 1]);
    assert_eq!(seen, sent);

    // A cursor needs useCursor, and must be one the sandbox issued.
    let error = api_error(
        env.get_as(&basic(), "/sms/3/logs", &[("cursor", "abc")])
            .await,
        400,
    )
    .await;
    assert_eq!(violations(&error)[0].0, "cursor");
    let error = api_error(
        env.get_as(
            &basic(),
            "/sms/3/logs",
            &[("useCursor", "true"), ("cursor", "abc")],
        )
        .await,
        400,
    )
    .await;
    assert!(violations(&error)[0].1.contains("not a cursor"));
}

#[tokio::test]
async fn logs_keep_48_hours_only_to_their_account() {
    let other = Account::new("other", "other-password", "OTHER");
    let env = Env::start(SandboxConfig::for_tests().with_account(other)).await;
    let old = env.send(one("41793026727", "old")).await;
    env.advance(Duration::from_secs(24 * 3600));
    let recent = env.send(one("41793026727", "recent")).await;
    let response = env
        .get_as(&basic_for("other", "other-password"), "/sms/3/logs", &[])
        .await;
    let page: LogResponseSmsLogSmsMessageContent = response.json().await.unwrap();
    assert!(page.results.is_empty(), "another account's messages");
    assert_eq!(env.logged_ids(&[]).await.len(), 2);
    env.advance(Duration::from_secs(24 * 3600 + 1));
    assert_eq!(env.logged_ids(&[]).await, ids(&recent));
    assert!(!env.logged_ids(&[]).await.contains(&ids(&old)[0]));
}

#[tokio::test]
async fn logs_are_throttled_at_120_a_minute_with_retry_after() {
    let env = Env::start(SandboxConfig::for_tests().with_logs_throttle(true)).await;
    for _ in 0..120 {
        let response = env.get_as(&basic(), "/sms/3/logs", &[]).await;
        assert_eq!(response.status(), 200);
    }
    let response = env.get_as(&basic(), "/sms/3/logs", &[]).await;
    assert_eq!(response.headers()["retry-after"], "60");
    api_error(response, 429).await;
    // The other endpoints are not limited, and another account has its own count.
    for _ in 0..130 {
        assert_eq!(
            env.get_as(&basic(), "/sms/3/reports", &[]).await.status(),
            200
        );
    }
    env.advance(Duration::from_secs(45));
    let response = env.get_as(&basic(), "/sms/3/logs", &[]).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "15");
    env.advance(Duration::from_secs(15));
    assert_eq!(env.get_as(&basic(), "/sms/3/logs", &[]).await.status(), 200);
}

#[tokio::test]
async fn logs_are_not_throttled_when_throttling_is_off() {
    let env = Env::default().await;
    for _ in 0..125 {
        assert_eq!(env.get_as(&basic(), "/sms/3/logs", &[]).await.status(), 200);
    }
    // With throttling on, the logs are limited like the other endpoints.
    let env = Env::start(SandboxConfig::default().with_webhook_interval(None)).await;
    for _ in 0..120 {
        assert_eq!(env.get_as(&basic(), "/sms/3/logs", &[]).await.status(), 200);
    }
    assert_eq!(env.get_as(&basic(), "/sms/3/logs", &[]).await.status(), 429);
}

// ---- faults, request log, secrets -------------------------------------------------------------

#[tokio::test]
async fn faults_and_the_request_log_cover_the_sms_endpoints() {
    let env = Env::default().await;
    env.sandbox.inject(
        Endpoint::SendSmsMessages,
        Fault::Status {
            status: 500,
            retry_after: None,
            times: 1,
        },
    );
    let error = api_error(env.send_as(&basic(), &one("41793026727", "x")).await, 500).await;
    assert!(error.description.contains("injected"));
    env.sandbox.inject(
        Endpoint::GetOutboundSmsMessageLogsV3,
        Fault::Status {
            status: 429,
            retry_after: Some(7),
            times: 1,
        },
    );
    let response = env.get_as(&basic(), "/sms/3/logs", &[]).await;
    assert_eq!(response.headers()["retry-after"], "7");
    api_error(response, 429).await;
    env.sandbox.inject(
        Endpoint::GetOutboundSmsMessageDeliveryReportsV3,
        Fault::MalformedBody { times: 1 },
    );
    let response = env.get_as(&basic(), "/sms/3/reports", &[]).await;
    assert_eq!(response.status(), 200);
    assert!(serde_json::from_str::<Value>(&response.text().await.unwrap()).is_err());
    // The faults are used up: the endpoints answer normally again.
    env.send(one("41793026727", "x")).await;
    assert!(env.reports(&[]).await.is_empty());

    let requests = env.sandbox.requests();
    let endpoints: Vec<Option<Endpoint>> = requests.iter().map(|r| r.endpoint).collect();
    assert_eq!(
        endpoints,
        [
            Some(Endpoint::SendSmsMessages),
            Some(Endpoint::GetOutboundSmsMessageLogsV3),
            Some(Endpoint::GetOutboundSmsMessageDeliveryReportsV3),
            Some(Endpoint::SendSmsMessages),
            Some(Endpoint::GetOutboundSmsMessageDeliveryReportsV3),
        ]
    );
    assert_eq!(env.sandbox.count(Endpoint::SendSmsMessages), 2);
    // The record keeps the exact body; its Debug does not show a message text.
    assert!(requests[3].body.contains("\"x\""));
    let debug = format!("{:?}", requests[3]);
    assert!(debug.contains("body: \"[redacted]\""), "{debug}");
}

#[tokio::test]
async fn no_message_text_or_credential_reaches_the_sandboxs_logs() {
    let env = Env::default().await;
    let receiver = RecordingServer::start_with(|_| Reply::empty(200))
        .await
        .unwrap();
    let secret_text = "Your code is 918273";
    let secret_hex = "de ad be ef";
    let key = env.key(None).await;
    let url = format!("{}/dlr?token=hook-secret", receiver.base_url());
    let answer = env
        .send(json!({"messages": [
            {"destinations": [{"to": "41793026727"}], "content": {"text": secret_text},
             "webhooks": {"delivery": {"url": url}, "callbackData": "callback-secret"}},
            {"destinations": [{"to": "41793026728"}], "content": {"hex": secret_hex}}
        ]}))
        .await;
    // A refused send that carries the text too.
    let refused =
        json!({"messages": [{"destinations": [{"to": "+41"}], "content": {"text": secret_text}}]});
    api_error(env.send_as(&key, &refused).await, 400).await;
    env.advance(DELAY);
    assert_eq!(env.sandbox.deliver_due().await, 1);
    let page = env.logs(&[]).await;
    assert_eq!(page.results.len(), 2);
    env.reports(&[]).await;

    let logs = env.logs.text();
    assert!(logs.contains("SMS messages accepted"), "{logs}");
    assert!(logs.contains("delivery report posted"), "{logs}");
    assert!(logs.contains(&ids(&answer)[0]), "message ids may be logged");
    let key_secret = key.strip_prefix("App ").unwrap();
    for secret in [
        secret_text,
        "918273",
        secret_hex,
        "hook-secret",
        "callback-secret",
        key_secret,
        DEMO_PASSWORD,
    ] {
        assert!(!logs.contains(secret), "`{secret}` in the logs:\n{logs}");
    }
}
