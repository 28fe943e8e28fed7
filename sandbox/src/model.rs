use std::time::Duration;

use axum::http::Method;

/// An operation of the spec, as the sandbox serves it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    /// `POST /auth/1/session`
    CreateSession,
    /// `DELETE /auth/1/session`
    DestroySession,
    /// `POST /auth/1/oauth2/token`
    CreateOAuth2Token,
    /// `GET /settings/2/api-keys`
    GetApiKeysByFilter,
    /// `POST /settings/2/api-keys`
    CreateApiKey,
    /// `GET /settings/2/api-keys/{apiKeyId}`
    GetApiKey,
    /// `PUT /settings/2/api-keys/{apiKeyId}`
    UpdateApiKey,
    /// `GET /account/1/balance`
    GetAccountBalance,
    /// `POST /sms/3/messages`
    SendSmsMessages,
    /// `GET /sms/3/reports`
    GetOutboundSmsMessageDeliveryReportsV3,
    /// `GET /sms/3/logs`
    GetOutboundSmsMessageLogsV3,
    /// `GET /2fa/2/applications`
    Get2faApplications,
    /// `POST /2fa/2/applications`
    Create2faApplication,
    /// `GET /2fa/2/applications/{appId}`
    Get2faApplication,
    /// `PUT /2fa/2/applications/{appId}`
    Update2faApplication,
    /// `GET /2fa/2/applications/{appId}/messages`
    Get2faMessageTemplates,
    /// `POST /2fa/2/applications/{appId}/messages`
    Create2faMessageTemplate,
    /// `GET /2fa/2/applications/{appId}/messages/{msgId}`
    Get2faMessageTemplate,
    /// `PUT /2fa/2/applications/{appId}/messages/{msgId}`
    Update2faMessageTemplate,
    /// `POST /2fa/2/applications/{appId}/email/messages` (not modelled: 501)
    Create2faEmailMessageTemplate,
    /// `PUT /2fa/2/applications/{appId}/email/messages/{msgId}` (not modelled: 501)
    Update2faEmailMessageTemplate,
    /// `POST /2fa/2/pin`
    Send2faPinCodeOverSms,
    /// `POST /2fa/2/pin/{pinId}/resend`
    Resend2faPinCodeOverSms,
    /// `POST /2fa/2/pin/voice` (not modelled: 501)
    Send2faPinCodeOverVoice,
    /// `POST /2fa/2/pin/{pinId}/resend/voice` (not modelled: 501)
    Resend2faPinCodeOverVoice,
    /// `POST /2fa/2/pin/email` (not modelled: 501)
    Send2faPinCodeOverEmail,
    /// `POST /2fa/2/pin/{pinId}/resend/email` (not modelled: 501)
    Resend2faPinCodeOverEmail,
    /// `POST /2fa/2/pin/{pinId}/verify`
    Verify2faPhoneNumber,
    /// `GET /2fa/2/applications/{appId}/verifications`
    Get2faVerificationStatus,
}

/// Which error body an endpoint answers with at Infobip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ErrorFormat {
    /// `{"requestError":{"serviceException":{...}}}`
    Legacy,
    /// The legacy body plus the token endpoint's top-level `error` string.
    LegacyOAuth,
    /// `{"errorCode":"E401",...}`
    New,
}

impl Endpoint {
    /// Every endpoint.
    pub const ALL: [Endpoint; 29] = [
        Endpoint::CreateSession,
        Endpoint::DestroySession,
        Endpoint::CreateOAuth2Token,
        Endpoint::GetApiKeysByFilter,
        Endpoint::CreateApiKey,
        Endpoint::GetApiKey,
        Endpoint::UpdateApiKey,
        Endpoint::GetAccountBalance,
        Endpoint::SendSmsMessages,
        Endpoint::GetOutboundSmsMessageDeliveryReportsV3,
        Endpoint::GetOutboundSmsMessageLogsV3,
        Endpoint::Get2faApplications,
        Endpoint::Create2faApplication,
        Endpoint::Get2faApplication,
        Endpoint::Update2faApplication,
        Endpoint::Get2faMessageTemplates,
        Endpoint::Create2faMessageTemplate,
        Endpoint::Get2faMessageTemplate,
        Endpoint::Update2faMessageTemplate,
        Endpoint::Create2faEmailMessageTemplate,
        Endpoint::Update2faEmailMessageTemplate,
        Endpoint::Send2faPinCodeOverSms,
        Endpoint::Resend2faPinCodeOverSms,
        Endpoint::Send2faPinCodeOverVoice,
        Endpoint::Resend2faPinCodeOverVoice,
        Endpoint::Send2faPinCodeOverEmail,
        Endpoint::Resend2faPinCodeOverEmail,
        Endpoint::Verify2faPhoneNumber,
        Endpoint::Get2faVerificationStatus,
    ];

    /// The method and the path template of its operation, as its description writes them:
    /// how the sandbox finds the operation's `security` and `x-scopes` in the descriptions.
    pub fn template(self) -> (Method, &'static str) {
        match self {
            Endpoint::CreateSession => (Method::POST, "/auth/1/session"),
            Endpoint::DestroySession => (Method::DELETE, "/auth/1/session"),
            Endpoint::CreateOAuth2Token => (Method::POST, "/auth/1/oauth2/token"),
            Endpoint::GetApiKeysByFilter => (Method::GET, "/settings/2/api-keys"),
            Endpoint::CreateApiKey => (Method::POST, "/settings/2/api-keys"),
            Endpoint::GetApiKey => (Method::GET, "/settings/2/api-keys/{apiKeyId}"),
            Endpoint::UpdateApiKey => (Method::PUT, "/settings/2/api-keys/{apiKeyId}"),
            Endpoint::GetAccountBalance => (Method::GET, "/account/1/balance"),
            Endpoint::SendSmsMessages => (Method::POST, "/sms/3/messages"),
            Endpoint::GetOutboundSmsMessageDeliveryReportsV3 => (Method::GET, "/sms/3/reports"),
            Endpoint::GetOutboundSmsMessageLogsV3 => (Method::GET, "/sms/3/logs"),
            Endpoint::Get2faApplications => (Method::GET, "/2fa/2/applications"),
            Endpoint::Create2faApplication => (Method::POST, "/2fa/2/applications"),
            Endpoint::Get2faApplication => (Method::GET, "/2fa/2/applications/{appId}"),
            Endpoint::Update2faApplication => (Method::PUT, "/2fa/2/applications/{appId}"),
            Endpoint::Get2faMessageTemplates => {
                (Method::GET, "/2fa/2/applications/{appId}/messages")
            }
            Endpoint::Create2faMessageTemplate => {
                (Method::POST, "/2fa/2/applications/{appId}/messages")
            }
            Endpoint::Get2faMessageTemplate => {
                (Method::GET, "/2fa/2/applications/{appId}/messages/{msgId}")
            }
            Endpoint::Update2faMessageTemplate => {
                (Method::PUT, "/2fa/2/applications/{appId}/messages/{msgId}")
            }
            Endpoint::Create2faEmailMessageTemplate => {
                (Method::POST, "/2fa/2/applications/{appId}/email/messages")
            }
            Endpoint::Update2faEmailMessageTemplate => (
                Method::PUT,
                "/2fa/2/applications/{appId}/email/messages/{msgId}",
            ),
            Endpoint::Send2faPinCodeOverSms => (Method::POST, "/2fa/2/pin"),
            Endpoint::Resend2faPinCodeOverSms => (Method::POST, "/2fa/2/pin/{pinId}/resend"),
            Endpoint::Send2faPinCodeOverVoice => (Method::POST, "/2fa/2/pin/voice"),
            Endpoint::Resend2faPinCodeOverVoice => {
                (Method::POST, "/2fa/2/pin/{pinId}/resend/voice")
            }
            Endpoint::Send2faPinCodeOverEmail => (Method::POST, "/2fa/2/pin/email"),
            Endpoint::Resend2faPinCodeOverEmail => {
                (Method::POST, "/2fa/2/pin/{pinId}/resend/email")
            }
            Endpoint::Verify2faPhoneNumber => (Method::POST, "/2fa/2/pin/{pinId}/verify"),
            Endpoint::Get2faVerificationStatus => {
                (Method::GET, "/2fa/2/applications/{appId}/verifications")
            }
        }
    }

    /// Finds the endpoint a request is for.
    pub fn route(method: &Method, path: &str) -> Option<Endpoint> {
        let path = path.strip_suffix('/').unwrap_or(path);
        let endpoint = match (method.as_str(), path) {
            ("POST", "/auth/1/session") => Endpoint::CreateSession,
            ("DELETE", "/auth/1/session") => Endpoint::DestroySession,
            ("POST", "/auth/1/oauth2/token") => Endpoint::CreateOAuth2Token,
            ("GET", "/settings/2/api-keys") => Endpoint::GetApiKeysByFilter,
            ("POST", "/settings/2/api-keys") => Endpoint::CreateApiKey,
            ("GET", "/account/1/balance") => Endpoint::GetAccountBalance,
            ("POST", "/sms/3/messages") => Endpoint::SendSmsMessages,
            ("GET", "/sms/3/reports") => Endpoint::GetOutboundSmsMessageDeliveryReportsV3,
            ("GET", "/sms/3/logs") => Endpoint::GetOutboundSmsMessageLogsV3,
            (method, path) if path.starts_with("/2fa/") => {
                return Self::route_two_factor(method, path)
            }
            (method, path) => {
                let id = path.strip_prefix("/settings/2/api-keys/")?;
                if id.is_empty() || id.contains('/') {
                    return None;
                }
                match method {
                    "GET" => Endpoint::GetApiKey,
                    "PUT" => Endpoint::UpdateApiKey,
                    _ => return None,
                }
            }
        };
        Some(endpoint)
    }

    /// The 2FA paths.
    fn route_two_factor(method: &str, path: &str) -> Option<Endpoint> {
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        if segments.iter().any(|s| s.is_empty()) {
            return None;
        }
        let endpoint = match (method, segments.as_slice()) {
            ("GET", ["2fa", "2", "applications"]) => Endpoint::Get2faApplications,
            ("POST", ["2fa", "2", "applications"]) => Endpoint::Create2faApplication,
            ("GET", ["2fa", "2", "applications", _]) => Endpoint::Get2faApplication,
            ("PUT", ["2fa", "2", "applications", _]) => Endpoint::Update2faApplication,
            ("GET", ["2fa", "2", "applications", _, "messages"]) => {
                Endpoint::Get2faMessageTemplates
            }
            ("POST", ["2fa", "2", "applications", _, "messages"]) => {
                Endpoint::Create2faMessageTemplate
            }
            ("GET", ["2fa", "2", "applications", _, "messages", _]) => {
                Endpoint::Get2faMessageTemplate
            }
            ("PUT", ["2fa", "2", "applications", _, "messages", _]) => {
                Endpoint::Update2faMessageTemplate
            }
            ("POST", ["2fa", "2", "applications", _, "email", "messages"]) => {
                Endpoint::Create2faEmailMessageTemplate
            }
            ("PUT", ["2fa", "2", "applications", _, "email", "messages", _]) => {
                Endpoint::Update2faEmailMessageTemplate
            }
            ("GET", ["2fa", "2", "applications", _, "verifications"]) => {
                Endpoint::Get2faVerificationStatus
            }
            ("POST", ["2fa", "2", "pin"]) => Endpoint::Send2faPinCodeOverSms,
            ("POST", ["2fa", "2", "pin", "voice"]) => Endpoint::Send2faPinCodeOverVoice,
            ("POST", ["2fa", "2", "pin", "email"]) => Endpoint::Send2faPinCodeOverEmail,
            ("POST", ["2fa", "2", "pin", _, "resend"]) => Endpoint::Resend2faPinCodeOverSms,
            ("POST", ["2fa", "2", "pin", _, "resend", "voice"]) => {
                Endpoint::Resend2faPinCodeOverVoice
            }
            ("POST", ["2fa", "2", "pin", _, "resend", "email"]) => {
                Endpoint::Resend2faPinCodeOverEmail
            }
            ("POST", ["2fa", "2", "pin", _, "verify"]) => Endpoint::Verify2faPhoneNumber,
            _ => return None,
        };
        Some(endpoint)
    }

    pub(crate) fn error_format(self) -> ErrorFormat {
        match self {
            Endpoint::CreateOAuth2Token => ErrorFormat::LegacyOAuth,
            Endpoint::CreateSession | Endpoint::DestroySession | Endpoint::GetAccountBalance => {
                ErrorFormat::Legacy
            }
            Endpoint::GetApiKeysByFilter
            | Endpoint::CreateApiKey
            | Endpoint::GetApiKey
            | Endpoint::UpdateApiKey
            | Endpoint::SendSmsMessages
            | Endpoint::GetOutboundSmsMessageDeliveryReportsV3
            | Endpoint::GetOutboundSmsMessageLogsV3 => ErrorFormat::New,
            // Infobip's 2FA API answers errors in the legacy format.
            Endpoint::Get2faApplications
            | Endpoint::Create2faApplication
            | Endpoint::Get2faApplication
            | Endpoint::Update2faApplication
            | Endpoint::Get2faMessageTemplates
            | Endpoint::Create2faMessageTemplate
            | Endpoint::Get2faMessageTemplate
            | Endpoint::Update2faMessageTemplate
            | Endpoint::Create2faEmailMessageTemplate
            | Endpoint::Update2faEmailMessageTemplate
            | Endpoint::Send2faPinCodeOverSms
            | Endpoint::Resend2faPinCodeOverSms
            | Endpoint::Send2faPinCodeOverVoice
            | Endpoint::Resend2faPinCodeOverVoice
            | Endpoint::Send2faPinCodeOverEmail
            | Endpoint::Resend2faPinCodeOverEmail
            | Endpoint::Verify2faPhoneNumber
            | Endpoint::Get2faVerificationStatus => ErrorFormat::Legacy,
        }
    }

    /// The start of a success body, cut off: what [`Fault::MalformedBody`] sends.
    pub(crate) fn truncated_body(self) -> &'static str {
        match self {
            Endpoint::CreateSession => r#"{"token":"3f2a"#,
            Endpoint::DestroySession => r#"{"requestErr"#,
            Endpoint::CreateOAuth2Token => r#"{"access_tok"#,
            Endpoint::GetApiKeysByFilter => r#"{"apiKeys":[{"id":"#,
            Endpoint::CreateApiKey | Endpoint::GetApiKey | Endpoint::UpdateApiKey => {
                r#"{"id":"A1B2","apiKeySec"#
            }
            Endpoint::GetAccountBalance => r#"{"balance":12"#,
            Endpoint::SendSmsMessages => r#"{"bulkId":"b1","messages":[{"messageId":"#,
            Endpoint::GetOutboundSmsMessageDeliveryReportsV3 => r#"{"results":[{"bulkId":"#,
            Endpoint::GetOutboundSmsMessageLogsV3 => r#"{"results":[{"destination":"4179"#,
            Endpoint::Get2faApplications => r#"[{"applicationId":"#,
            Endpoint::Create2faApplication
            | Endpoint::Get2faApplication
            | Endpoint::Update2faApplication => r#"{"applicationId":"1F3A","name"#,
            Endpoint::Get2faMessageTemplates => r#"[{"messageId":"#,
            Endpoint::Create2faMessageTemplate
            | Endpoint::Get2faMessageTemplate
            | Endpoint::Update2faMessageTemplate
            | Endpoint::Create2faEmailMessageTemplate
            | Endpoint::Update2faEmailMessageTemplate => r#"{"messageId":"9C81","pinTy"#,
            Endpoint::Send2faPinCodeOverSms
            | Endpoint::Resend2faPinCodeOverSms
            | Endpoint::Send2faPinCodeOverVoice
            | Endpoint::Resend2faPinCodeOverVoice
            | Endpoint::Send2faPinCodeOverEmail
            | Endpoint::Resend2faPinCodeOverEmail => r#"{"pinId":"9C817C6F","to":"4179"#,
            Endpoint::Verify2faPhoneNumber => r#"{"pinId":"9C817C6F","verifi"#,
            Endpoint::Get2faVerificationStatus => r#"{"verifications":[{"msisdn":"#,
        }
    }
}

/// The scheme an `Authorization` header names, by its exact, case-sensitive prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SchemeUsed {
    /// `Basic <base64(username:password)>`
    Basic,
    /// `App <api key secret>`
    ApiKey,
    /// `IBSSO <session token>`
    Ibsso,
    /// `Bearer <access token>`
    Bearer,
}

impl SchemeUsed {
    /// Splits a header value into its scheme and credential. Infobip refuses `BASIC` or `APP`,
    /// so the prefixes are matched exactly.
    pub fn parse(header: &str) -> Option<(SchemeUsed, &str)> {
        const PREFIXES: [(&str, SchemeUsed); 4] = [
            ("Basic ", SchemeUsed::Basic),
            ("App ", SchemeUsed::ApiKey),
            ("IBSSO ", SchemeUsed::Ibsso),
            ("Bearer ", SchemeUsed::Bearer),
        ];
        PREFIXES.iter().find_map(|(prefix, scheme)| {
            header
                .strip_prefix(prefix)
                .map(|credential| (*scheme, credential.trim()))
        })
    }

    /// A name for logs.
    pub fn name(self) -> &'static str {
        match self {
            SchemeUsed::Basic => "Basic",
            SchemeUsed::ApiKey => "App",
            SchemeUsed::Ibsso => "IBSSO",
            SchemeUsed::Bearer => "Bearer",
        }
    }
}

/// A misbehaviour to inject into the next calls of one endpoint, with
/// [`Sandbox::inject`](crate::Sandbox::inject). Faults queue up per endpoint and apply in order;
/// each fault covers its next `times` calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer `status` with a body in the endpoint's error format, and a `Retry-After` header
    /// when given.
    Status {
        /// The HTTP status.
        status: u16,
        /// Seconds for `Retry-After`.
        retry_after: Option<u64>,
        /// How many calls.
        times: usize,
    },
    /// Wait (in real time) before handling the call normally.
    Delay {
        /// How long.
        delay: Duration,
        /// How many calls.
        times: usize,
    },
    /// Answer 200 with a JSON body cut off in the middle.
    MalformedBody {
        /// How many calls.
        times: usize,
    },
    /// Close the connection without sending any response.
    DropConnection {
        /// How many calls.
        times: usize,
    },
    /// Answer exactly this status, these headers and this body, whatever the endpoint's error
    /// format: for answers the other faults do not give (a `Retry-After` as an HTTP date, a
    /// `Location`, a body in neither of Infobip's formats, a particular error text). Built with
    /// [`Fault::reply`] and [`Fault::with_header`].
    Reply {
        /// The HTTP status.
        status: u16,
        /// Every header sent, in order, as given (no `content-type` unless listed).
        headers: Vec<(String, String)>,
        /// The body, as given.
        body: String,
        /// How many calls.
        times: usize,
    },
    /// Hold each of the next `times` calls until all `times` of them are held, then handle each
    /// normally: makes "at the same moment" exact, so that a test can be sure, say, that every
    /// one of a thousand callers was rejected before any rejection was answered.
    Hold {
        /// How many calls are held, and released together.
        times: usize,
    },
}

impl Fault {
    /// One call answered with `status` and no `Retry-After`.
    pub fn status(status: u16) -> Self {
        Fault::Status {
            status,
            retry_after: None,
            times: 1,
        }
    }

    /// One call answered with exactly `status` and `body`, with `content-type:
    /// application/json` when the body is not empty; add headers with
    /// [`with_header`](Fault::with_header).
    pub fn reply(status: u16, body: impl Into<String>) -> Self {
        let body = body.into();
        let headers = if body.is_empty() {
            Vec::new()
        } else {
            vec![("content-type".to_owned(), "application/json".to_owned())]
        };
        Fault::Reply {
            status,
            headers,
            body,
            times: 1,
        }
    }

    /// Sets a header of a [`Fault::Reply`], replacing one of the same name (such as the
    /// default `content-type`).
    ///
    /// # Panics
    /// On any other fault: their headers are the sandbox's own (use [`Fault::reply`]).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        match &mut self {
            Fault::Reply { headers, .. } => {
                headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
                headers.push((name.to_owned(), value.to_owned()));
            }
            other => panic!("only Fault::Reply takes extra headers, not {other:?}"),
        }
        self
    }

    /// The same fault for the next `times` calls instead of one.
    pub fn times(mut self, times: usize) -> Self {
        *self.times_mut() = times;
        self
    }

    pub(crate) fn times_mut(&mut self) -> &mut usize {
        match self {
            Fault::Status { times, .. }
            | Fault::Delay { times, .. }
            | Fault::MalformedBody { times }
            | Fault::DropConnection { times }
            | Fault::Reply { times, .. }
            | Fault::Hold { times } => times,
        }
    }
}

/// One request as the sandbox received it. Its fields hold full header values and bodies,
/// secrets included, because tests assert on the exact wire form; it is never logged, and its
/// `Debug` redacts the `Authorization` value, the bodies of the login calls and those of SMS
/// sends (a message text can be a one-time code). The one
/// exception is a `client_secret` in the query string: no client of this project sends one,
/// so nothing needs its value, and the record does not keep it.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// Its number in the log: 0 for the first request the sandbox received, counting on
    /// across [`Sandbox::clear_log`](crate::Sandbox::clear_log) and entries that left the
    /// bounded log (see [`Sandbox::requests_since`](crate::Sandbox::requests_since)).
    pub seq: u64,
    /// HTTP method, upper case.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// The raw query string, if any, with the value of every `client_secret` replaced by
    /// `[redacted]`.
    pub query: Option<String>,
    /// Headers in arrival order, names lower case.
    pub headers: Vec<(String, String)>,
    /// The body as text (lossy for non-UTF-8 bytes), or its start when it is longer than
    /// [`LogLimits::body_bytes`](crate::LogLimits::body_bytes).
    pub body: String,
    /// The body's length in bytes as received: more than `body.len()` when the log kept only
    /// its start.
    pub body_len: usize,
    /// The endpoint the request was routed to; `None` for unknown paths.
    pub endpoint: Option<Endpoint>,
    /// The scheme the `Authorization` header named, accepted or not.
    pub scheme: Option<SchemeUsed>,
    /// The response status; `None` when the connection was dropped instead.
    pub status: Option<u16>,
}

impl std::fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let shown = if name.eq_ignore_ascii_case("authorization") {
                    "[redacted]"
                } else {
                    value.as_str()
                };
                (name.as_str(), shown)
            })
            .collect();
        // Login bodies carry passwords, SMS sends their texts; API key responses are not
        // recorded at all.
        let body = match self.endpoint {
            Some(
                Endpoint::CreateSession
                | Endpoint::CreateOAuth2Token
                | Endpoint::SendSmsMessages
                | Endpoint::Send2faPinCodeOverSms
                | Endpoint::Resend2faPinCodeOverSms
                | Endpoint::Verify2faPhoneNumber,
            ) => "[redacted]",
            _ => self.body.as_str(),
        };
        f.debug_struct("RecordedRequest")
            .field("seq", &self.seq)
            .field("method", &self.method)
            .field("path", &self.path)
            .field(
                "query",
                &self.query.as_deref().map(|q| {
                    if q.contains("apiKeySecret") {
                        "[redacted: has apiKeySecret]"
                    } else {
                        q
                    }
                }),
            )
            .field("headers", &headers)
            .field("body", &body)
            .field("body_len", &self.body_len)
            .field("endpoint", &self.endpoint)
            .field("scheme", &self.scheme)
            .field("status", &self.status)
            .finish()
    }
}

impl RecordedRequest {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The query string with every `client_secret` value replaced by `[redacted]`; the other pairs
/// keep their exact bytes. A key is compared decoded, so `client%5Fsecret` is caught as well.
pub(crate) fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| {
            let (key, _) = pair.split_once('=').unwrap_or((pair, ""));
            let decoded: Vec<(String, String)> =
                serde_urlencoded::from_str(key).unwrap_or_default();
            match decoded.first() {
                Some((name, _)) if name == "client_secret" => format!("{key}=[redacted]"),
                _ => pair.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::{redact_query, Endpoint};

    #[test]
    fn each_endpoints_template_routes_to_itself() {
        for endpoint in Endpoint::ALL {
            let (method, template) = endpoint.template();
            let path = template
                .replace("{apiKeyId}", "K1")
                .replace("{appId}", "A1")
                .replace("{msgId}", "M1")
                .replace("{pinId}", "P1");
            assert_eq!(Endpoint::route(&method, &path), Some(endpoint), "{path}");
        }
    }

    #[test]
    fn redact_query_hides_only_client_secret_values() {
        for (query, expected) in [
            (
                "client_id=u&client_secret=s3cr3t&grant_type=client_credentials",
                "client_id=u&client_secret=[redacted]&grant_type=client_credentials",
            ),
            ("client%5Fsecret=s3cr3t", "client%5Fsecret=[redacted]"),
            ("client_secret", "client_secret=[redacted]"),
            (
                "client_secret=a&client_secret=b",
                "client_secret=[redacted]&client_secret=[redacted]",
            ),
            ("name=x&&size=3", "name=x&&size=3"),
            (
                "apiKeySecret=kept%20as%20sent",
                "apiKeySecret=kept%20as%20sent",
            ),
        ] {
            assert_eq!(redact_query(query), expected, "{query}");
        }
    }
}
