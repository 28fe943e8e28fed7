//! API keys (v2) as the sandbox stores them, and the checks a key must pass to be used.

use std::net::IpAddr;

use crate::account_bodies::{
    CreateKeyRequest, KeyAnswer, Platform, UpdateKeyRequest, PERMISSIONS, PLATFORM_ACTIONS,
    PUBLIC_API, WEB_SDK,
};
use crate::errors::Failure;
use crate::ids::{random_hex, random_uuid};
use chrono::{DateTime, Months, Utc};
use secrecy::SecretString;

/// An API key [`Sandbox::create_api_key`](crate::Sandbox::create_api_key) made: what a test
/// needs to use it.
#[derive(Debug)]
#[non_exhaustive]
pub struct CreatedKey {
    /// The key's id, for the key endpoints' paths.
    pub id: String,
    /// The key itself, for `Authorization: App <secret>`.
    pub secret: SecretString,
}

#[derive(Debug, Clone)]
pub(crate) struct StoredKey {
    pub id: String,
    pub secret: String,
    pub account_id: String,
    pub name: String,
    pub allowed_ips: Vec<String>,
    pub valid_from: DateTime<Utc>,
    pub valid_to: DateTime<Utc>,
    pub enabled: bool,
    pub permissions: Vec<String>,
    pub platform: Vec<Platform>,
    pub scope_guids: Vec<String>,
}

/// Which fields an update request contains. The generated type cannot tell an omitted list
/// from an empty one (both deserialize to `vec![]`), and for `allowedIPs` the difference
/// matters: an empty list lifts the restriction, an omitted one keeps it.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Present {
    pub allowed_ips: bool,
    pub permissions: bool,
    pub platform: bool,
}

impl StoredKey {
    pub fn create(
        request: CreateKeyRequest,
        account_id: String,
        default_scopes: &[String],
        now: DateTime<Utc>,
    ) -> Result<Self, Failure> {
        if request.name.trim().is_empty() {
            return Err(Failure::invalid("name", "must not be blank"));
        }
        let permissions = if request.permissions.is_empty() {
            vec![PUBLIC_API.to_owned()]
        } else {
            request.permissions
        };
        let scope_guids = request
            .scope_guids
            .unwrap_or_else(|| default_scopes.to_vec());
        let key = Self {
            id: random_hex(16).to_ascii_uppercase(),
            secret: format!("{}-{}", random_hex(16), random_uuid()),
            account_id,
            name: request.name,
            allowed_ips: request.allowed_ips,
            valid_from: request.valid_from.unwrap_or(now),
            valid_to: request
                .valid_to
                .unwrap_or_else(|| now.checked_add_months(Months::new(12)).unwrap_or(now)),
            enabled: true,
            permissions,
            platform: with_platform_keys(request.platform),
            scope_guids,
        };
        key.validate()?;
        Ok(key)
    }

    /// Applies an update: every field given replaces the stored one.
    pub fn update(&self, request: UpdateKeyRequest, present: Present) -> Result<Self, Failure> {
        let mut key = self.clone();
        if let Some(account_id) = request.account_id {
            if account_id != key.account_id {
                return Err(Failure::invalid(
                    "accountId",
                    "a key cannot be moved to another account",
                ));
            }
        }
        if let Some(name) = request.name {
            if name.trim().is_empty() {
                return Err(Failure::invalid("name", "must not be blank"));
            }
            key.name = name;
        }
        if present.allowed_ips {
            key.allowed_ips = request.allowed_ips;
        }
        if let Some(valid_from) = request.valid_from {
            key.valid_from = valid_from;
        }
        if let Some(valid_to) = request.valid_to {
            key.valid_to = valid_to;
        }
        if let Some(enabled) = request.enabled {
            key.enabled = enabled;
        }
        if present.permissions {
            key.permissions = request.permissions;
        }
        if present.platform {
            key.platform = with_platform_keys(request.platform);
        }
        if let Some(scopes) = request.scope_guids {
            key.scope_guids = scopes;
        }
        key.validate()?;
        Ok(key)
    }

    fn validate(&self) -> Result<(), Failure> {
        if let Some(bad) = self.allowed_ips.iter().find(|r| IpRule::parse(r).is_none()) {
            return Err(Failure::invalid(
                "allowedIPs",
                format!("`{bad}` is neither an IP address nor a CIDR range"),
            ));
        }
        if self.valid_to <= self.valid_from {
            return Err(Failure::invalid("validTo", "must be after validFrom"));
        }
        // Infobip knows only these.
        if let Some(unknown) = self
            .permissions
            .iter()
            .find(|p| !PERMISSIONS.contains(&p.as_str()))
        {
            return Err(Failure::invalid(
                "permissions",
                format!("`{unknown}` is not one of PUBLIC_API, 2FA_CLIENT, WEB_SDK"),
            ));
        }
        if let Some(action) = self
            .platform
            .iter()
            .filter_map(|p| p.action.as_deref())
            .find(|action| !PLATFORM_ACTIONS.contains(action))
        {
            return Err(Failure::invalid(
                "platform.action",
                format!("`{action}` is not one of FILL, FORCE"),
            ));
        }
        let has = |permission: &str| self.permissions.iter().any(|p| p == permission);
        if has(PUBLIC_API) && has(WEB_SDK) {
            return Err(Failure::invalid(
                "permissions",
                "PUBLIC_API and WEB_SDK cannot be combined",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = self.scope_guids.iter().find(|s| !seen.insert(s.as_str())) {
            return Err(Failure::invalid(
                "scopeGuids",
                format!("`{dup}` is listed twice; scopes must be unique"),
            ));
        }
        Ok(())
    }

    /// Why the key cannot be used right now from `peer`, if it cannot.
    pub fn refusal(&self, now: DateTime<Utc>, peer: IpAddr) -> Option<&'static str> {
        if !self.enabled {
            return Some("The API key has been revoked");
        }
        if now < self.valid_from {
            return Some("The API key is not valid yet");
        }
        if now >= self.valid_to {
            return Some("The API key has expired");
        }
        let allowed = self.allowed_ips.is_empty()
            || self
                .allowed_ips
                .iter()
                .filter_map(|r| IpRule::parse(r))
                .any(|rule| rule.contains(peer));
        if !allowed {
            return Some("The API key may not be used from this IP address");
        }
        None
    }

    pub fn to_api(&self) -> KeyAnswer {
        KeyAnswer {
            account_id: self.account_id.clone(),
            allowed_ips: self.allowed_ips.clone(),
            api_key_secret: self.secret.clone(),
            enabled: self.enabled,
            id: self.id.clone(),
            name: self.name.clone(),
            permissions: self.permissions.clone(),
            platform: self.platform.clone(),
            scope_guids: self.scope_guids.clone(),
            valid_from: crate::time::to_millis(self.valid_from),
            valid_to: crate::time::to_millis(self.valid_to),
        }
    }
}

/// `platform[].key` is read-only and assigned by Infobip.
fn with_platform_keys(platform: Vec<Platform>) -> Vec<Platform> {
    platform
        .into_iter()
        .map(|mut p| {
            if p.key.is_none() {
                p.key = Some(random_hex(8).to_ascii_uppercase());
            }
            p
        })
        .collect()
}

/// One `allowedIPs` entry: an address, or a CIDR range such as `10.0.0.0/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IpRule {
    network: IpAddr,
    prefix: u8,
}

impl IpRule {
    pub fn parse(rule: &str) -> Option<Self> {
        let (addr, prefix) = match rule.trim().split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (rule.trim(), None),
        };
        let network: IpAddr = addr.parse().ok()?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(Self { network, prefix })
    }

    pub fn contains(self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_rules_match_addresses_and_ranges() {
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        for (rule, expected) in [
            ("127.0.0.1", true),
            ("127.0.0.2", false),
            ("127.0.0.0/8", true),
            ("10.0.0.0/8", false),
            ("0.0.0.0/0", true),
            ("::1", false),
            ("::/0", false),
        ] {
            assert_eq!(
                IpRule::parse(rule).unwrap().contains(local),
                expected,
                "{rule}"
            );
        }
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        assert!(IpRule::parse("127.0.0.1").unwrap().contains(mapped));
        assert!(IpRule::parse("::1/128")
            .unwrap()
            .contains("::1".parse().unwrap()));
        for bad in ["localhost", "10.0.0.0/33", "1.2.3.4/x", ""] {
            assert!(IpRule::parse(bad).is_none(), "{bad}");
        }
    }
}
