//! Product calls retried where it is safe: reads after a throttle, a gateway's failure or no
//! answer; sends, when the caller opts in, only after what proves Infobip did not act (that
//! sends and report reads are sent once by default is `sms.rs`'s subject). Waits go through the connection's clock (a manual
//! one here), so `slept()` shows them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{default_world, send_hello, sms_text};
use infobip_auth::retry::RetryPolicy;
use infobip_client::Products as _;
use infobip_sandbox::{Endpoint, Fault};

const BALANCE: Endpoint = Endpoint::GetAccountBalance;
const SEND: Endpoint = Endpoint::SendSmsMessages;

#[tokio::test]
async fn a_read_is_sent_again_after_503_and_502_with_growing_waits() {
    let w = default_world().await;
    w.sandbox.inject(BALANCE, Fault::status(503));
    w.sandbox.inject(BALANCE, Fault::status(502));
    let balance = w.basic().get_account_balance().send().await.unwrap();
    assert_eq!(balance.currency, "EUR");
    assert_eq!(w.sandbox.count(BALANCE), 3);
    let slept = w.clock.slept();
    assert_eq!(slept.len(), 2, "{slept:?}");
    // Jittered: between half and all of 200 ms, then of 400 ms.
    assert!(slept[0] >= Duration::from_millis(100) && slept[0] <= Duration::from_millis(200));
    assert!(slept[1] >= Duration::from_millis(200) && slept[1] <= Duration::from_millis(400));
}

#[tokio::test]
async fn a_read_waits_as_long_as_retry_after_asks() {
    let w = default_world().await;
    w.sandbox.inject(
        BALANCE,
        Fault::reply(429, r#"{"requestError":{"serviceException":{"messageId":"TOO_MANY_REQUESTS","text":"Slow down"}}}"#)
            .with_header("retry-after", "7"),
    );
    w.basic().get_account_balance().send().await.unwrap();
    assert_eq!(w.sandbox.count(BALANCE), 2);
    assert_eq!(w.clock.slept(), [Duration::from_secs(7)]);
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_is_handed_to_the_caller_at_once() {
    let w = default_world().await;
    w.sandbox.inject(
        BALANCE,
        Fault::reply(429, "").with_header("retry-after", "3600"),
    );
    let error = w.basic().get_account_balance().send().await.unwrap_err();
    assert_eq!(error.status(), Some(429));
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(w.sandbox.count(BALANCE), 1);
    assert!(w.clock.slept().is_empty());
}

#[tokio::test]
async fn a_read_gives_up_after_its_attempts_with_the_last_answer() {
    let w = default_world().await;
    w.sandbox.inject(BALANCE, Fault::status(503).times(5));
    let error = w.basic().get_account_balance().send().await.unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert_eq!(
        w.sandbox.count(BALANCE),
        3,
        "the default policy: 3 attempts"
    );
}

#[tokio::test]
async fn a_read_that_timed_out_is_sent_again() {
    let w = default_world().await;
    let client = w
        .basic_builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    w.sandbox.inject(
        BALANCE,
        Fault::Delay {
            delay: Duration::from_secs(5),
            times: 1,
        },
    );
    client.get_account_balance().send().await.unwrap();
    assert_eq!(w.sandbox.count(BALANCE), 2);
}

#[tokio::test]
async fn reads_are_sent_once_when_retries_are_off() {
    let w = default_world().await;
    let client = w
        .basic_builder()
        .read_retry(RetryPolicy::never())
        .build()
        .unwrap();
    w.sandbox.inject(BALANCE, Fault::status(503));
    let error = client.get_account_balance().send().await.unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert_eq!(w.sandbox.count(BALANCE), 1);
}

#[tokio::test]
async fn an_opted_in_send_is_resent_only_after_what_proves_it_was_not_processed() {
    let w = default_world().await;
    let infobip = w.connect(w.basic_builder().write_retry(RetryPolicy::default()));
    let sms = infobip.sms();
    let send = || {
        sms.send_sms_messages()
            .body(sms_text("41793026727", "Hello"))
            .send()
    };
    // 429 and 503: Infobip did not process it; the send goes through on the next attempt.
    w.sandbox.inject(SEND, Fault::status(429));
    w.sandbox.inject(SEND, Fault::status(503));
    send().await.unwrap();
    assert_eq!(w.sandbox.count(SEND), 3);
    // 500 and 502 may come after the message was accepted: handed back, not resent.
    for status in [500, 502, 504] {
        w.sandbox.inject(SEND, Fault::status(status));
        let before = w.sandbox.count(SEND);
        let error = send().await.unwrap_err();
        assert_eq!(error.status(), Some(status));
        assert_eq!(w.sandbox.count(SEND), before + 1, "HTTP {status}");
    }
}

#[tokio::test]
async fn an_opted_in_send_that_timed_out_is_not_resent() {
    let w = default_world().await;
    let infobip = w.connect(
        w.basic_builder()
            .timeout(Duration::from_millis(200))
            .write_retry(RetryPolicy::default()),
    );
    w.sandbox.inject(
        SEND,
        Fault::Delay {
            delay: Duration::from_secs(5),
            times: 1,
        },
    );
    let error = send_hello(&infobip).await.unwrap_err();
    assert!(error.may_have_been_received(), "{error}");
    assert_eq!(w.sandbox.count(SEND), 1);
}

#[tokio::test]
async fn a_policy_of_zero_attempts_is_refused_naming_its_field() {
    let w = default_world().await;
    let zero = RetryPolicy {
        max_attempts: 0,
        ..RetryPolicy::default()
    };
    let error = w.basic_builder().read_retry(zero).build().unwrap_err();
    assert_eq!(error.field, "read_retry");
    let error = w.basic_builder().write_retry(zero).build().unwrap_err();
    assert_eq!(error.field, "write_retry");
}

#[tokio::test]
async fn a_calls_own_timeout_bounds_it_instead_of_the_connections() {
    let w = default_world().await;
    // Under the connection's bound alone the held answer would arrive, and the call succeed.
    let infobip = w.connect(w.basic_builder().timeout(Duration::from_secs(120)));
    w.sandbox.inject(
        SEND,
        Fault::Delay {
            delay: Duration::from_secs(60),
            times: 1,
        },
    );
    let error = infobip
        .sms()
        .send_sms_messages()
        .body(sms_text("41793026727", "Hello"))
        .call_timeout(Duration::from_millis(200))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(error.kind(), infobip_client::ErrorKind::Transport(e) if e.is_timeout()),
        "{error:?}"
    );
    assert_eq!(w.sandbox.count(SEND), 1);
}

// ---- retries and the 401 replay on one read ----------------------------------------------
// A read's first answer decides whether it needs the replay, the retries or both; after that
// every attempt goes out as a call of its own would.

const TOKEN: Endpoint = Endpoint::CreateOAuth2Token;

#[tokio::test]
async fn a_read_refused_then_throttled_gets_a_new_token_then_a_retry() {
    let w = default_world().await;
    let client = w.oauth2();
    client.get_account_balance().send().await.unwrap();
    w.sandbox.inject(BALANCE, Fault::status(401));
    w.sandbox.inject(BALANCE, Fault::status(503));
    client.get_account_balance().send().await.unwrap();
    assert_eq!(
        w.sandbox.count(BALANCE),
        4,
        "1 + the 401, its replay (503), the retry"
    );
    assert_eq!(w.sandbox.count(TOKEN), 2);
    assert_eq!(w.clock.slept().len(), 1, "one wait, before the retry");
    let [_, renewed] = w.sandbox.issued_tokens().try_into().unwrap();
    let used = w.authorizations(BALANCE);
    assert_eq!(used[2], format!("Bearer {renewed}"), "the replay: {used:?}");
}

#[tokio::test]
async fn a_read_throttled_then_refused_is_retried_then_replayed() {
    let w = default_world().await;
    let client = w.oauth2();
    client.get_account_balance().send().await.unwrap();
    w.sandbox.inject(BALANCE, Fault::status(503));
    w.sandbox.inject(BALANCE, Fault::status(401));
    client.get_account_balance().send().await.unwrap();
    assert_eq!(
        w.sandbox.count(BALANCE),
        4,
        "1 + the 503, the retry (401), its replay"
    );
    assert_eq!(w.sandbox.count(TOKEN), 2);
    assert_eq!(w.clock.slept().len(), 1);
}

#[tokio::test]
async fn a_read_with_a_fixed_header_answered_401_is_sent_once() {
    let w = default_world().await;
    w.sandbox.inject(BALANCE, Fault::status(401));
    let error = w.basic().get_account_balance().send().await.unwrap_err();
    assert_eq!(error.status(), Some(401));
    assert_eq!(w.sandbox.count(BALANCE), 1, "nothing new to send it with");
    assert!(w.clock.slept().is_empty());
}

#[tokio::test]
async fn a_read_refused_twice_reaches_the_caller_with_logins_paused_and_no_retry() {
    let w = default_world().await;
    let client = w.oauth2();
    client.get_account_balance().send().await.unwrap();
    w.sandbox.inject(BALANCE, Fault::status(401).times(2));
    let error = client.get_account_balance().send().await.unwrap_err();
    assert_eq!(error.status(), Some(401));
    assert_eq!(
        w.sandbox.count(BALANCE),
        3,
        "1 + the 401 and its one replay"
    );
    assert_eq!(w.sandbox.count(TOKEN), 2);
    assert!(w.clock.slept().is_empty(), "a 401 is not retried");
}

#[tokio::test]
async fn a_read_throttled_refused_and_throttled_again_recovers_with_one_new_token() {
    let w = default_world().await;
    let client = w.oauth2();
    client.get_account_balance().send().await.unwrap();
    w.sandbox.inject(BALANCE, Fault::status(503));
    w.sandbox.inject(BALANCE, Fault::status(401));
    w.sandbox.inject(BALANCE, Fault::status(503));
    client.get_account_balance().send().await.unwrap();
    assert_eq!(
        w.sandbox.count(BALANCE),
        5,
        "1 + the 503, the retry (401), its replay (503), the last retry"
    );
    assert_eq!(w.sandbox.count(TOKEN), 2, "one new token for the one 401");
    assert_eq!(w.clock.slept().len(), 2, "a wait before each retry");
    let [_, renewed] = w.sandbox.issued_tokens().try_into().unwrap();
    let used = w.authorizations(BALANCE);
    assert_eq!(used[3], format!("Bearer {renewed}"), "the replay: {used:?}");
}

#[tokio::test]
async fn a_replay_answered_with_a_retry_after_beyond_the_cap_is_handed_back_at_once() {
    let w = default_world().await;
    let client = w.oauth2();
    client.get_account_balance().send().await.unwrap();
    w.sandbox.inject(BALANCE, Fault::status(401));
    w.sandbox.inject(
        BALANCE,
        Fault::reply(429, "").with_header("retry-after", "3600"),
    );
    let error = client.get_account_balance().send().await.unwrap_err();
    assert_eq!(error.status(), Some(429));
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(w.sandbox.count(BALANCE), 3, "1 + the 401 and its replay");
    assert_eq!(w.sandbox.count(TOKEN), 2);
    assert!(w.clock.slept().is_empty());
}

#[tokio::test]
async fn a_retry_after_date_in_the_past_on_a_reads_first_answer_waits_the_backoff_only() {
    let w = default_world().await;
    w.sandbox.inject(
        BALANCE,
        Fault::reply(503, "").with_header("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"),
    );
    w.basic().get_account_balance().send().await.unwrap();
    assert_eq!(w.sandbox.count(BALANCE), 2);
    let slept = w.clock.slept();
    assert_eq!(slept.len(), 1, "{slept:?}");
    assert!(
        slept[0] >= Duration::from_millis(100) && slept[0] <= Duration::from_millis(200),
        "{slept:?}"
    );
}

#[tokio::test]
async fn a_retry_after_a_replay_goes_with_the_new_session() {
    let w = default_world().await;
    let client = w.ibsso();
    client.get_account_balance().send().await.unwrap();
    w.sandbox.inject(BALANCE, Fault::status(401));
    w.sandbox.inject(BALANCE, Fault::status(503));
    client.get_account_balance().send().await.unwrap();
    let used = w.authorizations(BALANCE);
    assert_eq!(
        used.len(),
        4,
        "the 401, its replay (503), one retry: {used:?}"
    );
    assert_eq!(used[0], used[1]);
    assert_ne!(used[1], used[2], "the replay's new session");
    assert_eq!(
        used[2], used[3],
        "the retry goes with it, not with the refused one"
    );
}
