//! Nothing prints the Basic password: not `Debug` of the receiver, not its answers, not its
//! logs (at every level) while it refuses and accepts deliveries.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine as _;
use infobip_client::sms::types::DeliveryReports;
use infobip_client::webhooks::{MemoryDedup, Receiver};
use secrecy::SecretString;
use tracing_subscriber::util::SubscriberInitExt as _;
use webhook_tests::{body, serve, CapturedLogs, Reports};

const PASSWORD: &str = "pw-hunter2-do-not-print";

#[derive(Debug)]
struct Failed;

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the handler failed")
    }
}

impl std::error::Error for Failed {}

fn receiver() -> Receiver<Reports> {
    Receiver::new(Reports, |_: DeliveryReports| async { Err::<(), _>(Failed) })
        .basic("infobip", SecretString::from(PASSWORD))
        .dedup(MemoryDedup::new())
}

fn assert_no_secret(text: &str) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("infobip:{PASSWORD}"));
    assert!(!text.contains(PASSWORD), "the password is shown: {text}");
    assert!(
        !text.contains("hunter2"),
        "part of the password is shown: {text}"
    );
    assert!(
        !text.contains(&encoded),
        "the encoded credentials are shown: {text}"
    );
}

#[test]
fn debug_shows_no_password() {
    let shown = format!("{:?} {:#?}", receiver(), receiver());

    assert!(shown.contains("infobip"), "{shown}");
    assert!(shown.contains("[redacted]"), "{shown}");
    assert_no_secret(&shown);
}

// One thread: the subscriber set for this test sees the server's tasks too.
#[tokio::test(flavor = "current_thread")]
async fn logs_and_answers_show_no_password() {
    let logs = CapturedLogs::default();
    let _guard = logs.subscriber().set_default();
    let url = format!(
        "{}/hooks",
        serve(axum::Router::new().route("/hooks", receiver().post())).await
    );
    let client = reqwest::Client::new();
    let mut answers = String::new();

    // Refused: a password that holds the real one, and one that is close to it.
    for presented in [format!("{PASSWORD}x"), PASSWORD.replace('2', "3") + "!"] {
        let response = client
            .post(&url)
            .header("content-type", "application/json")
            .basic_auth("infobip", Some(&presented))
            .body(body(&["m1"]))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        answers.push_str(&format!("{:?}", response.headers()));
        answers.push_str(&response.text().await.unwrap());
    }
    // Accepted, and failed by the handler (500, logged at error).
    let response = client
        .post(&url)
        .header("content-type", "application/json")
        .basic_auth("infobip", Some(PASSWORD))
        .body(body(&["m1"]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    answers.push_str(&format!("{:?}", response.headers()));
    answers.push_str(&response.text().await.unwrap());

    let logged = logs.text();
    assert!(
        logged.contains("refused a webhook delivery"),
        "the refusals were not logged: {logged}"
    );
    assert!(
        logged.contains("the webhook handler failed"),
        "the failure was not logged: {logged}"
    );
    assert!(
        !logged.contains("41793026727"),
        "the payload is logged: {logged}"
    );
    assert_no_secret(&logged);
    assert_no_secret(&answers);
}
