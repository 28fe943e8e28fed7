//! The 2FA endpoints (`spec/two-factor.yaml`), and the sandbox's own PIN endpoint.
//! Authentication, scopes and error bodies come from the sandbox's HTTP kit (`crate::http`);
//! faults and the request log from its middleware (`crate::routes`). PINs go out as SMS
//! messages through the SMS store.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;

use super::bodies::{
    ApplicationRequest, NewTemplate, ResendRequest, StartRequest, Started, TemplateUpdate,
    VerifyRequest,
};
use super::store::{Outgoing, StartPin};
use crate::described::check::body_violations;
use crate::errors::Failure;
use crate::http::{guard, respond, single_value, AppState, Peer};
use crate::model::Endpoint;
use crate::sms::bodies::{Content, Destination, Message, SendRequest, TextContent};
use crate::sms::validate::{number_problem, type_violation};
use crate::state::Shared;

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/2fa/2/applications", get(list_apps).post(create_app))
        .route("/2fa/2/applications/{app}", get(get_app).put(update_app))
        .route(
            "/2fa/2/applications/{app}/messages",
            get(list_templates).post(create_template),
        )
        .route(
            "/2fa/2/applications/{app}/messages/{msg}",
            get(get_template).put(update_template),
        )
        .route(
            "/2fa/2/applications/{app}/email/messages",
            post(|s: AppState, p: Peer, h: HeaderMap| {
                not_modelled(s, p, h, Endpoint::Create2faEmailMessageTemplate)
            }),
        )
        .route(
            "/2fa/2/applications/{app}/email/messages/{msg}",
            put(|s: AppState, p: Peer, h: HeaderMap| {
                not_modelled(s, p, h, Endpoint::Update2faEmailMessageTemplate)
            }),
        )
        .route(
            "/2fa/2/applications/{app}/verifications",
            get(verifications),
        )
        .route("/2fa/2/pin", post(send_pin))
        .route(
            "/2fa/2/pin/voice",
            post(|s: AppState, p: Peer, h: HeaderMap| {
                not_modelled(s, p, h, Endpoint::Send2faPinCodeOverVoice)
            }),
        )
        .route(
            "/2fa/2/pin/email",
            post(|s: AppState, p: Peer, h: HeaderMap| {
                not_modelled(s, p, h, Endpoint::Send2faPinCodeOverEmail)
            }),
        )
        .route("/2fa/2/pin/{pin}/resend", post(resend_pin))
        .route(
            "/2fa/2/pin/{pin}/resend/voice",
            post(|s: AppState, p: Peer, h: HeaderMap| {
                not_modelled(s, p, h, Endpoint::Resend2faPinCodeOverVoice)
            }),
        )
        .route(
            "/2fa/2/pin/{pin}/resend/email",
            post(|s: AppState, p: Peer, h: HeaderMap| {
                not_modelled(s, p, h, Endpoint::Resend2faPinCodeOverEmail)
            }),
        )
        .route("/2fa/2/pin/{pin}/verify", post(verify_pin))
        .route("/sandbox/2fa/pins/{pin}", get(sandbox_pin))
}

/// Reads `endpoint`'s body, held to its description, into the sandbox's own type; what does
/// not fit is a 400 naming each property. An empty body reads as `{}`.
fn parse<T: DeserializeOwned>(endpoint: Endpoint, body: &[u8]) -> Result<T, Failure> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        &b"{}"[..]
    } else {
        body
    };
    let value = crate::http::json_body(body)?;
    let violations = body_violations(endpoint, &value)?;
    if !violations.is_empty() {
        return Err(Failure::violations(violations));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let (property, violation) = type_violation(&e);
        Failure::invalid(&property, violation)
    })
}

/// A query string's pairs, in order.
fn query_pairs(uri: &Uri) -> Result<Vec<(String, String)>, Failure> {
    serde_urlencoded::from_str(uri.query().unwrap_or_default())
        .map_err(|_| Failure::bad_request("The query string is not valid"))
}

fn flag(pairs: &[(String, String)], name: &str) -> Result<Option<bool>, Failure> {
    single_value(name, pairs.iter())?
        .map(|value| crate::http::flag_value(name, value))
        .transpose()
}

/// Voice and email are described but not modelled: an authenticated call gets a 501.
async fn not_modelled(
    State(shared): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    endpoint: Endpoint,
) -> Response {
    let result: Result<Json<()>, Failure> =
        guard(&shared, endpoint, &headers, peer).and_then(|_| {
            Err(Failure::new(
                StatusCode::NOT_IMPLEMENTED,
                "The sandbox does not model 2FA over voice or email: use the SMS operations \
             (POST /2fa/2/pin) and SMS message templates",
            ))
        });
    respond(endpoint, result)
}

// ---- applications -----------------------------------------------------------------------

async fn list_apps(
    State(shared): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
) -> Response {
    let endpoint = Endpoint::Get2faApplications;
    let result = guard(&shared, endpoint, &headers, peer)
        .map(|principal| Json(shared.two_factor.list_apps(&principal.account.account_id)));
    respond(endpoint, result)
}

async fn create_app(
    State(shared): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let endpoint = Endpoint::Create2faApplication;
    let result = guard(&shared, endpoint, &headers, peer).and_then(|principal| {
        let request: ApplicationRequest = parse(endpoint, &body)?;
        // The description answers this one 201 (the template create 200).
        shared
            .two_factor
            .create_app(&principal.account.account_id, request)
            .map(|app| (StatusCode::CREATED, Json(app)))
    });
    respond(endpoint, result)
}

async fn get_app(
    State(shared): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    Path(app): Path<String>,
) -> Response {
    let endpoint = Endpoint::Get2faApplication;
    let result = guard(&shared, endpoint, &headers, peer).and_then(|principal| {
        shared
            .two_factor
            .get_app(&principal.account.account_id, &app)
            .map(Json)
    });
    respond(endpoint, result)
}

async fn update_app(
    State(shared): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    Path(app): Path<String>,
    body: Bytes,
) -> Response {
    let endpoint = Endpoint::Update2faApplication;
    let result = guard(&shared, endpoint, &headers, peer).and_then(|principal| {
        let request: ApplicationRequest = parse(endpoint, &body)?;
        shared
            .two_factor
            .update_app(&principal.account.account_id, &app, request)
            .map(Json)
    });
    respond(endpoint, result)
}

// ---- message templates ------------------------------------------------------------------

async fn list_templates(
    State(shared): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    Path(app): Path<String>,
) -> Response {
    let endpoint = Endpoint::Get2faMessageTemplates;
    let result = guard(&shared, endpoint, &headers, peer).and_then(|principal| {
        shared
            .two_factor
            .list_templates(&principal.account.account_id, &app)
            .map(Json)
    });
    respond(endpoint, result)
}

async fn create_template(
    State(shared): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    Path(app): Path<String>,
    body: Bytes,
) -> Response {
    let endpoint = Endpoint::Create2faMessageTemplate;
    let result = guard(&shared, endpoint, &headers, peer).and_then(|principal| {
        let request: NewTemplate = parse(endpoint, &body)?;
        shared
            .two_factor
            .create_template(&principal.account.account_id, &app, request)
            .map(Json)
    });
    respond(endpoint, result)
}

async fn get_template(
    State(shared): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    Path((app, msg)): Path<(String, String)>,
) -> Response {
    let endpoint = Endpoint::Get2faMessageTemplate;
    let result = guard(&shared, endpoint, &headers, peer).and_then(|principal| {
        shared
            .two_factor
            .get_template(&principal.account.account_id, &app, &msg)
            .map(Json)
    });
    respond(endpoint, result)
}

async fn update_template(
    State(shared): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    Path((app, msg)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let endpoint = Endpoint::Update2faMessageTemplate;
    let result = guard(&shared, endpoint, &headers, peer).and_then(|principal| {
        let request: TemplateUpdate = parse(endpoint, &body)?;
        shared
            .two_factor
            .update_template(&principal.account.account_id, &app, &msg, request)
            .map(Json)
    });
    respond(endpoint, result)
}

// ---- PINs -------------------------------------------------------------------------------

/// Sends the PIN's SMS through the SMS store (so it is in the logs and reports) and notes
/// the message id on the PIN.
fn send_sms(shared: &Shared, account_id: &str, outgoing: &Outgoing, now: DateTime<Utc>) {
    let message = Message {
        content: Content::Text(TextContent {
            language: None,
            text: outgoing.text.clone(),
            transliteration: None,
        }),
        destinations: vec![Destination {
            to: outgoing.to.clone(),
            message_id: None,
        }],
        options: None,
        sender: outgoing.sender.clone(),
        webhooks: None,
    };
    let request = SendRequest {
        messages: vec![message],
        options: None,
    };
    let answer = shared.sms.accept(account_id, request, now, &shared.config);
    if let Some(sent) = answer.messages.into_iter().next() {
        shared.two_factor.sent_as(&outgoing.pin_id, sent.message_id);
    }
}

/// Number lookup, as far as the sandbox knows numbers: the undeliverable and rejected ones of
/// its configuration are not reachable.
fn nc_status(shared: &Shared, to: &str) -> &'static str {
    if shared.config.undeliverable.contains(to) || shared.config.rejected.contains(to) {
        "NC_DESTINATION_NOT_REACHABLE"
    } else {
        "NC_DESTINATION_REACHABLE"
    }
}

fn started(pin_id: String, to: String, nc_status: Option<&'static str>) -> Started {
    Started {
        nc_status,
        pin_id,
        sms_status: "MESSAGE_SENT",
        to,
    }
}

async fn send_pin(
    State(shared): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let endpoint = Endpoint::Send2faPinCodeOverSms;
    let result = guard(&shared, endpoint, &headers, peer).and_then(|principal| {
        let nc_needed = flag(&query_pairs(&uri)?, "ncNeeded")?.unwrap_or(false);
        let request: StartRequest = parse(endpoint, &body)?;
        if let Some(problem) = number_problem(&request.to) {
            return Err(Failure::invalid("to", problem));
        }
        let account_id = &principal.account.account_id;
        let now = shared.wall();
        let outgoing = shared.two_factor.start(
            &StartPin {
                account_id,
                app_id: &request.application_id,
                msg_id: &request.message_id,
                to: &request.to,
                from: request.from.as_deref(),
                placeholders: &request.placeholders,
            },
            now,
        )?;
        send_sms(&shared, account_id, &outgoing, now);
        // Ids only: the PIN and the text never reach the log.
        tracing::info!(pin_id = %outgoing.pin_id, "2FA PIN sent over SMS");
        let nc = nc_needed.then(|| nc_status(&shared, &outgoing.to));
        Ok(Json(started(outgoing.pin_id, outgoing.to, nc)))
    });
    respond(endpoint, result)
}

async fn resend_pin(
    State(shared): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    Path(pin): Path<String>,
    body: Bytes,
) -> Response {
    let endpoint = Endpoint::Resend2faPinCodeOverSms;
    let result = guard(&shared, endpoint, &headers, peer).and_then(|principal| {
        let request: ResendRequest = parse(endpoint, &body)?;
        let account_id = &principal.account.account_id;
        let now = shared.wall();
        let outgoing = shared
            .two_factor
            .resend(account_id, &pin, &request.placeholders, now)?;
        send_sms(&shared, account_id, &outgoing, now);
        tracing::info!(pin_id = %outgoing.pin_id, "2FA PIN sent again over SMS");
        Ok(Json(started(outgoing.pin_id, outgoing.to, None)))
    });
    respond(endpoint, result)
}

async fn verify_pin(
    State(shared): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    Path(pin): Path<String>,
    body: Bytes,
) -> Response {
    let endpoint = Endpoint::Verify2faPhoneNumber;
    let result = guard(&shared, endpoint, &headers, peer).and_then(|principal| {
        let request: VerifyRequest = parse(endpoint, &body)?;
        shared
            .two_factor
            .verify(
                &principal.account.account_id,
                &pin,
                &request.pin,
                shared.wall(),
            )
            .map(Json)
    });
    respond(endpoint, result)
}

async fn verifications(
    State(shared): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    Path(app): Path<String>,
    uri: Uri,
) -> Response {
    let endpoint = Endpoint::Get2faVerificationStatus;
    let result = guard(&shared, endpoint, &headers, peer).and_then(|principal| {
        let pairs = query_pairs(&uri)?;
        let msisdn = single_value("msisdn", pairs.iter())?
            .ok_or_else(|| Failure::invalid("msisdn", "is required"))?;
        let verified = flag(&pairs, "verified")?;
        let sent = flag(&pairs, "sent")?;
        shared
            .two_factor
            .verifications(&principal.account.account_id, &app, msisdn, verified, sent)
            .map(Json)
    });
    respond(endpoint, result)
}

/// `GET /sandbox/2fa/pins/{pinId}`: the sandbox's own, for tests. Infobip never shows a PIN.
/// It is no [`Endpoint`] (no operation of the spec): it is authenticated, scoped and answered
/// as the verify operation is, and logged without an endpoint.
async fn sandbox_pin(
    State(shared): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    Path(pin): Path<String>,
) -> Response {
    let endpoint = Endpoint::Verify2faPhoneNumber;
    let result = guard(&shared, endpoint, &headers, peer).and_then(|principal| {
        let stored = shared
            .two_factor
            .pin(Some(&principal.account.account_id), &pin)
            .ok_or_else(|| Failure::not_found(format!("No PIN with id `{pin}`")))?;
        let millis = |t: DateTime<Utc>| t.timestamp_millis();
        Ok(Json(serde_json::json!({
            "pinId": stored.pin_id,
            "pin": stored.pin,
            "to": stored.to,
            "applicationId": stored.app_id,
            "messageId": stored.msg_id,
            "sentAt": millis(stored.sent_at),
            "expiresAt": millis(stored.expires_at),
            "attemptsRemaining": stored.attempts_left.max(0),
            "verified": stored.verified_at.is_some(),
            "smsMessageIds": stored.sms_message_ids,
        })))
    });
    respond(endpoint, result)
}
