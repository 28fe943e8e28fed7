//! Configuration from the environment: the `INFOBIP_*` variables.

use crate::builder::ClientBuilder;
use crate::connection::Infobip;
use crate::error::ConfigError;
#[cfg(feature = "redis")]
use crate::store::EncryptionKey;

/// The base URL, e.g. `https://xxxxx.api.infobip.com`. Required.
pub const BASE_URL: &str = "INFOBIP_BASE_URL";
/// `basic`, `api-key`, `ibsso` or `oauth2`. Optional when `INFOBIP_API_KEY` is set.
pub const AUTH: &str = "INFOBIP_AUTH";
/// The API key secret, for `api-key`.
pub const API_KEY: &str = "INFOBIP_API_KEY";
/// The username, for `basic` and `ibsso` (and `oauth2` without `INFOBIP_CLIENT_ID`).
pub const USERNAME: &str = "INFOBIP_USERNAME";
/// The password, for `basic` and `ibsso` (and `oauth2` without `INFOBIP_CLIENT_SECRET`).
pub const PASSWORD: &str = "INFOBIP_PASSWORD";
/// The OAuth client id (the account's username).
pub const CLIENT_ID: &str = "INFOBIP_CLIENT_ID";
/// The OAuth client secret (the account's password).
pub const CLIENT_SECRET: &str = "INFOBIP_CLIENT_SECRET";
/// A Redis URL (`redis://` or `rediss://`; `valkey://` or `valkeys://`) to share tokens
/// across processes; needs the `redis` feature and [`TOKEN_STORE_KEY`]. Optional.
pub const TOKEN_STORE: &str = "INFOBIP_TOKEN_STORE";
/// Instead of [`TOKEN_STORE`], for a Redis Cluster: the URLs of one or more of its nodes,
/// separated by commas (`redis://10.0.0.1:6379,redis://10.0.0.2:6379`; a comma in a password
/// is written `%2C`). Needs the `redis` feature and [`TOKEN_STORE_KEY`]. Optional.
pub const TOKEN_STORE_CLUSTER: &str = "INFOBIP_TOKEN_STORE_CLUSTER";
/// The store's encryption key: 32 bytes in standard base64 (`openssl rand -base64 32`).
pub const TOKEN_STORE_KEY: &str = "INFOBIP_TOKEN_STORE_KEY";

impl Infobip {
    /// A connection configured from the `INFOBIP_*` variables below.
    pub fn from_env() -> Result<Self, ConfigError> {
        ClientBuilder::from_env()?.connect()
    }
}

impl ClientBuilder {
    /// Reads the scheme, credentials and base URL from the variables in [`env`](crate::env).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env), reading variables through `lookup`.
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &'static str| lookup(name).filter(|v| !v.is_empty());
        let require = |name: &'static str, why: &str| {
            get(name)
                .ok_or_else(|| ConfigError::new(name, format!("is not set; it is needed {why}")))
        };
        // `name`, or else `fallback`, which is then required.
        let or_else = |name, fallback, why| get(name).map_or_else(|| require(fallback, why), Ok);
        let scheme = match get(AUTH) {
            Some(s) => s.to_ascii_lowercase(),
            None if get(API_KEY).is_some() => String::from("api-key"),
            None => return Err(ConfigError::new(
                AUTH,
                "is not set; set it to basic, api-key, ibsso or oauth2 (or set INFOBIP_API_KEY)",
            )),
        };
        let builder = match scheme.as_str() {
            "basic" => Self::basic(
                require(USERNAME, "for basic")?,
                require(PASSWORD, "for basic")?,
            ),
            "api-key" | "apikey" | "app" => Self::api_key(require(API_KEY, "for api-key")?),
            "ibsso" | "session" => Self::ibsso(
                require(USERNAME, "for ibsso")?,
                require(PASSWORD, "for ibsso")?,
            ),
            "oauth2" | "oauth" => Self::oauth2(
                or_else(CLIENT_ID, USERNAME, "for oauth2 without INFOBIP_CLIENT_ID")?,
                or_else(
                    CLIENT_SECRET,
                    PASSWORD,
                    "for oauth2 without INFOBIP_CLIENT_SECRET",
                )?,
            ),
            _ => {
                // Not quoted: a key pasted into the wrong variable would be printed.
                return Err(ConfigError::new(
                    AUTH,
                    "is none of basic, api-key, ibsso or oauth2 (its value is not shown: it \
                     could be a secret pasted into the wrong variable)",
                ));
            }
        };
        let builder = builder.base_url(require(BASE_URL, "always")?);
        let (which, urls) = match (get(TOKEN_STORE), get(TOKEN_STORE_CLUSTER)) {
            (None, None) => return Ok(builder),
            (Some(_), Some(_)) => {
                return Err(ConfigError::new(
                    TOKEN_STORE_CLUSTER,
                    "is set, and so is INFOBIP_TOKEN_STORE; set INFOBIP_TOKEN_STORE for one Redis server, or INFOBIP_TOKEN_STORE_CLUSTER for a Redis Cluster, not both",
                ))
            }
            (Some(url), None) => (TOKEN_STORE, url),
            (None, Some(nodes)) => (TOKEN_STORE_CLUSTER, nodes),
        };
        #[cfg(not(feature = "redis"))]
        {
            let _ = (urls, require);
            Err(ConfigError::new(
                which,
                "is set, but this build has no Redis support; enable the infobip-auth crate's `redis` feature",
            ))
        }
        #[cfg(feature = "redis")]
        {
            let why = format!("with {which}, to encrypt the tokens in it");
            let key = EncryptionKey::from_base64(&require(TOKEN_STORE_KEY, &why)?)
                .map_err(|e| ConfigError::new(TOKEN_STORE_KEY, e.reason))?;
            Ok(match which {
                TOKEN_STORE => builder.redis_token_store(urls, key),
                // Each URL is checked when the client is built, by its position in the list.
                _ => builder.redis_cluster_token_store(urls.split(',').map(str::trim), key),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::RetryPolicy;
    use infobip_client::Scheme;
    use std::collections::HashMap;

    fn from(vars: &[(&str, &str)]) -> Result<ClientBuilder, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ClientBuilder::from_env_with(|name| vars.get(name).cloned())
    }

    #[test]
    fn reads_each_scheme() {
        let base = (BASE_URL, "https://x.api.infobip.com");
        let cases = [
            (vec![base, (API_KEY, "k")], Scheme::ApiKeyHeader),
            (
                vec![base, (AUTH, "basic"), (USERNAME, "u"), (PASSWORD, "p")],
                Scheme::Basic,
            ),
            (
                vec![base, (AUTH, "IBSSO"), (USERNAME, "u"), (PASSWORD, "p")],
                Scheme::IbssoTokenHeader,
            ),
            (
                vec![
                    base,
                    (AUTH, "oauth2"),
                    (CLIENT_ID, "u"),
                    (CLIENT_SECRET, "p"),
                ],
                Scheme::OAuth2,
            ),
            (
                vec![base, (AUTH, "oauth2"), (USERNAME, "u"), (PASSWORD, "p")],
                Scheme::OAuth2,
            ),
        ];
        for (vars, scheme) in cases {
            let builder = from(&vars).unwrap();
            assert_eq!(builder.scheme(), scheme);
            builder.build().unwrap();
        }
    }

    #[test]
    fn says_which_variable_is_missing_or_wrong() {
        // The variable at fault, and the fact about it (the wording is the message's own).
        let err = |vars: &[(&str, &str)]| {
            let error = from(vars).unwrap_err();
            (error.field, error.reason)
        };
        let (field, reason) = err(&[]);
        assert_eq!(field, AUTH);
        assert!(
            reason.contains("is not set") && reason.contains(API_KEY),
            "{reason}"
        );
        let (field, reason) = err(&[(AUTH, "basic"), (USERNAME, "u")]);
        assert_eq!(field, PASSWORD);
        assert!(reason.contains("is not set"), "{reason}");
        let (field, reason) = err(&[(API_KEY, "k")]);
        assert_eq!(field, BASE_URL);
        assert!(reason.contains("is not set"), "{reason}");
        let (field, reason) = err(&[(AUTH, "kerberos")]);
        assert_eq!(field, AUTH);
        assert!(
            reason.contains("basic, api-key, ibsso or oauth2"),
            "{reason}"
        );
        assert!(!reason.contains("kerberos"), "{reason}");
    }

    #[test]
    fn a_key_pasted_into_the_scheme_variable_is_not_quoted() {
        let error = from(&[(AUTH, "App-key-S3CRET-1234567890")]).unwrap_err();
        assert!(!error.to_string().contains("S3CRET"), "{error}");
        assert!(!format!("{error:?}").contains("S3CRET"), "{error:?}");
    }

    #[test]
    fn build_names_the_bad_setting() {
        // The setting at fault, and the fact about it (the wording is the message's own).
        let err = |b: ClientBuilder| {
            let error = b.build().unwrap_err();
            (error.field, error.reason)
        };
        let url = "https://api.infobip.com";
        let (field, reason) = err(ClientBuilder::api_key(""));
        assert_eq!(field, "base_url");
        assert!(reason.contains("is not set"), "{reason}");
        assert_eq!(
            err(ClientBuilder::api_key("").base_url(url)),
            ("api_key", String::from("is empty"))
        );
        let (field, reason) = err(ClientBuilder::basic("a:b", "p").base_url(url));
        assert_eq!(field, "username");
        assert!(reason.contains("`:`"), "{reason}");
        let (field, reason) = err(ClientBuilder::ibsso("u\n", "p").base_url(url));
        assert_eq!(field, "username");
        assert!(reason.contains("control character"), "{reason}");
        assert_eq!(
            err(ClientBuilder::oauth2("u", " ").base_url(url)),
            ("client_secret", String::from("is empty"))
        );
        let (field, _) = err(ClientBuilder::api_key("k")
            .base_url(url)
            .retry_policy(RetryPolicy {
                max_attempts: 0,
                ..RetryPolicy::default()
            }));
        assert_eq!(field, "retry_policy");
    }
}
