//! Delivery reports end to end: the sandbox posts a message's report to the webhook the send
//! named, and the receiver (infobip-client's `webhooks`) checks the credentials, hands the
//! report to the service once, and makes the sandbox deliver again when the service fails.
//! The receiver's own guarantees, one by one, are in `webhook-tests/`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{default_world, sms_reported_to};
use infobip_client::sms::types::DeliveryReports;
use infobip_client::sms::webhooks::OutboundSmsMessageReportV3;
use infobip_client::webhooks::{MemoryDedup, Receiver};
use infobip_client::Products as _;
use secrecy::SecretString;

/// When the sandbox reports a sent message delivered, on its clock.
const DELIVERY: Duration = Duration::from_secs(3);
/// How long the sandbox waits before posting a refused report again.
const REDELIVERY: Duration = Duration::from_secs(10);
const PASSWORD: &str = "webhook-pw-7a1c";

/// What the service's handler was given, and whether it should fail the next delivery.
#[derive(Clone, Default)]
struct Service {
    handled: Arc<Mutex<Vec<String>>>,
    fail_next: Arc<Mutex<bool>>,
}

impl Service {
    fn receiver(&self) -> Receiver<OutboundSmsMessageReportV3> {
        let service = self.clone();
        Receiver::new(
            OutboundSmsMessageReportV3,
            move |reports: DeliveryReports| {
                let service = service.clone();
                async move {
                    if std::mem::take(&mut *service.fail_next.lock().unwrap()) {
                        return Err("the database is down");
                    }
                    let mut handled = service.handled.lock().unwrap();
                    handled.extend(reports.results.into_iter().filter_map(|r| r.message_id));
                    Ok(())
                }
            },
        )
        .basic("infobip", SecretString::from(PASSWORD))
        .dedup(MemoryDedup::new())
    }

    fn handled(&self) -> Vec<String> {
        self.handled.lock().unwrap().clone()
    }
}

/// Serves `receiver` at `/reports` on a loopback port; its address (`127.0.0.1:port`).
async fn serve(receiver: Receiver<OutboundSmsMessageReportV3>) -> String {
    let app = axum::Router::new().route("/reports", receiver.post());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    address.to_string()
}

/// Sends one SMS whose delivery report goes to `url`; its message id.
async fn send_reported_to(world: &common::World, url: String) -> String {
    let infobip = world.connect(world.basic_builder());
    let sent = infobip
        .sms()
        .send_sms_messages()
        .body(sms_reported_to(url))
        .send()
        .await
        .unwrap();
    sent.messages[0].message_id.clone().unwrap()
}

#[tokio::test]
async fn a_report_reaches_the_service_once_and_again_only_after_it_failed() {
    let world = default_world().await;
    let service = Service::default();
    let address = serve(service.receiver()).await;
    // The sandbox, like reqwest, sends a URL's user and password as Basic credentials.
    let id = send_reported_to(
        &world,
        format!("http://infobip:{PASSWORD}@{address}/reports"),
    )
    .await;

    *service.fail_next.lock().unwrap() = true;
    world.clock.advance(DELIVERY);
    assert_eq!(
        world.sandbox.deliver_due().await,
        0,
        "the service failed: not taken"
    );
    assert!(service.handled().is_empty());

    world.clock.advance(REDELIVERY);
    assert_eq!(
        world.sandbox.deliver_due().await,
        1,
        "delivered again, and taken"
    );
    assert_eq!(service.handled(), [id]);
    world.clock.advance(REDELIVERY);
    assert_eq!(
        world.sandbox.deliver_due().await,
        0,
        "nothing left to deliver"
    );
}

#[tokio::test]
async fn a_report_with_the_wrong_credentials_never_reaches_the_service() {
    let world = default_world().await;
    let service = Service::default();
    let address = serve(service.receiver()).await;
    send_reported_to(&world, format!("http://infobip:guess@{address}/reports")).await;

    world.clock.advance(DELIVERY);
    for _ in 0..5 {
        assert_eq!(world.sandbox.deliver_due().await, 0);
        world.clock.advance(REDELIVERY);
    }
    assert!(service.handled().is_empty());
}
