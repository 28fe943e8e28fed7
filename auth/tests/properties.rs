//! Property tests for everything the auth crate reads from outside: both Infobip error body
//! formats, the base URL, credentials, the environment, and the tokens a server hands out.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use infobip_auth::error::ConfigError;
use infobip_auth::{env, ClientBuilder};
use infobip_client::ClientInfo as _;
use infobip_client::{ApiError, ApiException, ErrorBody};
use infobip_client::{InfobipError, Resource, Violation};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::json;
use workspace_tests::{RecordingServer, Reply};

/// Infobip's legacy `messageId`s and the codes its Java client maps them to.
const LEGACY_CODES: [(&str, &str); 6] = [
    ("BAD_REQUEST", "E400"),
    ("UNAUTHORIZED", "E401"),
    ("FORBIDDEN", "E403"),
    ("NOT_FOUND", "E404"),
    ("TOO_MANY_REQUESTS", "E429"),
    ("GENERAL_ERROR", "E500"),
];

/// The longest raw body kept, in characters (then `…` is added).
const RAW_LIMIT: usize = 2048;

/// Where build() must succeed, so that only the value under test decides.
const GOOD_URL: &str = "https://xyz.api.infobip.com";

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Integration tests have no lib.rs for proptest to put regressions beside.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// One HTTP client for every case, so that a case costs a validation rather than a TLS setup.
fn http() -> reqwest::Client {
    static HTTP: OnceLock<reqwest::Client> = OnceLock::new();
    HTTP.get_or_init(reqwest::Client::new).clone()
}

// ----------------------------------------------------------------------------------------
// Strategies
// ----------------------------------------------------------------------------------------

/// Characters that break things: C0 and C1 controls, DEL, separators that are not controls,
/// a zero-width space, a BOM, and non-ASCII letters.
const TRICKY: &[char] = &[
    '\0', '\t', '\n', '\r', '\u{b}', '\u{c}', '\u{1b}', '\u{7f}', '\u{80}', '\u{85}', '\u{9f}',
    '\u{a0}', '\u{2028}', '\u{2029}', '\u{200b}', '\u{feff}', ' ', ':', '@', '/', '"', '\\', 'é',
    'к', '🔑',
];

/// Any string, with the tricky characters much more common than chance would make them.
fn hostile_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,24}",
        proptest::collection::vec(
            prop_oneof![3 => proptest::char::range('!', '~'), 1 => select(TRICKY)],
            0..24
        )
        .prop_map(String::from_iter),
    ]
}

/// A string that holds at least one control character, somewhere.
fn with_control() -> impl Strategy<Value = String> {
    (
        "[A-Za-z0-9]{0,12}",
        prop_oneof![
            proptest::char::range('\0', '\u{1f}'),
            Just('\u{7f}'),
            proptest::char::range('\u{80}', '\u{9f}'),
        ],
        "[A-Za-z0-9]{0,12}",
        hostile_string(),
    )
        .prop_map(|(before, control, after, tail)| format!("{before}{control}{after}{tail}"))
}

/// A secret distinctive enough that finding it in a message can only mean it leaked.
fn secret() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9]{0,16}".prop_map(|s| format!("S3cr3t-{s}")),
        hostile_string().prop_map(|s| format!("S3cr3t-{s}")),
        with_control().prop_map(|s| format!("S3cr3t-{s}")),
    ]
}

/// An optional string for a JSON field.
fn text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(hostile_string())
}

/// A legacy (`requestError.serviceException`) body, before serialisation.
#[derive(Debug, Clone)]
struct Legacy {
    message_id: Option<String>,
    text: Option<String>,
    error: Option<String>,
    validation: BTreeMap<String, Vec<String>>,
}

impl Legacy {
    fn json(&self) -> serde_json::Value {
        let mut exception = serde_json::Map::new();
        if let Some(id) = &self.message_id {
            exception.insert("messageId".into(), json!(id));
        }
        if let Some(text) = &self.text {
            exception.insert("text".into(), json!(text));
        }
        if !self.validation.is_empty() {
            exception.insert("validationErrors".into(), json!(self.validation));
        }
        let mut body = json!({"requestError": {"serviceException": exception}});
        if let Some(error) = &self.error {
            body["error"] = json!(error);
        }
        body
    }
}

fn legacy() -> impl Strategy<Value = Legacy> {
    let message_id = prop_oneof![
        select(LEGACY_CODES.map(|(id, _)| id).to_vec()).prop_map(|id| Some(id.to_owned())),
        // Close to a known id but not one: must not be mapped.
        select(LEGACY_CODES.map(|(id, _)| id).to_vec())
            .prop_map(|id| Some(id.to_ascii_lowercase())),
        select(LEGACY_CODES.map(|(id, _)| id).to_vec()).prop_map(|id| Some(format!(" {id}"))),
        hostile_string().prop_map(Some),
        Just(None),
    ];
    (
        message_id,
        text(),
        text(),
        proptest::collection::btree_map(
            hostile_string(),
            proptest::collection::vec(hostile_string(), 0..4),
            0..5,
        ),
    )
        .prop_map(|(message_id, text, error, validation)| Legacy {
            message_id,
            text,
            error,
            validation,
        })
}

/// A new-format body, before serialisation.
#[derive(Debug, Clone)]
struct New {
    error_code: String,
    description: String,
    action: String,
    violations: Vec<(Option<String>, Option<String>)>,
    resources: Vec<(Option<String>, Option<String>)>,
}

impl New {
    fn json(&self) -> serde_json::Value {
        let pairs = |items: &[(Option<String>, Option<String>)], a: &str, b: &str| {
            items
                .iter()
                .map(|(x, y)| {
                    let mut o = serde_json::Map::new();
                    if let Some(x) = x {
                        o.insert(a.into(), json!(x));
                    }
                    if let Some(y) = y {
                        o.insert(b.into(), json!(y));
                    }
                    serde_json::Value::Object(o)
                })
                .collect::<Vec<_>>()
        };
        json!({
            "errorCode": self.error_code,
            "description": self.description,
            "action": self.action,
            "violations": pairs(&self.violations, "property", "violation"),
            "resources": pairs(&self.resources, "name", "url"),
        })
    }
}

fn new_format() -> impl Strategy<Value = New> {
    let pair = || (text(), text());
    (
        prop_oneof![
            select(LEGACY_CODES.map(|(_, code)| code).to_vec()).prop_map(str::to_owned),
            hostile_string()
        ],
        hostile_string(),
        prop_oneof![Just(String::new()), hostile_string()],
        proptest::collection::vec(pair(), 0..4),
        proptest::collection::vec(pair(), 0..4),
    )
        .prop_map(
            |(error_code, description, action, violations, resources)| New {
                error_code,
                description,
                action,
                violations,
                resources,
            },
        )
}

fn status() -> impl Strategy<Value = Option<u16>> {
    proptest::option::of(prop_oneof![100u16..600, any::<u16>()])
}

/// Bytes that are mostly almost an error body: a valid one cut short or with a byte changed,
/// long text, or noise.
fn body_bytes() -> impl Strategy<Value = Vec<u8>> {
    let valid = prop_oneof![
        legacy().prop_map(|l| serde_json::to_vec(&l.json()).unwrap()),
        new_format().prop_map(|n| serde_json::to_vec(&n.json()).unwrap()),
    ];
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..64),
        proptest::collection::vec(any::<u8>(), 2000..7000),
        proptest::collection::vec(any::<char>(), 2000..2100).prop_map(|c| {
            let s: String = c.into_iter().collect();
            s.into_bytes()
        }),
        "[ -~]{2040,2060}".prop_map(String::into_bytes),
        (valid.clone(), any::<prop::sample::Index>()).prop_map(|(body, at)| {
            let cut = at.index(body.len() + 1);
            body[..cut].to_vec()
        }),
        (valid, any::<prop::sample::Index>(), any::<u8>()).prop_map(|(mut body, at, byte)| {
            let i = at.index(body.len());
            body[i] = byte;
            body
        }),
    ]
}

/// A hostname of letters, digits and inner hyphens whose last label is not numeric (so it is
/// not an IPv4 address) and without IDNA `xn--` labels.
fn hostname() -> impl Strategy<Value = String> {
    proptest::collection::vec("[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", 0..3)
        .prop_flat_map(|labels| {
            ("[a-z]([a-z0-9-]{0,8}[a-z0-9])?").prop_map(move |last| {
                let mut all = labels.clone();
                all.push(last);
                all.join(".")
            })
        })
        .prop_filter("IDNA labels need valid punycode", |h| {
            !h.split('.').any(|l| l.starts_with("xn--"))
        })
}

fn loopback_host() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::from("localhost")),
        Just(String::from("LocalHost")),
        Just(String::from("[::1]")),
        Just(String::from("[0:0:0:0:0:0:0:1]")),
        (any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(a, b, c)| format!("127.{a}.{b}.{c}")),
    ]
}

fn non_loopback_host() -> impl Strategy<Value = String> {
    prop_oneof![
        hostname().prop_filter("not localhost", |h| h != "localhost"),
        (1u8..=255, any::<u8>(), any::<u8>(), 1u8..255)
            .prop_filter("not loopback", |(a, ..)| *a != 127)
            .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
        Just(String::from("[2001:db8::1]")),
        Just(String::from("[::ffff:8.8.8.8]")),
    ]
}

/// Base URLs as people write them, right or wrong.
fn url_like() -> impl Strategy<Value = String> {
    let scheme = select(vec![
        "https://",
        "http://",
        "HTTP://",
        "HtTpS://",
        "ftp://",
        "ws://",
        "file://",
        "",
        "http:",
        "https:/",
        "//",
        "https:\\\\",
    ]);
    let userinfo = proptest::option::of(prop_oneof![
        Just(String::from("user@")),
        Just(String::from("user:pw@")),
        Just(String::from(":pw@")),
    ]);
    let host = prop_oneof![
        loopback_host(),
        non_loopback_host(),
        "[a-z0-9.:\\[\\]-]{0,16}",
        select(vec![
            "localhost.",
            "127.1",
            "0x7f.1",
            "2130706433",
            "0.0.0.0",
            "[::]",
            "[::ffff:127.0.0.1]",
            "999.1.1.1",
            "xn--a",
            "-",
            ".",
        ])
        .prop_map(str::to_owned),
    ];
    let port = proptest::option::of(prop_oneof![
        any::<u16>().prop_map(|p| format!(":{p}")),
        "[0-9a-z]{0,7}".prop_map(|p| format!(":{p}")),
    ]);
    let path = proptest::option::of("/[a-z0-9/._%-]{0,10}");
    let tail = proptest::option::of(select(vec!["?x=1", "#top", "?", "#", "/?a#b"]));
    let pad = select(vec!["", " ", "\t", "\n", " \u{a0}"]);
    (pad.clone(), scheme, userinfo, host, port, path, tail, pad).prop_map(
        |(lead, scheme, userinfo, host, port, path, tail, trail)| {
            format!(
                "{lead}{scheme}{}{host}{}{}{}{trail}",
                userinfo.unwrap_or_default(),
                port.unwrap_or_default(),
                path.unwrap_or_default(),
                tail.unwrap_or_default()
            )
        },
    )
}

// ----------------------------------------------------------------------------------------
// Checks shared by several properties
// ----------------------------------------------------------------------------------------

/// What every `from_body` result must satisfy, whatever the bytes.
fn check_any_body(status: Option<u16>, body: &[u8]) -> Result<InfobipError, TestCaseError> {
    let error = InfobipError::from_body(status, body);
    prop_assert_eq!(error.status, status);
    let shown = error.to_string();
    let _ = format!("{error:?}");
    if let Some(status) = status {
        let prefix = format!("HTTP {status} ");
        prop_assert!(shown.starts_with(&prefix), "{}", shown);
    }
    let is_new = serde_json::from_slice::<ApiError>(body).is_ok();
    let is_legacy = serde_json::from_slice::<ApiException>(body).is_ok();
    if is_new {
        // The newer format wins when a body is in both.
        prop_assert_eq!(&error.raw, &None);
        prop_assert_eq!(&error.message_id, &None);
    } else if is_legacy {
        prop_assert_eq!(&error.raw, &None);
        prop_assert_eq!(&error.action, &None);
    } else if body.iter().all(u8::is_ascii_whitespace) {
        // Nothing to show: the status says it all.
        prop_assert_eq!(&error.raw, &None);
        prop_assert!(error.description.ends_with("(no body)"), "{}", shown);
    } else {
        let text = String::from_utf8_lossy(body);
        let raw = error
            .raw
            .clone()
            .expect("a body in neither format is kept raw");
        if has_secret_field(body) {
            // Re-serialised with the secret values replaced: see the unit tests.
            prop_assert!(raw.contains("[redacted]"), "{}", raw);
        } else if text.chars().count() <= RAW_LIMIT {
            prop_assert_eq!(&raw, &text);
        } else {
            prop_assert_eq!(raw.chars().count(), RAW_LIMIT + 1);
            prop_assert!(raw.ends_with('…'));
            let kept: String = text.chars().take(RAW_LIMIT).collect();
            prop_assert!(raw.starts_with(&kept));
        }
        let expected_code = status.map(|s| format!("E{s}")).unwrap_or_default();
        prop_assert_eq!(&error.code, &expected_code);
        prop_assert!(error.violations.is_empty() && error.resources.is_empty());
        prop_assert_eq!(&error.message_id, &None);
        // Display shows the start of the raw body, never more than 200 characters of it.
        let start: String = raw.chars().take(200).collect();
        prop_assert!(shown.ends_with(&format!(": {start}")), "{}", shown);
    }
    Ok(error)
}

/// Whether `body` is JSON with, at any depth, a field whose name says it holds a secret.
fn has_secret_field(body: &[u8]) -> bool {
    fn walk(json: &serde_json::Value) -> bool {
        match json {
            serde_json::Value::Object(fields) => fields.iter().any(|(name, value)| {
                let name = name.to_ascii_lowercase();
                ["token", "secret", "password", "authorization"]
                    .iter()
                    .any(|s| name.contains(s))
                    || walk(value)
            }),
            serde_json::Value::Array(items) => items.iter().any(walk),
            _ => false,
        }
    }
    serde_json::from_slice(body).is_ok_and(|json| walk(&json))
}

/// The `ConfigError` field, if that is what `result` is.
fn config_field<T>(result: &Result<T, ConfigError>) -> Option<&'static str> {
    match result {
        Err(ConfigError { field, .. }) => Some(field),
        _ => None,
    }
}

/// Asserts that neither `{}` nor `{:?}` of the error shows the secret, raw or escaped.
fn assert_hidden(error: &ConfigError, secret: &str) -> Result<(), TestCaseError> {
    let escaped = format!("{secret:?}");
    let escaped = &escaped[1..escaped.len() - 1];
    for shown in [error.to_string(), format!("{error:?}")] {
        prop_assert!(!shown.contains(secret), "{} shows {:?}", shown, secret);
        prop_assert!(!shown.contains(escaped), "{} shows {:?}", shown, secret);
    }
    Ok(())
}

/// The error with its violations grouped by property (the order inside a property is kept).
fn by_property(mut error: InfobipError) -> InfobipError {
    error.violations.sort_by(|a, b| a.property.cmp(&b.property));
    error
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether a username passes the builder: something besides whitespace, no control character.
fn username_ok(value: &str) -> bool {
    !value.trim().is_empty() && !value.chars().any(char::is_control)
}

/// Whether a password passes the builder (it goes into a JSON body or base64, not a header).
fn password_ok(value: &str) -> bool {
    username_ok(value)
}

// ----------------------------------------------------------------------------------------
// Infobip's error bodies
// ----------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn from_body_never_panics_on_any_bytes(status in status(), body in body_bytes()) {
        check_any_body(status, &body)?;
    }

    #[test]
    fn a_legacy_body_maps_code_description_and_violations(
        status in status(),
        body in legacy(),
    ) {
        let bytes = serde_json::to_vec(&body.json()).unwrap();
        let error = check_any_body(status, &bytes)?;
        let mapped = body
            .message_id
            .as_deref()
            .and_then(|id| LEGACY_CODES.iter().find(|(known, _)| *known == id))
            .map(|(_, code)| (*code).to_owned());
        let expected_code = mapped
            .or_else(|| status.map(|s| format!("E{s}")))
            .or_else(|| body.message_id.clone())
            .unwrap_or_default();
        prop_assert_eq!(&error.code, &expected_code);
        prop_assert_eq!(&error.message_id, &body.message_id);
        let expected_description = body.text.clone().or(body.error.clone()).unwrap_or_default();
        prop_assert_eq!(&error.description, &expected_description);
        prop_assert_eq!(&error.action, &None);
        prop_assert!(error.resources.is_empty());
        let total: usize = body.validation.values().map(Vec::len).sum();
        prop_assert_eq!(error.violations.len(), total);
        let mut got: Vec<(String, String)> = error
            .violations
            .iter()
            .map(|v| (v.property.clone(), v.violation.clone()))
            .collect();
        let mut want: Vec<(String, String)> = body
            .validation
            .iter()
            .flat_map(|(p, list)| list.iter().map(move |m| (p.clone(), m.clone())))
            .collect();
        got.sort();
        want.sort();
        prop_assert_eq!(got, want);
        let shown = error.to_string();
        prop_assert!(shown.contains(&error.description));
        for v in &error.violations {
            let part = format!("; {}: {}", v.property, v.violation);
            prop_assert!(shown.contains(&part));
        }
    }

    #[test]
    fn a_new_format_body_round_trips(
        status in status(),
        body in new_format(),
        with_legacy_part in any::<bool>(),
    ) {
        let mut value = body.json();
        if with_legacy_part {
            // A body in both formats is read as the newer one.
            value["requestError"] = json!({"serviceException": {"messageId": "UNAUTHORIZED"}});
        }
        let error = check_any_body(status, &serde_json::to_vec(&value).unwrap())?;
        let expected = InfobipError {
            status,
            code: body.error_code.clone(),
            description: body.description.clone(),
            action: Some(body.action.clone()).filter(|a| !a.is_empty()),
            violations: body
                .violations
                .iter()
                .map(|(p, v)| Violation {
                    property: p.clone().unwrap_or_default(),
                    violation: v.clone().unwrap_or_default(),
                })
                .collect(),
            resources: body
                .resources
                .iter()
                .map(|(n, u)| Resource {
                    name: n.clone().unwrap_or_default(),
                    url: u.clone().unwrap_or_default(),
                })
                .collect(),
            message_id: None,
            raw: None,
        };
        prop_assert_eq!(&error, &expected);
        let shown = error.to_string();
        if let Some(action) = &error.action {
            let part = format!(" (action: {action})");
            prop_assert!(shown.ends_with(&part), "{}", shown);
        }
    }

    #[test]
    fn a_new_format_body_is_read_without_any_field_but_its_code(
        status in status(),
        body in new_format(),
        missing in select(vec!["errorCode", "description", "action", "violations", "resources"]),
    ) {
        let mut value = body.json();
        let code = value["errorCode"].clone();
        value.as_object_mut().unwrap().remove(missing);
        let bytes = serde_json::to_vec(&value).unwrap();
        let error = check_any_body(status, &bytes)?;
        if missing == "errorCode" {
            prop_assert!(error.raw.is_some());
        } else {
            prop_assert_eq!(error.raw, None);
            prop_assert_eq!(Some(error.code.as_str()), code.as_str());
        }
    }

    #[test]
    fn a_body_read_as_error_body_reads_the_same_as_from_body(
        status in 400u16..600,
        legacy in legacy(),
        new in new_format(),
    ) {
        // What a caller holding a typed `ErrorBody` (a webhook, a body of its own) gets must
        // match what a failed call reports.
        let read = |bytes: &[u8]| {
            let body: ErrorBody = serde_json::from_slice(bytes).unwrap();
            InfobipError::from_error_body(Some(status), &body)
        };
        let legacy_bytes = serde_json::to_vec(&legacy.json()).unwrap();
        // `validationErrors` is a map: compare its violations in a fixed order.
        prop_assert_eq!(
            by_property(read(&legacy_bytes)),
            by_property(InfobipError::from_body(Some(status), &legacy_bytes))
        );
        let new_bytes = serde_json::to_vec(&new.json()).unwrap();
        prop_assert_eq!(read(&new_bytes), InfobipError::from_body(Some(status), &new_bytes));
    }
}

#[test]
fn two_validation_keys_come_out_in_one_order() {
    let body = br#"{"requestError":{"serviceException":{"messageId":"BAD_REQUEST","text":"Bad","validationErrors":{"a":["x"],"b":["y"]}}}}"#;
    let orders: std::collections::BTreeSet<String> = (0..64)
        .map(|_| InfobipError::from_body(Some(400), body).to_string())
        .collect();
    assert_eq!(orders.len(), 1, "{orders:#?}");
}

proptest! {
    #![proptest_config(config(256))]

    /// `validationErrors` is read into a `HashMap`, whose iteration order differs from one
    /// map to the next; the same body must still read as the same error and text each time.
    #[test]
    fn the_same_legacy_body_always_reads_the_same(body in legacy(), status in status()) {
        let bytes = serde_json::to_vec(&body.json()).unwrap();
        let first = InfobipError::from_body(status, &bytes);
        for _ in 0..4 {
            let again = InfobipError::from_body(status, &bytes);
            prop_assert_eq!(&again, &first);
            prop_assert_eq!(again.to_string(), first.to_string());
        }
    }
}

// ----------------------------------------------------------------------------------------
// The base URL
// ----------------------------------------------------------------------------------------

fn build_with_url(url: &str) -> Result<infobip_client::account::Client, ConfigError> {
    ClientBuilder::api_key("k")
        .http_client(http())
        .base_url(url)
        .build()
}

/// What every base URL outcome must satisfy.
fn check_base_url(input: &str) -> Result<(), TestCaseError> {
    match build_with_url(input) {
        Ok(client) => {
            let base = client.baseurl();
            prop_assert!(!base.ends_with('/'), "{}", base);
            let url = reqwest::Url::parse(base).unwrap();
            prop_assert!(url.username().is_empty() && url.password().is_none());
            prop_assert!(
                url.query().is_none() && url.fragment().is_none(),
                "{}",
                base
            );
            let host = url.host_str().unwrap_or_default();
            prop_assert!(!host.is_empty());
            match url.scheme() {
                "https" => {}
                "http" => prop_assert!(is_loopback(host), "{:?} gave {}", input, base),
                other => prop_assert!(false, "{:?} gave the scheme {}", input, other),
            }
        }
        Err(error) => {
            prop_assert_eq!(config_field(&Err::<(), _>(error.clone())), Some("base_url"));
            let shown = error.to_string();
            prop_assert!(shown.starts_with("invalid `base_url`: "), "{}", shown);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_string_as_base_url_never_panics(input in hostile_string()) {
        check_base_url(&input)?;
    }

    #[test]
    fn url_like_base_urls_pass_only_as_https_or_loopback_http(input in url_like()) {
        check_base_url(&input)?;
    }

    #[test]
    fn a_bare_host_gets_https(host in "[a-z0-9.-]{1,30}") {
        check_base_url(&host)?;
        if let Ok(client) = build_with_url(&host) {
            prop_assert!(client.baseurl().starts_with("https://"), "{}", client.baseurl());
        }
    }

    #[test]
    fn a_well_formed_bare_host_is_accepted_as_https(
        host in hostname(),
        port in proptest::option::of(1u16..),
    ) {
        let input = match port {
            Some(port) => format!("{host}:{port}"),
            None => host.clone(),
        };
        let client = build_with_url(&input).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let expected = match port {
            Some(443) | None => format!("https://{host}"),
            Some(port) => format!("https://{host}:{port}"),
        };
        prop_assert_eq!(client.baseurl(), expected.as_str());
    }

    #[test]
    fn http_to_a_loopback_host_is_accepted(
        host in loopback_host(),
        port in proptest::option::of(1u16..),
        path in proptest::option::of("(/[a-z0-9]{1,6}){1,3}"),
    ) {
        let url = format!(
            "http://{host}{}{}",
            port.map(|p| format!(":{p}")).unwrap_or_default(),
            path.clone().unwrap_or_default()
        );
        let client = build_with_url(&url).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(client.baseurl().starts_with("http://"), "{}", client.baseurl());
        prop_assert!(client.baseurl().ends_with(&path.unwrap_or_default()));
    }

    #[test]
    fn http_to_any_other_host_is_refused_naming_base_url(
        host in non_loopback_host(),
        port in proptest::option::of(any::<u16>()),
        scheme in select(vec!["http://", "HTTP://", "Http://"]),
    ) {
        let url = format!("{scheme}{host}{}", port.map(|p| format!(":{p}")).unwrap_or_default());
        let result = build_with_url(&url);
        prop_assert_eq!(config_field(&result), Some("base_url"));
        let shown = result.err().unwrap().to_string();
        prop_assert!(shown.contains("`base_url`"), "{}", shown);
        prop_assert!(shown.contains("https://"), "{}", shown);
    }

    #[test]
    fn a_password_in_the_base_url_is_refused_and_never_echoed(
        scheme in select(vec!["https://", "http://", "", "ftp://", "HTTPS://", "https:"]),
        user in "[a-z]{1,8}",
        password in "[A-Za-z0-9._~!$&'()*+,;=%:@/?#-]{0,12}".prop_map(|p| format!("S3cr3t-{p}")),
        host in prop_oneof![hostname(), loopback_host(), non_loopback_host()],
        port in proptest::option::of(any::<u16>()),
        path in proptest::option::of("/[a-z]{0,6}"),
    ) {
        let url = format!(
            "{scheme}{user}:{password}@{host}{}{}",
            port.map(|p| format!(":{p}")).unwrap_or_default(),
            path.unwrap_or_default()
        );
        let result = build_with_url(&url);
        prop_assert_eq!(config_field(&result), Some("base_url"));
        assert_hidden(&result.err().unwrap(), &password)?;
    }
}

// ----------------------------------------------------------------------------------------
// Credentials
// ----------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum WithUser {
    Basic,
    Ibsso,
    OAuth2,
}

impl WithUser {
    fn builder(self, user: &str, password: &str) -> ClientBuilder {
        match self {
            WithUser::Basic => ClientBuilder::basic(user, password),
            WithUser::Ibsso => ClientBuilder::ibsso(user, password),
            WithUser::OAuth2 => ClientBuilder::oauth2(user, password),
        }
        .http_client(http())
        .base_url(GOOD_URL)
    }

    fn user_field(self) -> &'static str {
        match self {
            WithUser::OAuth2 => "client_id",
            _ => "username",
        }
    }

    fn password_field(self) -> &'static str {
        match self {
            WithUser::OAuth2 => "client_secret",
            _ => "password",
        }
    }
}

fn with_user() -> impl Strategy<Value = WithUser> {
    select(vec![WithUser::Basic, WithUser::Ibsso, WithUser::OAuth2])
}

fn build_api_key(key: &str) -> Result<infobip_client::account::Client, ConfigError> {
    ClientBuilder::api_key(key)
        .http_client(http())
        .base_url(GOOD_URL)
        .build()
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn an_api_key_is_accepted_exactly_when_it_is_visible_ascii(key in hostile_string()) {
        let result = build_api_key(&key);
        let visible = !key.is_empty()
            && key.bytes().all(|b| (0x20..=0x7e).contains(&b))
            && key.trim() == key;
        prop_assert_eq!(result.is_ok(), visible, "{:?}", key);
        if result.is_ok() {
            prop_assert!(key.bytes().all(|b| (0x20..=0x7e).contains(&b)));
            prop_assert!(!key.starts_with(' ') && !key.ends_with(' '));
        } else {
            prop_assert_eq!(config_field(&result), Some("api_key"));
        }
    }

    #[test]
    fn an_api_key_with_a_control_character_is_refused_naming_api_key(key in with_control()) {
        let result = build_api_key(&key);
        prop_assert_eq!(config_field(&result), Some("api_key"));
        let shown = result.err().unwrap().to_string();
        prop_assert!(shown.starts_with("invalid `api_key`: "), "{}", shown);
    }

    #[test]
    fn a_username_is_accepted_exactly_when_it_has_no_control_character(
        scheme in with_user(),
        user in hostile_string(),
    ) {
        let result = scheme.builder(&user, "S3cr3t-password").build();
        let mut ok = username_ok(&user);
        if matches!(scheme, WithUser::Basic) {
            ok &= !user.contains(':');
        }
        prop_assert_eq!(result.is_ok(), ok, "{:?} {:?}", scheme, user);
        if !ok {
            prop_assert_eq!(config_field(&result), Some(scheme.user_field()));
        }
    }

    #[test]
    fn a_password_is_accepted_exactly_when_it_has_no_control_character(
        scheme in with_user(),
        password in hostile_string(),
    ) {
        let result = scheme.builder("user", &password).build();
        let ok = password_ok(&password);
        prop_assert_eq!(result.is_ok(), ok, "{:?} {:?}", scheme, password);
        if !ok {
            prop_assert_eq!(config_field(&result), Some(scheme.password_field()));
        }
    }

    #[test]
    fn a_control_character_anywhere_is_refused_naming_the_field(
        scheme in with_user(),
        bad in with_control(),
        bad_password in any::<bool>(),
    ) {
        let (user, password) = if bad_password {
            ("user", bad.as_str())
        } else {
            (bad.as_str(), "S3cr3t-password")
        };
        let result = scheme.builder(user, password).build();
        let field = if bad_password { scheme.password_field() } else { scheme.user_field() };
        prop_assert_eq!(config_field(&result), Some(field));
        let shown = result.err().unwrap().to_string();
        let prefix = format!("invalid `{field}`: ");
        prop_assert!(shown.starts_with(&prefix), "{}", shown);
    }

    #[test]
    fn no_error_or_builder_debug_shows_a_secret(
        scheme in prop_oneof![with_user().prop_map(Some), Just(None)],
        user in prop_oneof!["[a-z]{1,8}", hostile_string()],
        secret in secret(),
        url in prop_oneof![Just(String::from(GOOD_URL)), url_like(), hostile_string()],
    ) {
        let builder = match scheme {
            Some(scheme) => scheme.builder(&user, &secret),
            None => ClientBuilder::api_key(secret.as_str()).http_client(http()),
        }
        .base_url(url);
        let debug = format!("{builder:?}");
        prop_assert!(!debug.contains(&secret), "{}", debug);
        if let Err(error) = builder.build() {
            assert_hidden(&error, &secret)?;
        }
    }

    #[test]
    fn from_env_never_panics_and_never_shows_a_secret(
        auth in proptest::option::of(prop_oneof![
            select(vec!["basic", "api-key", "apikey", "app", "ibsso", "session", "oauth2", "oauth", "BASIC", "OAuth2"])
                .prop_map(str::to_owned),
            hostile_string(),
        ]),
        base_url in proptest::option::of(prop_oneof![Just(String::from(GOOD_URL)), url_like(), hostile_string()]),
        username in proptest::option::of(hostile_string()),
        client_id in proptest::option::of(hostile_string()),
        api_key in proptest::option::of(secret()),
        password in proptest::option::of(secret()),
        client_secret in proptest::option::of(secret()),
    ) {
        let mut vars = HashMap::new();
        for (name, value) in [
            (env::AUTH, &auth),
            (env::BASE_URL, &base_url),
            (env::USERNAME, &username),
            (env::CLIENT_ID, &client_id),
            (env::API_KEY, &api_key),
            (env::PASSWORD, &password),
            (env::CLIENT_SECRET, &client_secret),
        ] {
            if let Some(value) = value {
                vars.insert(name, value.clone());
            }
        }
        let secrets: Vec<&String> = [&api_key, &password, &client_secret]
            .into_iter()
            .flatten()
            .collect();
        let result = ClientBuilder::from_env_with(|name| vars.get(name).cloned())
            .map(|b| b.http_client(http()))
            .and_then(|builder| {
                let debug = format!("{builder:?}");
                for secret in &secrets {
                    assert!(!debug.contains(secret.as_str()), "{debug}");
                }
                builder.build()
            });
        if let Err(error) = result {
            for secret in &secrets {
                assert_hidden(&error, secret)?;
            }
            prop_assert!(matches!(error, ConfigError { .. }), "{:?}", error);
        }
    }
}

// ----------------------------------------------------------------------------------------
// Tokens from the server, over loopback
// ----------------------------------------------------------------------------------------

/// A loopback server whose token and session endpoints hand out whatever token the current
/// case chose, and whose balance endpoint records the Authorization header it was sent.
struct TokenServer {
    runtime: tokio::runtime::Runtime,
    server: RecordingServer,
    token: Arc<Mutex<String>>,
}

fn token_server() -> &'static TokenServer {
    static SERVER: OnceLock<TokenServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let token = Arc::new(Mutex::new(String::new()));
        let answer = token.clone();
        let server = runtime
            .block_on(RecordingServer::start_with(move |request| {
                let token = answer.lock().unwrap().clone();
                match request.path.as_str() {
                    "/auth/1/oauth2/token" => Reply::json(
                        200,
                        json!({"access_token": token, "expires_in": 3600, "token_type": "Bearer"})
                            .to_string(),
                    ),
                    "/auth/1/session" if request.method == "POST" => {
                        Reply::json(200, json!({"token": token}).to_string())
                    }
                    "/auth/1/session" => Reply::empty(204),
                    _ => Reply::json(200, r#"{"balance":1.5,"currency":"EUR"}"#),
                }
            }))
            .unwrap();
        TokenServer {
            runtime,
            server,
            token,
        }
    })
}

/// A token as a server might send it: well-formed, or with anything in it.
fn server_token() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9._~+/=-]{8,40}",
        hostile_string(),
        with_control(),
        Just(String::new()),
    ]
}

proptest! {
    // Each case makes a client and two loopback requests.
    #![proptest_config(config(64))]

    #[test]
    fn a_server_token_reaches_a_header_only_when_it_is_visible_ascii(
        token in server_token(),
        oauth in any::<bool>(),
    ) {
        let (result, sent) = call_with_server_token(&token, oauth);
        let prefix = if oauth { "Bearer" } else { "IBSSO" };
        let has_control = token.chars().any(char::is_control);
        let visible = token.bytes().all(|b| (0x20..=0x7e).contains(&b));
        if has_control || !visible {
            prop_assert!(sent.is_empty(), "{:?} was sent as {:?}", token, sent);
            let shown = result.expect_err("a token that is not visible ASCII was accepted");
            prop_assert!(shown.contains("not a valid header value"), "{}", shown);
        } else if !token.trim().is_empty() && token.trim() == token {
            prop_assert!(result.is_ok(), "{:?}: {:?}", token, result.err());
            prop_assert_eq!(sent, vec![format!("{prefix} {token}")]);
        }
        // Blank tokens and tokens padded with spaces: see the property below.
    }
}

proptest! {
    #![proptest_config(config(32))]

    /// The same rule as for API keys (`has leading or trailing whitespace, which HTTP strips
    /// from header values`) and for empty ones: such a token cannot be sent as issued.
    #[test]
    fn a_blank_or_padded_server_token_is_refused_and_nothing_is_sent(
        token in prop_oneof![
            "[ ]{0,3}",
            ("[ ]{0,2}", "[A-Za-z0-9]{8,16}", "[ ]{0,2}")
                .prop_filter("padded", |(l, _, r)| !l.is_empty() || !r.is_empty())
                .prop_map(|(l, t, r)| format!("{l}{t}{r}")),
        ],
        oauth in any::<bool>(),
    ) {
        let (result, sent) = call_with_server_token(&token, oauth);
        prop_assert!(sent.is_empty(), "{:?} was sent as {:?}", token, sent);
        prop_assert!(result.is_err(), "{:?} was accepted", token);
    }
}

/// Builds a client against [`token_server`] handing out `token`, makes one call that needs
/// it, and returns the outcome (an error must be an auth failure, shown as text) and the
/// Authorization headers the API endpoint received.
fn call_with_server_token(token: &str, oauth: bool) -> (Result<(), String>, Vec<String>) {
    static ONE_CASE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _guard = ONE_CASE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let server = token_server();
    *server.token.lock().unwrap() = token.to_owned();
    server.server.take_requests();
    let builder = if oauth {
        ClientBuilder::oauth2("user", "S3cr3t-password")
    } else {
        ClientBuilder::ibsso("user", "S3cr3t-password")
    };
    let client = builder
        .base_url(server.server.base_url())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let result = server
        .runtime
        .block_on(async { client.get_account_balance().send().await })
        .map(|_| ())
        .map_err(|e| {
            assert!(
                infobip_auth::AuthFailure::of(&e).is_some(),
                "not an auth failure: {e}"
            );
            e.to_string()
        });
    let sent = server
        .server
        .take_requests()
        .into_iter()
        .filter(|r| r.path == "/account/1/balance")
        .map(|r| {
            let value = r
                .headers
                .get("authorization")
                .map(|v| v.as_bytes().to_vec());
            String::from_utf8_lossy(&value.unwrap_or_default()).into_owned()
        })
        .collect();
    (result, sent)
}
