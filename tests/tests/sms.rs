//! SMS end to end through the generated client and the connection, against the sandbox: a
//! message sent with each scheme, its delivery report read and its log listed; a send that
//! meets a 401 replayed once, and one that meets a 5xx or a timeout never sent twice; the logs
//! as a stream across pages and the 120-a-minute limit; a delivery report posted to a
//! webhook. (The spans of SMS calls are checked with every other log line in `secrets.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::time::Duration;

use common::{default_world, send_hello, sms_reported_to, sms_text, world};
use futures_util::TryStreamExt as _;
use infobip_auth::ClientBuilder;
use infobip_client::sms::types::{DeliveryReports, MessageGeneralStatus};
use infobip_client::Products as _;
use infobip_sandbox::{Endpoint, Fault, SandboxConfig};
use workspace_tests::{RecordingServer, Reply};

/// How long the sandbox keeps a message pending by default.
const DELIVERY: Duration = Duration::from_secs(3);

#[tokio::test]
async fn an_sms_sent_with_each_scheme_is_reported_once_and_logged() {
    let world = default_world().await;
    let (_, key) = world.new_key("sms", &[infobip_sandbox::SMS_SCOPE]);
    let schemes: [(&str, ClientBuilder); 4] = [
        ("basic", world.basic_builder()),
        ("api key", world.api_key_builder(&key)),
        ("ibsso", world.ibsso_builder()),
        ("oauth2", world.oauth2_builder()),
    ];
    for (i, (name, builder)) in schemes.into_iter().enumerate() {
        let infobip = world.connect(builder);
        let sms = infobip.sms();
        let to = format!("4179302672{i}");
        let sent = sms
            .send_sms_messages()
            .body(sms_text(&to, "Hello"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .into_inner();
        let message = &sent.messages[0];
        let id = message.message_id.clone().unwrap();
        assert_eq!(message.destination.as_deref(), Some(to.as_str()), "{name}");
        let status = message.status.as_ref().unwrap();
        assert_eq!(
            status.group_name,
            Some(MessageGeneralStatus::Pending),
            "{name}"
        );

        world.clock.advance(DELIVERY);
        let reports = sms
            .get_outbound_sms_message_delivery_reports_v3()
            .message_id(&id)
            .send()
            .await
            .unwrap()
            .into_inner()
            .results;
        assert_eq!(reports.len(), 1, "{name}");
        let status = reports[0].status.as_ref().unwrap();
        assert_eq!(
            status.group_name,
            Some(MessageGeneralStatus::Delivered),
            "{name}"
        );
        // A report is handed out once.
        let again = sms
            .get_outbound_sms_message_delivery_reports_v3()
            .message_id(&id)
            .send()
            .await
            .unwrap();
        assert!(again.results.is_empty(), "{name}");

        let logs = sms
            .get_outbound_sms_message_logs_v3()
            .message_id(vec![id.clone()])
            .send()
            .await
            .unwrap()
            .into_inner()
            .results;
        assert_eq!(logs.len(), 1, "{name}");
        assert_eq!(logs[0].message_id.as_deref(), Some(id.as_str()), "{name}");
    }
    world.assert_never_bare();
}

#[tokio::test]
async fn a_send_refused_with_a_401_is_sent_once_more_with_a_new_token() {
    let world = default_world().await;
    let infobip = world.warm(world.oauth2_builder()).await;
    world
        .sandbox
        .inject(Endpoint::SendSmsMessages, Fault::status(401));

    let sent = send_hello(&infobip).await.unwrap();
    assert_eq!(sent.messages.len(), 1);
    assert_eq!(world.sandbox.count(Endpoint::SendSmsMessages), 2);
    assert_eq!(world.sandbox.count(Endpoint::CreateOAuth2Token), 2);
    // The refused request created nothing: one message in all.
    let logs = infobip
        .sms()
        .get_outbound_sms_message_logs_v3()
        .send()
        .await
        .unwrap();
    assert_eq!(logs.results.len(), 1);
}

#[tokio::test]
async fn a_send_or_report_read_that_meets_a_5xx_is_never_sent_twice() {
    let world = default_world().await;
    let infobip = world.connect(world.oauth2_builder());
    let sms = infobip.sms();
    for status in [500, 502, 503, 504] {
        world
            .sandbox
            .inject(Endpoint::SendSmsMessages, Fault::status(status));
        let error = sms
            .send_sms_messages()
            .body(sms_text("41793026727", "Hello"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(error.status(), Some(status));

        world.sandbox.inject(
            Endpoint::GetOutboundSmsMessageDeliveryReportsV3,
            Fault::status(status),
        );
        sms.get_outbound_sms_message_delivery_reports_v3()
            .send()
            .await
            .unwrap_err();
    }
    assert_eq!(world.sandbox.count(Endpoint::SendSmsMessages), 4);
    assert_eq!(
        world
            .sandbox
            .count(Endpoint::GetOutboundSmsMessageDeliveryReportsV3),
        4
    );
}

#[tokio::test]
async fn a_send_that_times_out_is_not_sent_again() {
    let world = default_world().await;
    let key = world.new_key_secret("timeout");
    let infobip = world.connect(
        world
            .api_key_builder(&key)
            .timeout(Duration::from_millis(300)),
    );
    // Held until a second send arrives: only a resend would release it.
    world
        .sandbox
        .inject(Endpoint::SendSmsMessages, Fault::Hold { times: 2 });

    let error = send_hello(&infobip).await.unwrap_err();
    assert!(
        matches!(error.kind(), infobip_client::ErrorKind::Transport(e) if e.is_timeout()),
        "{error:?}"
    );
    assert!(error.may_have_been_received(), "{error}");
    assert_eq!(world.sandbox.count(Endpoint::SendSmsMessages), 1);
}

#[tokio::test]
async fn the_logs_stream_follows_the_cursor_and_waits_out_the_rate_limit() {
    let world = world(SandboxConfig::for_tests().with_logs_throttle(true)).await;
    let infobip = world.connect(world.basic_builder());
    let sms = infobip.sms();
    let mut sent = Vec::new();
    for i in 0..3 {
        let answer = sms
            .send_sms_messages()
            .body(sms_text(&format!("4179302672{i}"), "Hello"))
            .send()
            .await
            .unwrap();
        sent.push(answer.messages[0].message_id.clone().unwrap());
        world.clock.advance(Duration::from_millis(10));
    }
    // All but one of the minute's 120 calls used: the stream's second page meets a 429.
    for _ in 0..119 {
        sms.get_outbound_sms_message_logs_v3()
            .limit(1)
            .send()
            .await
            .unwrap();
    }

    let logs: Vec<_> = infobip
        .sms_logs(sms.get_outbound_sms_message_logs_v3().limit(1))
        .try_collect()
        .await
        .unwrap();
    let listed: Vec<_> = logs.iter().map(|l| l.message_id.clone().unwrap()).collect();
    sent.reverse();
    assert_eq!(listed, sent, "newest first, each once");
    let refused = world
        .sandbox
        .requests()
        .into_iter()
        .filter(|r| r.endpoint == Some(Endpoint::GetOutboundSmsMessageLogsV3))
        .filter(|r| r.status == Some(429))
        .count();
    assert_eq!(refused, 1);
    // The wait was the one Infobip asked for (the oldest call leaves the minute's window),
    // on the connection's clock.
    let waits = world.clock.slept();
    assert_eq!(waits.len(), 1, "{waits:?}");
    assert!(
        waits[0] > Duration::ZERO && waits[0] <= Duration::from_secs(60),
        "{waits:?}"
    );
    // Pages after the first carried the cursor.
    let cursors = world
        .sandbox
        .requests()
        .into_iter()
        .filter(|r| r.endpoint == Some(Endpoint::GetOutboundSmsMessageLogsV3))
        .skip(119)
        .filter(|r| r.query.as_deref().is_some_and(|q| q.contains("cursor=")))
        .count();
    assert!(cursors >= 2, "{cursors}");
}

#[tokio::test]
async fn the_logs_stream_hands_over_an_error_and_ends() {
    let world = default_world().await;
    let infobip = world.connect(world.basic_builder());
    let sms = infobip.sms();
    world.sandbox.inject(
        Endpoint::GetOutboundSmsMessageLogsV3,
        Fault::status(429).times(11),
    );
    let mut logs = infobip.sms_logs(sms.get_outbound_sms_message_logs_v3());
    let error = logs.try_next().await.unwrap_err();
    assert_eq!(error.status(), Some(429));
    assert!(logs.try_next().await.unwrap().is_none());
    // Ten waits, doubling from a second while Infobip names none, then the 429 itself.
    let waits: Vec<u64> = world.clock.slept().iter().map(|d| d.as_secs()).collect();
    assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 64, 64, 64]);

    world
        .sandbox
        .inject(Endpoint::GetOutboundSmsMessageLogsV3, Fault::status(500));
    let mut logs = infobip.sms_logs(sms.get_outbound_sms_message_logs_v3());
    assert_eq!(logs.try_next().await.unwrap_err().status(), Some(500));
    assert!(logs.try_next().await.unwrap().is_none());
}

#[tokio::test]
async fn the_logs_stream_sends_a_page_once_whatever_the_connections_read_retry() {
    // The stream waits out 429s itself, so the connection's retries are off for its calls
    // (a task-local the read route consults when the call is sent): a 503, which the
    // connection would retry for any other read, comes back at once.
    let world = default_world().await;
    let infobip = world.connect(world.basic_builder());
    let sms = infobip.sms();
    world
        .sandbox
        .inject(Endpoint::GetOutboundSmsMessageLogsV3, Fault::status(503));
    let mut logs = infobip.sms_logs(sms.get_outbound_sms_message_logs_v3());
    assert_eq!(logs.try_next().await.unwrap_err().status(), Some(503));
    assert_eq!(
        world.sandbox.count(Endpoint::GetOutboundSmsMessageLogsV3),
        1
    );
    assert!(world.clock.slept().is_empty(), "{:?}", world.clock.slept());
    // The same read outside the stream is retried.
    world
        .sandbox
        .inject(Endpoint::GetOutboundSmsMessageLogsV3, Fault::status(503));
    sms.get_outbound_sms_message_logs_v3().send().await.unwrap();
    assert_eq!(
        world.sandbox.count(Endpoint::GetOutboundSmsMessageLogsV3),
        3
    );
}

#[tokio::test]
async fn a_cursor_named_again_does_not_loop_the_logs_stream() {
    // Regression: `Pages::next` (auth/src/sms.rs) follows any `nextCursor` of a page with entries; it
    // guards against an empty page naming a cursor, but not against a page naming the cursor
    // it was asked with (a server bug, a proxy cache keyed without the query): the stream then
    // asks for that page forever, yields its entries again and again, and a caller that
    // `try_collect`s never returns and grows without bound.
    use futures_util::StreamExt as _;

    let world = default_world().await;
    let infobip = world.connect(world.basic_builder());
    let page = r#"{"results":[{"messageId":"m-1","bulkId":"b-1"}],"cursor":{"limit":1,"nextCursor":"c-1"}}"#;
    world.sandbox.inject(
        Endpoint::GetOutboundSmsMessageLogsV3,
        Fault::reply(200, page).times(100),
    );
    let sms = infobip.sms();
    let logs: Vec<_> = infobip
        .sms_logs(sms.get_outbound_sms_message_logs_v3().limit(1))
        .take(50)
        .collect()
        .await;
    let repeated = logs
        .iter()
        .filter(|l| matches!(l, Ok(l) if l.message_id.as_deref() == Some("m-1")))
        .count();
    assert!(
        logs.len() < 50,
        "the stream asked for cursor c-1 {} times and yielded m-1 {repeated} times, and was still going",
        world.sandbox.count(Endpoint::GetOutboundSmsMessageLogsV3) - 1
    );
    // Both pages' entries, then the reason it stopped.
    assert_eq!(repeated, 2);
    let stopped = logs.last().unwrap().as_ref().unwrap_err().to_string();
    assert!(
        stopped.contains("named the cursor it was asked with"),
        "{stopped}"
    );
}

#[tokio::test]
async fn a_delivery_report_is_posted_to_the_messages_webhook() {
    let world = default_world().await;
    let hook = RecordingServer::start().await.unwrap();
    hook.reply(Reply::json(200, "{}"));
    let infobip = world.connect(world.oauth2_builder());
    let sent = infobip
        .sms()
        .send_sms_messages()
        .body(sms_reported_to(format!("{}/reports", hook.base_url())))
        .send()
        .await
        .unwrap();
    let id = sent.messages[0].message_id.clone().unwrap();

    assert_eq!(world.sandbox.deliver_due().await, 0, "not due yet");
    world.clock.advance(DELIVERY);
    assert_eq!(world.sandbox.deliver_due().await, 1);
    let posted = hook.requests();
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0].path, "/reports");
    assert_eq!(posted[0].header("authorization"), None);
    let reports: DeliveryReports = serde_json::from_str(&posted[0].body).unwrap();
    assert_eq!(reports.results[0].message_id.as_deref(), Some(id.as_str()));
    // Posted, so not pulled as well.
    let pulled = infobip
        .sms()
        .get_outbound_sms_message_delivery_reports_v3()
        .send()
        .await
        .unwrap();
    assert!(pulled.results.is_empty());
}

#[test]
fn a_send_answered_200_with_a_cut_off_body_may_have_been_received_traced_or_not() {
    // With the call's span enabled (any subscriber at INFO), `trace::answered`
    // (generated-client/src/trace.rs) reads the body first to find the message ids, and its read error
    // goes back as the transport's. Either way Infobip accepted the messages, and the error
    // must say so: a caller that resends what it thinks was never received sends every
    // message twice.
    let error = |traced: bool| {
        common::run_traced(traced, async {
            let (_server, infobip) = common::cut_off_send_answer();
            infobip
                .sms()
                .send_sms_messages()
                .body(sms_text("41793026727", "Your code is 918273"))
                .send()
                .await
                .unwrap_err()
        })
    };
    for traced in [false, true] {
        let error = error(traced);
        assert!(
            matches!(error.kind(), infobip_client::ErrorKind::Transport(_)),
            "traced: {traced}: {error:?}"
        );
        assert!(error.may_have_been_received(), "traced: {traced}: {error}");
    }
}
