//! 2FA over SMS end to end through the generated client and the connection, against the
//! sandbox: an application and a message template made, a PIN sent (as an SMS in the SMS
//! logs), read back with `Sandbox::last_pin`, verified, and listed in the verification status;
//! wrong PINs until no attempt is left; expiry on the manual clock; resend within the
//! per-number limit; updates of templates and applications; 404s for unknown ids; the
//! sandbox-only PIN endpoint behind credentials.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::time::Duration;

use common::{default_world, World};
use infobip_auth::Infobip;
use infobip_client::sms::types::SmsMessageContent;
use infobip_client::two_factor::types::{
    ApplicationConfiguration, ApplicationRequest, CreateSmsOrVoiceMessageRequest, PinType,
    ResendPinRequest, StartAuthenticationRequest, UpdateSmsOrVoiceMessageRequest, VerifyPinRequest,
    VerifyPinResponse,
};
use infobip_client::Products as _;
use infobip_sandbox::{Endpoint, Fault, DEMO_PASSWORD, DEMO_USERNAME};

const TO: &str = "41793026727";
/// The default `verifyPinLimit` is 1/3s: verifications of one number are spaced so.
const VERIFY_SPACING: Duration = Duration::from_secs(3);

/// An application with `configuration` and an SMS template of 6 digits, "Your code is
/// {{pin}}" from "InfoSMS": their ids.
async fn app_and_template(
    infobip: &Infobip,
    configuration: Option<ApplicationConfiguration>,
) -> (String, String) {
    let tfa = infobip.two_factor();
    let mut request = ApplicationRequest::new("sandbox test");
    request.configuration = configuration;
    let app = tfa
        .create_2fa_application()
        .body(request)
        .send()
        .await
        .unwrap()
        .into_inner();
    let app_id = app.application_id.unwrap();
    let mut template =
        CreateSmsOrVoiceMessageRequest::new("Your code is {{pin}}", PinType::Numeric);
    template.pin_length = Some(6);
    template.sender_id = Some("InfoSMS".to_owned());
    let template = tfa
        .create_2fa_message_template()
        .app_id(&app_id)
        .body(template)
        .send()
        .await
        .unwrap()
        .into_inner();
    (app_id, template.message_id.unwrap())
}

/// Sends a PIN to `to`: its id.
async fn send_pin(infobip: &Infobip, app_id: &str, msg_id: &str, to: &str) -> String {
    infobip
        .two_factor()
        .send_2fa_pin_code_over_sms()
        .body(StartAuthenticationRequest::new(app_id, msg_id, to))
        .send()
        .await
        .unwrap()
        .into_inner()
        .pin_id
        .unwrap()
}

async fn verify(infobip: &Infobip, pin_id: &str, pin: &str) -> VerifyPinResponse {
    infobip
        .two_factor()
        .verify_2fa_phone_number()
        .pin_id(pin_id)
        .body(VerifyPinRequest::new(pin))
        .send()
        .await
        .unwrap()
        .into_inner()
}

/// The text of a logged SMS.
fn text_of(content: &Option<SmsMessageContent>) -> String {
    match content {
        Some(SmsMessageContent::TextMessageContent(text)) => text.text.clone(),
        other => panic!("not a text: {other:?}"),
    }
}

fn configuration() -> ApplicationConfiguration {
    ApplicationConfiguration::default()
}

/// A PIN of the same length as `pin` that is not `pin`.
fn wrong(pin: &str) -> String {
    pin.chars()
        .map(|c| if c == '1' { '2' } else { '1' })
        .collect()
}

async fn basic_world() -> (World, Infobip) {
    let world = default_world().await;
    let infobip = world.connect(world.basic_builder());
    (world, infobip)
}

#[tokio::test]
async fn an_application_and_template_send_a_pin_that_verifies_and_is_listed() {
    let (world, infobip) = basic_world().await;
    let tfa = infobip.two_factor();
    let (app_id, msg_id) = app_and_template(&infobip, None).await;

    // Infobip's defaults, as stored and read back.
    let app = tfa
        .get_2fa_application()
        .app_id(&app_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    let config = app.configuration.unwrap();
    assert_eq!(config.pin_attempts, 10);
    assert_eq!(config.pin_time_to_live, "15m");
    assert_eq!(config.verify_pin_limit, "1/3s");
    assert_eq!(config.send_pin_per_application_limit, "10000/1d");
    assert_eq!(config.send_pin_per_phone_number_limit, "3/1d");
    assert!(config.allow_multiple_pin_verifications);
    assert_eq!(app.enabled, Some(true));
    let apps = tfa
        .get_2fa_applications()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(apps.len(), 1);
    let templates = tfa
        .get_2fa_message_templates()
        .app_id(&app_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(templates.len(), 1);
    assert_eq!(templates[0].message_id.as_deref(), Some(msg_id.as_str()));
    assert_eq!(templates[0].pin_placeholder.as_deref(), Some("{{pin}}"));

    let sent = tfa
        .send_2fa_pin_code_over_sms()
        .nc_needed(true)
        .body(StartAuthenticationRequest::new(&app_id, &msg_id, TO))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(sent.to.as_deref(), Some(TO));
    assert_eq!(sent.sms_status.as_deref(), Some("MESSAGE_SENT"));
    assert_eq!(sent.nc_status.as_deref(), Some("NC_DESTINATION_REACHABLE"));
    let pin_id = sent.pin_id.unwrap();
    let pin = world.sandbox.last_pin(TO).unwrap();
    assert_eq!(pin.len(), 6);
    assert!(pin.chars().all(|c| c.is_ascii_digit()), "{pin}");
    assert_eq!(world.sandbox.pin(&pin_id).as_deref(), Some(pin.as_str()));

    // Nothing verified yet.
    let status = tfa
        .get_2fa_verification_status()
        .app_id(&app_id)
        .msisdn(TO)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.verifications.len(), 1);
    assert_eq!(status.verifications[0].verified, Some(false));
    assert_eq!(status.verifications[0].verified_at, None);

    world.clock.advance(Duration::from_secs(20));
    let verified = verify(&infobip, &pin_id, &pin).await;
    assert_eq!(verified.verified, Some(true));
    assert_eq!(verified.pin_error, None);
    assert_eq!(verified.msisdn.as_deref(), Some(TO));
    assert_eq!(verified.pin_id.as_deref(), Some(pin_id.as_str()));
    // allowMultiplePinVerifications is true by default.
    world.clock.advance(VERIFY_SPACING);
    assert_eq!(verify(&infobip, &pin_id, &pin).await.verified, Some(true));

    let status = tfa
        .get_2fa_verification_status()
        .app_id(&app_id)
        .msisdn(TO)
        .verified(true)
        .send()
        .await
        .unwrap()
        .into_inner();
    let [verification] = status.verifications.as_slice() else {
        panic!("{status:?}")
    };
    assert_eq!(verification.msisdn.as_deref(), Some(TO));
    assert_eq!(verification.verified, Some(true));
    let (sent_at, verified_at) = (
        verification.sent_at.unwrap(),
        verification.verified_at.unwrap(),
    );
    // On the sandbox clock: verified 20 s after it was sent (the first verification counts).
    assert_eq!(verified_at - sent_at, 20_000);
    let unverified = tfa
        .get_2fa_verification_status()
        .app_id(&app_id)
        .msisdn(TO)
        .verified(false)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(unverified.verifications.is_empty());
    world.assert_never_bare();
}

#[tokio::test]
async fn wrong_pins_count_attempts_until_none_are_left() {
    let (world, infobip) = basic_world().await;
    let mut config = configuration();
    config.pin_attempts = 3;
    let (app_id, msg_id) = app_and_template(&infobip, Some(config)).await;
    let pin_id = send_pin(&infobip, &app_id, &msg_id, TO).await;
    let pin = world.sandbox.last_pin(TO).unwrap();

    for remaining in [2, 1, 0] {
        let answer = verify(&infobip, &pin_id, &wrong(&pin)).await;
        assert_eq!(answer.verified, Some(false));
        assert_eq!(answer.pin_error.as_deref(), Some("WRONG_PIN"));
        assert_eq!(answer.attempts_remaining, Some(remaining));
        world.clock.advance(VERIFY_SPACING);
    }
    // Even the right PIN is refused now.
    let answer = verify(&infobip, &pin_id, &pin).await;
    assert_eq!(answer.verified, Some(false));
    assert_eq!(answer.pin_error.as_deref(), Some("NO_MORE_PIN_ATTEMPTS"));
    assert_eq!(answer.attempts_remaining, Some(0));

    // verifyPinLimit (1/3s): a second verification at once is throttled, in the legacy format.
    let error = infobip
        .two_factor()
        .verify_2fa_phone_number()
        .pin_id(&pin_id)
        .body(VerifyPinRequest::new(&pin))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(429));
    let infobip_error = error.infobip().unwrap();
    assert_eq!(
        infobip_error.message_id.as_deref(),
        Some("TOO_MANY_REQUESTS")
    );
}

#[tokio::test]
async fn a_pin_expires_after_its_time_to_live_on_the_sandbox_clock() {
    let (world, infobip) = basic_world().await;
    let mut config = configuration();
    config.pin_time_to_live = "2m".to_owned();
    let (app_id, msg_id) = app_and_template(&infobip, Some(config)).await;
    let early = send_pin(&infobip, &app_id, &msg_id, TO).await;
    let early_pin = world.sandbox.pin(&early).unwrap();
    let late = send_pin(&infobip, &app_id, &msg_id, "41793026728").await;
    let late_pin = world.sandbox.pin(&late).unwrap();

    world.clock.advance(Duration::from_secs(119));
    assert_eq!(
        verify(&infobip, &early, &early_pin).await.verified,
        Some(true)
    );

    world.clock.advance(Duration::from_secs(1));
    let answer = verify(&infobip, &late, &late_pin).await;
    assert_eq!(answer.verified, Some(false));
    assert_eq!(answer.pin_error.as_deref(), Some("PIN_EXPIRED"));
    // An expired PIN costs no attempt.
    assert_eq!(answer.attempts_remaining, Some(10));
    // Nor can it be sent again.
    let error = infobip
        .two_factor()
        .resend_2fa_pin_code_over_sms()
        .pin_id(&late)
        .body(ResendPinRequest::new())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
}

#[tokio::test]
async fn a_verified_pin_is_refused_again_unless_the_application_allows_it() {
    let (world, infobip) = basic_world().await;
    let mut config = configuration();
    config.allow_multiple_pin_verifications = false;
    let (app_id, msg_id) = app_and_template(&infobip, Some(config)).await;
    let pin_id = send_pin(&infobip, &app_id, &msg_id, TO).await;
    let pin = world.sandbox.last_pin(TO).unwrap();
    assert_eq!(verify(&infobip, &pin_id, &pin).await.verified, Some(true));
    world.clock.advance(VERIFY_SPACING);
    let error = infobip
        .two_factor()
        .verify_2fa_phone_number()
        .pin_id(&pin_id)
        .body(VerifyPinRequest::new(&pin))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert!(
        error.to_string().contains("allowMultiplePinVerifications"),
        "{error}"
    );
}

#[tokio::test]
async fn a_resend_is_a_new_sms_with_the_same_pin_within_the_number_limit() {
    let (world, infobip) = basic_world().await;
    let tfa = infobip.two_factor();
    let (app_id, msg_id) = app_and_template(&infobip, None).await;
    let pin_id = send_pin(&infobip, &app_id, &msg_id, TO).await;
    let pin = world.sandbox.last_pin(TO).unwrap();

    let resent = tfa
        .resend_2fa_pin_code_over_sms()
        .pin_id(&pin_id)
        .body(ResendPinRequest::new())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resent.pin_id.as_deref(), Some(pin_id.as_str()));
    assert_eq!(resent.sms_status.as_deref(), Some("MESSAGE_SENT"));
    assert_eq!(world.sandbox.last_pin(TO).as_deref(), Some(pin.as_str()));

    let logs = infobip
        .sms()
        .get_outbound_sms_message_logs_v3()
        .destination(TO)
        .send()
        .await
        .unwrap()
        .into_inner()
        .results;
    assert_eq!(logs.len(), 2);
    for log in &logs {
        assert_eq!(text_of(&log.content), format!("Your code is {pin}"));
    }
    assert_ne!(logs[0].message_id, logs[1].message_id);

    // sendPinPerPhoneNumberLimit is 3/1d by default: a third send passes, a fourth does not.
    tfa.resend_2fa_pin_code_over_sms()
        .pin_id(&pin_id)
        .body(ResendPinRequest::new())
        .send()
        .await
        .unwrap();
    let error = tfa
        .resend_2fa_pin_code_over_sms()
        .pin_id(&pin_id)
        .body(ResendPinRequest::new())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(429));
    // A day later the number may have PINs again.
    world.clock.advance(Duration::from_secs(24 * 60 * 60));
    send_pin(&infobip, &app_id, &msg_id, TO).await;
    // The first PIN's 15 minutes are long gone.
    let answer = verify(&infobip, &pin_id, &pin).await;
    assert_eq!(answer.pin_error.as_deref(), Some("PIN_EXPIRED"));
}

#[tokio::test]
async fn the_pin_sms_is_in_the_sms_logs_and_reports_with_the_template_text() {
    let (world, infobip) = basic_world().await;
    let tfa = infobip.two_factor();
    let (app_id, _) = app_and_template(&infobip, None).await;
    let mut template =
        CreateSmsOrVoiceMessageRequest::new("Hi {{name}}, {{pin}} is your code", PinType::Hex);
    template.pin_length = Some(8);
    let msg_id = tfa
        .create_2fa_message_template()
        .app_id(&app_id)
        .body(template)
        .send()
        .await
        .unwrap()
        .into_inner()
        .message_id
        .unwrap();
    let mut request = StartAuthenticationRequest::new(&app_id, &msg_id, TO);
    request.from = Some("Bank".to_owned());
    request.placeholders = [("name".to_owned(), "Ada".to_owned())].into();
    tfa.send_2fa_pin_code_over_sms()
        .body(request)
        .send()
        .await
        .unwrap();
    let pin = world.sandbox.last_pin(TO).unwrap();
    assert_eq!(pin.len(), 8);
    assert!(pin.chars().all(|c| c.is_ascii_hexdigit()), "{pin}");

    let logs = infobip
        .sms()
        .get_outbound_sms_message_logs_v3()
        .send()
        .await
        .unwrap()
        .into_inner()
        .results;
    let [log] = logs.as_slice() else {
        panic!("{logs:?}")
    };
    assert_eq!(log.destination.as_deref(), Some(TO));
    assert_eq!(log.sender.as_deref(), Some("Bank"));
    assert_eq!(text_of(&log.content), format!("Hi Ada, {pin} is your code"));
    // Its final report is there to pull, as for any SMS.
    world.clock.advance(Duration::from_secs(3));
    let reports = infobip
        .sms()
        .get_outbound_sms_message_delivery_reports_v3()
        .send()
        .await
        .unwrap()
        .into_inner()
        .results;
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].message_id, log.message_id);
}

#[tokio::test]
async fn unknown_ids_are_404_in_the_legacy_format() {
    let (_world, infobip) = basic_world().await;
    let tfa = infobip.two_factor();
    let (app_id, msg_id) = app_and_template(&infobip, None).await;
    let errors = [
        tfa.verify_2fa_phone_number()
            .pin_id("0123456789ABCDEF0123456789ABCDEF")
            .body(VerifyPinRequest::new("1234"))
            .send()
            .await
            .unwrap_err(),
        tfa.resend_2fa_pin_code_over_sms()
            .pin_id("0123456789ABCDEF0123456789ABCDEF")
            .body(ResendPinRequest::new())
            .send()
            .await
            .unwrap_err(),
        tfa.get_2fa_application()
            .app_id("nope")
            .send()
            .await
            .unwrap_err(),
        tfa.get_2fa_message_template()
            .app_id(&app_id)
            .msg_id("nope")
            .send()
            .await
            .unwrap_err(),
        tfa.send_2fa_pin_code_over_sms()
            .body(StartAuthenticationRequest::new("nope", &msg_id, TO))
            .send()
            .await
            .unwrap_err(),
    ];
    for error in errors {
        assert_eq!(error.status(), Some(404), "{error}");
        let infobip_error = error.infobip().unwrap();
        assert_eq!(
            infobip_error.message_id.as_deref(),
            Some("NOT_FOUND"),
            "{error}"
        );
    }
}

#[tokio::test]
async fn what_breaks_the_description_is_a_400_naming_the_field() {
    let (_world, infobip) = basic_world().await;
    let tfa = infobip.two_factor();
    let mut config = configuration();
    config.pin_time_to_live = "soon".to_owned();
    let mut request = ApplicationRequest::new("bad");
    request.configuration = Some(config);
    let error = tfa
        .create_2fa_application()
        .body(request)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
    let violations = &error.infobip().unwrap().violations;
    assert_eq!(violations[0].property, "configuration.pinTimeToLive");

    let (app_id, msg_id) = app_and_template(&infobip, None).await;
    let error = tfa
        .send_2fa_pin_code_over_sms()
        .body(StartAuthenticationRequest::new(
            &app_id,
            &msg_id,
            "+41793026727",
        ))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert_eq!(error.infobip().unwrap().violations[0].property, "to");

    let mut template = CreateSmsOrVoiceMessageRequest::new("{{pin}}", PinType::Numeric);
    template.pin_length = Some(40);
    let error = tfa
        .create_2fa_message_template()
        .app_id(&app_id)
        .body(template)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert_eq!(error.infobip().unwrap().violations[0].property, "pinLength");
}

/// The sandbox holds a 2FA body to the description, not to the client's types: what the
/// generated client cannot send (a `pinType` outside its enum, a count as text, a missing
/// required property) is refused with every property named at once, as raw HTTP shows.
#[tokio::test]
async fn a_body_the_client_cannot_send_is_held_to_the_description() {
    let (world, infobip) = basic_world().await;
    let (app_id, _) = app_and_template(&infobip, None).await;
    let base = world.sandbox.base_url();
    let http = reqwest::Client::new();
    let post = |path: String, body: serde_json::Value| {
        http.post(format!("{base}{path}"))
            .basic_auth(DEMO_USERNAME, Some(DEMO_PASSWORD))
            .json(&body)
            .send()
    };
    let refused = |response: reqwest::Response| async move {
        assert_eq!(response.status(), 400);
        let body: serde_json::Value = response.json().await.unwrap();
        let errors = &body["requestError"]["serviceException"]["validationErrors"];
        let mut named: Vec<String> = errors.as_object().unwrap().keys().cloned().collect();
        named.sort();
        named
    };

    let template = post(
        format!("/2fa/2/applications/{app_id}/messages"),
        serde_json::json!({"messageText": "{{pin}}", "pinType": "EMOJI", "pinLength": "six"}),
    );
    assert_eq!(
        refused(template.await.unwrap()).await,
        ["pinLength", "pinType"]
    );
    let app = post(
        "/2fa/2/applications".to_owned(),
        serde_json::json!({"configuration": {"pinAttempts": "ten"}}),
    );
    assert_eq!(
        refused(app.await.unwrap()).await,
        ["configuration.pinAttempts", "name"]
    );
    // Nothing refused was kept.
    let templates = infobip
        .two_factor()
        .get_2fa_message_templates()
        .app_id(&app_id)
        .send()
        .await
        .unwrap();
    assert_eq!(templates.len(), 1);
}

#[tokio::test]
async fn a_key_without_a_2fa_scope_is_refused_and_voice_is_not_modelled() {
    let world = default_world().await;
    let (_, key) = world.new_key("sms only", &[infobip_sandbox::SMS_SCOPE]);
    let infobip = world.connect(world.api_key_builder(&key));
    let error = infobip
        .two_factor()
        .get_2fa_applications()
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(403));
    assert!(error.to_string().contains("2fa:manage"), "{error}");

    let (_, key) = world.new_key("2fa", &[infobip_sandbox::TWO_FACTOR_SCOPE]);
    let infobip = world.connect(world.api_key_builder(&key));
    assert!(infobip
        .two_factor()
        .get_2fa_applications()
        .send()
        .await
        .unwrap()
        .is_empty());
    let error = infobip
        .two_factor()
        .send_2fa_pin_code_over_voice()
        .body(StartAuthenticationRequest::new("a", "m", TO))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(501));
}

#[tokio::test]
async fn an_injected_fault_stops_a_send_before_any_pin_or_sms() {
    let (world, infobip) = basic_world().await;
    let (app_id, msg_id) = app_and_template(&infobip, None).await;
    world
        .sandbox
        .inject(Endpoint::Send2faPinCodeOverSms, Fault::status(503));
    let error = infobip
        .two_factor()
        .send_2fa_pin_code_over_sms()
        .body(StartAuthenticationRequest::new(&app_id, &msg_id, TO))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(503));
    // A send is not repeated after a 5xx.
    assert_eq!(world.sandbox.count(Endpoint::Send2faPinCodeOverSms), 1);
    assert_eq!(world.sandbox.last_pin(TO), None);
    send_pin(&infobip, &app_id, &msg_id, TO).await;
    assert!(world.sandbox.last_pin(TO).is_some());
}

#[tokio::test]
async fn the_sandbox_pin_endpoint_shows_a_pin_only_to_its_account() {
    let (world, infobip) = basic_world().await;
    let (app_id, msg_id) = app_and_template(&infobip, None).await;
    let pin_id = send_pin(&infobip, &app_id, &msg_id, TO).await;
    let url = format!("{}/sandbox/2fa/pins/{pin_id}", world.sandbox.base_url());
    let http = reqwest::Client::new();

    let bare = http.get(&url).send().await.unwrap();
    assert_eq!(bare.status(), 401);
    let body: serde_json::Value = bare.json().await.unwrap();
    assert_eq!(
        body["requestError"]["serviceException"]["messageId"],
        "UNAUTHORIZED"
    );
    let wrong = http
        .get(&url)
        .basic_auth(DEMO_USERNAME, Some("not the password"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    let shown: serde_json::Value = http
        .get(&url)
        .basic_auth(DEMO_USERNAME, Some(DEMO_PASSWORD))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["pinId"], pin_id.as_str());
    assert_eq!(shown["to"], TO);
    assert_eq!(shown["pin"].as_str(), world.sandbox.last_pin(TO).as_deref());

    let missing = http
        .get(format!(
            "{}/sandbox/2fa/pins/nope",
            world.sandbox.base_url()
        ))
        .basic_auth(DEMO_USERNAME, Some(DEMO_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn updates_replace_what_they_name_and_a_disabled_application_sends_nothing() {
    let (world, infobip) = basic_world().await;
    let tfa = infobip.two_factor();
    let (app_id, msg_id) = app_and_template(&infobip, None).await;

    let mut update = UpdateSmsOrVoiceMessageRequest::new();
    update.pin_type = Some(PinType::Alpha);
    update.message_text = Some("{{pin}} is your new code".to_owned());
    let template = tfa
        .update_2fa_message_template()
        .app_id(&app_id)
        .msg_id(&msg_id)
        .body(update)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(template.pin_type, Some(PinType::Alpha));
    // Not named: kept.
    assert_eq!(template.pin_length, Some(6));
    assert_eq!(template.sender_id.as_deref(), Some("InfoSMS"));
    let read = tfa
        .get_2fa_message_template()
        .app_id(&app_id)
        .msg_id(&msg_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        read.message_text.as_deref(),
        Some("{{pin}} is your new code")
    );
    send_pin(&infobip, &app_id, &msg_id, TO).await;
    let pin = world.sandbox.last_pin(TO).unwrap();
    assert_eq!(pin.len(), 6);
    assert!(pin.chars().all(|c| c.is_ascii_uppercase()), "{pin}");

    // A configuration given replaces the stored one; `enabled` false stops sends.
    let mut config = configuration();
    config.pin_attempts = 5;
    let mut request = ApplicationRequest::new("renamed");
    request.configuration = Some(config);
    request.enabled = Some(false);
    let app = tfa
        .update_2fa_application()
        .app_id(&app_id)
        .body(request)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(app.name.as_deref(), Some("renamed"));
    assert_eq!(app.enabled, Some(false));
    assert_eq!(app.configuration.unwrap().pin_attempts, 5);
    let error = tfa
        .send_2fa_pin_code_over_sms()
        .body(StartAuthenticationRequest::new(
            &app_id,
            &msg_id,
            "41793026728",
        ))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert_eq!(world.sandbox.last_pin("41793026728"), None);

    // Every PIN kept was sent: `sent=false` lists none.
    let unsent = tfa
        .get_2fa_verification_status()
        .app_id(&app_id)
        .msisdn(TO)
        .sent(false)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(unsent.verifications.is_empty());
}
