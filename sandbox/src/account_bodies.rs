//! The bodies of the auth and account endpoints (`spec/account.yaml`), the sandbox's own: only
//! the properties it reads or writes, named and typed as the description has them. They do not
//! come from the client, so a fault in the client's types is caught by the stand-in rather than
//! mirrored by it.

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Deserializer, Serialize};

/// `POST /auth/1/session`'s body.
#[derive(Debug, Deserialize)]
pub(crate) struct SessionRequest {
    pub username: String,
    #[serde(deserialize_with = "secret")]
    pub password: SecretString,
    #[serde(rename = "unsafe")]
    pub unsafe_: Option<bool>,
}

fn secret<'de, D: Deserializer<'de>>(deserializer: D) -> Result<SecretString, D::Error> {
    String::deserialize(deserializer).map(SecretString::from)
}

/// `POST /auth/1/session`'s answer. Borrowed for the moment it is written, so the token is
/// never kept outside the sandbox's state.
#[derive(Serialize)]
pub(crate) struct SessionAnswer<'a> {
    pub token: &'a str,
}

/// `POST /auth/1/oauth2/token`'s answer.
#[derive(Serialize)]
pub(crate) struct TokenAnswer<'a> {
    pub access_token: &'a str,
    pub expires_in: i32,
    pub token_type: &'static str,
}

/// `GET /account/1/balance`'s answer.
#[derive(Serialize)]
pub(crate) struct Balance {
    pub balance: f64,
    pub currency: &'static str,
}

/// An API key's `permissions` values Infobip knows.
pub(crate) const PUBLIC_API: &str = "PUBLIC_API";
/// The permission that cannot be combined with [`PUBLIC_API`].
pub(crate) const WEB_SDK: &str = "WEB_SDK";
/// Every `permissions` value, in the order the description lists them.
pub(crate) const PERMISSIONS: [&str; 3] = [PUBLIC_API, "2FA_CLIENT", WEB_SDK];
/// Every `platform[].action` value.
pub(crate) const PLATFORM_ACTIONS: [&str; 2] = ["FILL", "FORCE"];

/// One `platform` entry of an API key, read and written alike.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Platform {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    pub application_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// `POST /settings/2/api-keys`'s body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateKeyRequest {
    pub account_id: Option<String>,
    #[serde(rename = "allowedIPs", default)]
    pub allowed_ips: Vec<String>,
    pub name: String,
    #[serde(default)]
    pub permissions: Vec<String>,
    #[serde(default)]
    pub platform: Vec<Platform>,
    pub scope_guids: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::time::deserialize_optional")]
    pub valid_from: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "crate::time::deserialize_optional")]
    pub valid_to: Option<DateTime<Utc>>,
}

/// `PUT /settings/2/api-keys/{id}`'s body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateKeyRequest {
    pub account_id: Option<String>,
    #[serde(rename = "allowedIPs", default)]
    pub allowed_ips: Vec<String>,
    pub enabled: Option<bool>,
    pub name: Option<String>,
    #[serde(default)]
    pub permissions: Vec<String>,
    #[serde(default)]
    pub platform: Vec<Platform>,
    pub scope_guids: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::time::deserialize_optional")]
    pub valid_from: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "crate::time::deserialize_optional")]
    pub valid_to: Option<DateTime<Utc>>,
}

/// An API key as the key endpoints answer with it (its `Debug` leaves the secret out).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct KeyAnswer {
    pub account_id: String,
    #[serde(rename = "allowedIPs", skip_serializing_if = "Vec::is_empty")]
    pub allowed_ips: Vec<String>,
    pub api_key_secret: String,
    pub enabled: bool,
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub platform: Vec<Platform>,
    pub scope_guids: Vec<String>,
    #[serde(serialize_with = "crate::time::serialize")]
    pub valid_from: DateTime<Utc>,
    #[serde(serialize_with = "crate::time::serialize")]
    pub valid_to: DateTime<Utc>,
}

impl std::fmt::Debug for KeyAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyAnswer")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("enabled", &self.enabled)
            .field("api_key_secret", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// `GET /settings/2/api-keys`'s answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct KeyPage {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub api_keys: Vec<KeyAnswer>,
    pub paging: Paging,
}

/// The `paging` of a [`KeyPage`].
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Paging {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_direction: Option<OrderDirection>,
    pub page: i32,
    pub page_size: i32,
    pub total_count: i64,
    pub total_pages: i32,
}

/// The key list's `orderDirection`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub(crate) enum OrderDirection {
    Asc,
    Desc,
}

impl OrderDirection {
    /// `ASC` or `DESC`, as the query string spells them.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "ASC" => Some(Self::Asc),
            "DESC" => Some(Self::Desc),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_key_s_debug_leaves_its_secret_out() {
        let key = KeyAnswer {
            account_id: String::from("A1"),
            allowed_ips: Vec::new(),
            api_key_secret: String::from("S3CRET-key-value"),
            enabled: true,
            id: String::from("K1"),
            name: String::from("sms"),
            permissions: Vec::new(),
            platform: Vec::new(),
            scope_guids: Vec::new(),
            valid_from: DateTime::<Utc>::UNIX_EPOCH,
            valid_to: DateTime::<Utc>::UNIX_EPOCH,
        };
        let page = KeyPage {
            api_keys: vec![key],
            paging: Paging {
                order_by: None,
                order_direction: None,
                page: 0,
                page_size: 1,
                total_count: 1,
                total_pages: 1,
            },
        };
        let shown = format!("{page:?}");
        assert!(!shown.contains("S3CRET"), "{shown}");
        assert!(shown.contains("K1"), "{shown}");
    }
}
