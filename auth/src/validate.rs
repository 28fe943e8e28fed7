//! The checks every setting and every token from the server passes before it is used, each
//! naming what is wrong without quoting a secret.

use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

use crate::error::ConfigError;

/// Checks a username without putting it into the error (it may be a secret typed in the
/// wrong place).
pub(crate) fn check_username(field: &'static str, value: &str) -> Result<(), ConfigError> {
    check_text(field, value, false)
}

/// Checks a secret without ever putting its value into the error.
pub(crate) fn check_secret(
    field: &'static str,
    value: &SecretString,
    in_header: bool,
) -> Result<(), ConfigError> {
    check_text(field, value.expose_secret(), in_header)
}

fn check_text(field: &'static str, value: &str, in_header: bool) -> Result<(), ConfigError> {
    let reason = if value.trim().is_empty() {
        "is empty"
    } else if value.chars().any(char::is_control) {
        "contains a control character (such as a newline or tab), which cannot be sent in an HTTP header; check for a trailing newline"
    } else if in_header && value.trim() != value {
        "has leading or trailing whitespace, which HTTP strips from header values"
    } else {
        return Ok(());
    };
    Err(ConfigError::new(field, reason))
}

/// `<prefix> <value>` as a header value that `Debug` and HTTP/2 header compression treat as
/// sensitive.
pub(crate) fn sensitive_header(
    field: &'static str,
    prefix: &str,
    value: &str,
) -> Result<HeaderValue, ConfigError> {
    // HTTP tolerates other bytes as "obs-text", but servers and proxies mangle them.
    let visible = value.bytes().all(|b| (0x20..0x7f).contains(&b));
    match HeaderValue::try_from(format!("{prefix} {value}")) {
        Ok(mut header) if visible => {
            header.set_sensitive(true);
            Ok(header)
        }
        _ => Err(ConfigError::new(
            field,
            "contains characters that cannot be sent in an HTTP header (only visible ASCII is allowed)",
        )),
    }
}

/// Applies the base URL rules of Infobip's own clients; the result has no trailing slash.
pub(crate) fn normalize_base_url(input: &str) -> Result<String, ConfigError> {
    let fail = |reason: String| ConfigError::new("base_url", reason);
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(fail(
            "is empty; use your personal https://<subdomain>.api.infobip.com".into(),
        ));
    }
    if trimmed.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(fail("contains whitespace or control characters".into()));
    }
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_owned()
    } else {
        format!("https://{trimmed}")
    };
    let url =
        reqwest::Url::parse(&with_scheme).map_err(|e| fail(format!("is not a valid URL ({e})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        // The URL is not echoed: it holds credentials.
        return Err(fail(
            "contains credentials; pass them to the builder's scheme method instead".into(),
        ));
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(host)) => host.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err(fail("has no host".into())),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            let host = url.host_str().unwrap_or_default();
            return Err(fail(format!(
                "uses http:// with `{host}`; Infobip needs https:// (http:// is allowed only for \
                 localhost and loopback addresses, for local testing)"
            )));
        }
        other => return Err(fail(format!("has the scheme `{other}`; use https://"))),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(fail(
            "has a query or fragment; give only scheme, host, port and path".into(),
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Whether `url` has `base`'s origin (scheme, host and port): the only place credentials go,
/// and the only place whose 401 is Infobip's.
pub(crate) fn same_origin(url: &reqwest::Url, base: &reqwest::Url) -> bool {
    // `Url::origin` would allocate twice per call; the base URL is http(s) (checked when the
    // connection is made), whose origin is exactly these three parts, and the URL parser has
    // already lower-cased and IDNA-encoded both hosts.
    url.scheme() == base.scheme()
        && url.host() == base.host()
        && url.port_or_known_default() == base.port_or_known_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_rules() {
        let ok = |s: &str| normalize_base_url(s).unwrap();
        let err = |s: &str| normalize_base_url(s).unwrap_err().to_string();
        assert_eq!(ok("xyz.api.infobip.com"), "https://xyz.api.infobip.com");
        assert_eq!(ok(" https://api.infobip.com/ "), "https://api.infobip.com");
        assert_eq!(ok("http://localhost:8080"), "http://localhost:8080");
        assert_eq!(ok("http://127.0.0.1:9/stem/"), "http://127.0.0.1:9/stem");
        assert_eq!(ok("http://[::1]:9"), "http://[::1]:9");
        assert!(err("http://api.infobip.com").contains("needs https://"));
        assert!(err("http://10.0.0.1").contains("needs https://"));
        assert!(err("ftp://api.infobip.com").contains("scheme `ftp`"));
        assert!(err("").contains("is empty"));
        assert!(err("https://exa mple.com").contains("whitespace"));
        assert!(err("https://user:pw@api.infobip.com").contains("contains credentials"));
        assert!(!err("https://user:pw@api.infobip.com").contains("pw"));
        assert!(err("https://api.infobip.com/?x=1").contains("query"));
        assert!(err("https://").contains("not a valid URL") || err("https://").contains("no host"));
    }

    #[test]
    fn secrets_are_checked_without_being_echoed() {
        let e = check_secret("api_key", &SecretString::from("abc\n"), true).unwrap_err();
        assert!(!e.to_string().contains("abc"));
        assert!(e
            .to_string()
            .starts_with("invalid `api_key`: contains a control character"));
        let e = check_secret("api_key", &SecretString::from(" abc"), true).unwrap_err();
        assert!(e.to_string().contains("whitespace"));
        check_secret("password", &SecretString::from(" spaces are fine "), false).unwrap();
        let e = sensitive_header("api_key", "App", "ключ").unwrap_err();
        assert!(e.to_string().contains("only visible ASCII"));
        assert!(sensitive_header("api_key", "App", "k")
            .unwrap()
            .is_sensitive());
    }
}
