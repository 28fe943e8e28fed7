//! Everything the sandbox remembers, behind one lock. No lock is held across an await.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine;

use crate::account_bodies::{
    CreateKeyRequest, KeyAnswer, KeyPage, OrderDirection, Paging, UpdateKeyRequest, PUBLIC_API,
};
use crate::config::{Account, SandboxConfig, SessionRule};
use crate::errors::Failure;
use crate::ids::{random_hex, random_uuid};
use crate::keys::{Present, StoredKey};
use crate::log::RequestLog;
use crate::model::{Endpoint, Fault, SchemeUsed};
use crate::sms::SmsStore;
use crate::two_factor::TwoFactorStore;

#[derive(Debug, Clone)]
struct Session {
    username: String,
    last_used: Instant,
    /// `None` for an `unsafe` session, which any address may use.
    bound_to: Option<IpAddr>,
}

#[derive(Debug, Clone)]
struct OAuthToken {
    username: String,
    expires_at: Instant,
}

#[derive(Debug, Default)]
struct Inner {
    sessions: HashMap<String, Session>,
    oauth: HashMap<String, OAuthToken>,
    keys: Vec<StoredKey>,
    faults: HashMap<Endpoint, VecDeque<Queued>>,
    /// Every session token and access token issued, in order.
    issued: Vec<String>,
    /// Admitted calls per (account id, endpoint), oldest first.
    throttle: HashMap<(String, Endpoint), VecDeque<Instant>>,
}

/// A fault waiting for its calls; a [`Fault::Hold`] brings the barrier its calls meet at.
#[derive(Debug)]
struct Queued {
    fault: Fault,
    barrier: Option<Arc<tokio::sync::Barrier>>,
}

/// The fault one call plays.
#[derive(Debug)]
pub(crate) struct TakenFault {
    pub fault: Fault,
    /// Shared by every call of the same [`Fault::Hold`].
    pub barrier: Option<Arc<tokio::sync::Barrier>>,
}

/// Who a request authenticated as.
#[derive(Debug, Clone)]
pub(crate) struct Principal {
    pub account: Account,
    /// The key's scopes for `App`, the user's role scopes otherwise.
    pub scopes: Vec<String>,
    /// The key's permissions for `App`; `None` for the user's own credentials.
    pub permissions: Option<Vec<String>>,
}

/// The state shared by every connection.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: SandboxConfig,
    inner: Mutex<Inner>,
    /// The requests received, bounded, behind a lock of its own.
    pub log: RequestLog,
    /// The SMS product's messages, behind a lock of its own.
    pub sms: SmsStore,
    /// The 2FA product's applications, templates and PINs, behind a lock of its own.
    pub two_factor: TwoFactorStore,
    /// How often each described operation was called (its answers' shapes alternate).
    pub described: crate::described::calls::Calls,
}

/// Query filters of the list endpoint, already parsed.
#[derive(Debug, Default)]
pub(crate) struct KeyFilter {
    pub account_id: Option<String>,
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub secret: Option<String>,
    pub page: i32,
    pub size: i32,
    pub order_by: Option<String>,
    pub order_direction: Option<OrderDirection>,
}

impl Shared {
    /// Fails only when the HTTP client that posts webhooks cannot be built.
    pub fn new(config: SandboxConfig) -> std::io::Result<Self> {
        Ok(Self {
            log: RequestLog::new(config.log_limits),
            config,
            inner: Mutex::new(Inner::default()),
            sms: SmsStore::new()?,
            two_factor: TwoFactorStore::default(),
            described: crate::described::calls::Calls::default(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere cannot leave the maps half-updated in a way that matters to a
        // test double, so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn now(&self) -> Instant {
        self.config.clock.now()
    }

    /// The wall-clock time of the sandbox's clock (which a `ManualClock` moves too), to the
    /// millisecond, as Infobip keeps times.
    pub fn wall(&self) -> chrono::DateTime<chrono::Utc> {
        crate::time::to_millis(self.config.clock.wall().into())
    }

    fn account_by_name(&self, username: &str) -> Option<&Account> {
        self.config.accounts.iter().find(|a| a.username == username)
    }

    fn account_by_id(&self, account_id: &str) -> Option<&Account> {
        self.config
            .accounts
            .iter()
            .find(|a| a.account_id == account_id)
    }

    fn login(&self, username: &str, password: &str) -> Result<&Account, Failure> {
        self.account_by_name(username)
            .filter(|a| a.password == password)
            .ok_or_else(|| Failure::unauthorized("Invalid login details"))
    }

    // ---- faults -------------------------------------------------------------------------

    pub fn inject(&self, endpoint: Endpoint, fault: Fault) {
        let barrier = match fault {
            Fault::Hold { times } if times > 0 => Some(Arc::new(tokio::sync::Barrier::new(times))),
            _ => None,
        };
        self.lock()
            .faults
            .entry(endpoint)
            .or_default()
            .push_back(Queued { fault, barrier });
    }

    /// The fault for this call, if one is queued; uses up one of its `times`.
    pub fn take_fault(&self, endpoint: Endpoint) -> Option<TakenFault> {
        let mut inner = self.lock();
        let queue = inner.faults.get_mut(&endpoint)?;
        loop {
            let front = queue.front_mut()?;
            let times = front.fault.times_mut();
            if *times == 0 {
                queue.pop_front();
                continue;
            }
            *times -= 1;
            let taken = TakenFault {
                fault: front.fault.clone(),
                barrier: front.barrier.clone(),
            };
            if *front.fault.times_mut() == 0 {
                queue.pop_front();
            }
            return Some(taken);
        }
    }

    pub fn issued_tokens(&self) -> Vec<String> {
        self.lock().issued.clone()
    }

    // ---- throttling ---------------------------------------------------------------------

    /// Counts the call against Infobip's declared limit for the endpoint, or refuses it.
    pub fn admit(&self, account_id: &str, endpoint: Endpoint) -> Result<(), Failure> {
        let logs = endpoint == Endpoint::GetOutboundSmsMessageLogsV3;
        if !(self.config.throttle || logs && self.config.logs_throttle) {
            return Ok(());
        }
        let (limit, window) = match endpoint {
            Endpoint::CreateApiKey | Endpoint::UpdateApiKey => {
                (40, Duration::from_secs(24 * 60 * 60))
            }
            Endpoint::CreateSession
            | Endpoint::DestroySession
            | Endpoint::CreateOAuth2Token
            | Endpoint::GetApiKeysByFilter
            | Endpoint::GetApiKey => (10, Duration::from_secs(1)),
            // `x-throttling-info`: 120 requests a minute.
            Endpoint::GetOutboundSmsMessageLogsV3 => (120, Duration::from_secs(60)),
            // The balance, send and delivery report endpoints declare no limit; the 2FA ones
            // declare none either (an application's own limits apply to PINs).
            Endpoint::GetAccountBalance
            | Endpoint::SendSmsMessages
            | Endpoint::GetOutboundSmsMessageDeliveryReportsV3
            | Endpoint::Get2faApplications
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
            | Endpoint::Get2faVerificationStatus => return Ok(()),
        };
        let now = self.now();
        let mut inner = self.lock();
        let calls = inner
            .throttle
            .entry((account_id.to_owned(), endpoint))
            .or_default();
        while calls
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= window)
        {
            calls.pop_front();
        }
        if calls.len() >= limit {
            let wait = calls.front().map_or(window, |oldest| {
                window - now.saturating_duration_since(*oldest)
            });
            return Err(Failure::too_many(wait.as_secs_f64().ceil() as u64));
        }
        calls.push_back(now);
        Ok(())
    }

    // ---- authentication -----------------------------------------------------------------

    /// Checks the `Authorization` header against the schemes the endpoint accepts.
    pub fn authenticate(
        &self,
        endpoint: Endpoint,
        header: Option<&str>,
        peer: IpAddr,
    ) -> Result<Principal, Failure> {
        let operation = endpoint.described()?;
        self.authenticate_with(|scheme| operation.accepts(scheme), header, peer)
    }

    /// Checks the `Authorization` header against the schemes `accepts` lets through.
    pub fn authenticate_with(
        &self,
        accepts: impl Fn(SchemeUsed) -> bool,
        header: Option<&str>,
        peer: IpAddr,
    ) -> Result<Principal, Failure> {
        let header = header.ok_or_else(|| {
            Failure::unauthorized("Missing Authorization header: credentials are required")
        })?;
        let (scheme, credential) = SchemeUsed::parse(header).ok_or_else(|| {
            Failure::unauthorized(
                "Unsupported Authorization scheme: use `Basic`, `App`, `IBSSO` or `Bearer`, \
                 spelled exactly so",
            )
        })?;
        if !accepts(scheme) {
            return Err(Failure::unauthorized(format!(
                "This endpoint does not accept the {} scheme",
                scheme.name()
            )));
        }
        let user = |account: &Account| Principal {
            account: account.clone(),
            scopes: account.scopes.clone(),
            permissions: None,
        };
        match scheme {
            SchemeUsed::Basic => {
                let (username, password) = decode_basic(credential)
                    .ok_or_else(|| Failure::unauthorized("Invalid login details"))?;
                self.login(&username, &password).map(user)
            }
            SchemeUsed::Ibsso => {
                let username = self.use_session(credential, peer)?;
                self.account_by_name(&username)
                    .map(user)
                    .ok_or_else(|| Failure::unauthorized("Invalid session"))
            }
            SchemeUsed::Bearer => {
                let username = self.check_oauth(credential)?;
                self.account_by_name(&username)
                    .map(user)
                    .ok_or_else(|| Failure::unauthorized("Invalid access token"))
            }
            SchemeUsed::ApiKey => {
                let now = self.wall();
                let inner = self.lock();
                let key = inner
                    .keys
                    .iter()
                    .find(|k| k.secret == credential)
                    .ok_or_else(|| Failure::unauthorized("Invalid API key"))?;
                if let Some(reason) = key.refusal(now, peer) {
                    return Err(Failure::unauthorized(reason));
                }
                let account = self
                    .account_by_id(&key.account_id)
                    .ok_or_else(|| Failure::unauthorized("Invalid API key"))?;
                Ok(Principal {
                    account: account.clone(),
                    scopes: key.scope_guids.clone(),
                    permissions: Some(key.permissions.clone()),
                })
            }
        }
    }

    /// The credential must carry the `PUBLIC_API` permission (keys) and one of the API scopes
    /// the endpoint's operation lists in `x-scopes` (none listed: none needed).
    pub fn require_scope(&self, principal: &Principal, endpoint: Endpoint) -> Result<(), Failure> {
        let operation = endpoint.described()?;
        let wanted: Vec<&str> = operation.scopes.iter().map(String::as_str).collect();
        self.require_scopes(principal, &wanted)
    }

    /// The same, for the API scopes `wanted` (any one of them will do).
    pub fn require_scopes(&self, principal: &Principal, wanted: &[&str]) -> Result<(), Failure> {
        let public_api = principal
            .permissions
            .as_ref()
            .is_none_or(|p| p.iter().any(|p| p == PUBLIC_API));
        if !public_api {
            return Err(Failure::forbidden(
                "Insufficient permissions: the API key lacks the PUBLIC_API permission",
            ));
        }
        if wanted.is_empty()
            || principal
                .scopes
                .iter()
                .any(|s| wanted.contains(&s.as_str()))
        {
            Ok(())
        } else {
            Err(Failure::missing_scope(wanted))
        }
    }

    // ---- sessions -----------------------------------------------------------------------

    fn session_alive(&self, session: &Session, now: Instant) -> bool {
        now.saturating_duration_since(session.last_used) < self.config.session_idle
    }

    pub fn create_session(
        &self,
        username: &str,
        password: &str,
        unsafe_: bool,
        peer: IpAddr,
    ) -> Result<String, Failure> {
        let account = self.login(username, password)?;
        self.admit(&account.account_id, Endpoint::CreateSession)?;
        let now = self.now();
        let idle = self.config.session_idle;
        let mut inner = self.lock();
        inner
            .sessions
            .retain(|_, s| now.saturating_duration_since(s.last_used) < idle);
        let existing = inner
            .sessions
            .iter_mut()
            .filter(|(_, s)| s.username == username)
            .max_by_key(|(_, s)| s.last_used);
        match (self.config.session_rule, existing) {
            (SessionRule::Reuse, Some((token, session))) => {
                session.last_used = now;
                return Ok(token.clone());
            }
            (SessionRule::Strict, Some(_)) => {
                return Err(Failure::forbidden(
                    "A session is already active for this user: destroy it \
                     (DELETE /auth/1/session) before creating a new one",
                ));
            }
            _ => {}
        }
        let token = random_uuid();
        inner.issued.push(token.clone());
        inner.sessions.insert(
            token.clone(),
            Session {
                username: username.to_owned(),
                last_used: now,
                bound_to: (!unsafe_).then_some(peer),
            },
        );
        Ok(token)
    }

    /// Validates a session token and counts the call as a use.
    fn use_session(&self, token: &str, peer: IpAddr) -> Result<String, Failure> {
        let now = self.now();
        let mut inner = self.lock();
        let session = inner
            .sessions
            .get(token)
            .ok_or_else(|| Failure::unauthorized("Invalid or expired session"))?;
        if !self.session_alive(session, now) {
            inner.sessions.remove(token);
            return Err(Failure::unauthorized("Invalid or expired session"));
        }
        if session.bound_to.is_some_and(|ip| ip != peer) {
            return Err(Failure::unauthorized(
                "The session belongs to another IP address",
            ));
        }
        let username = session.username.clone();
        if let Some(session) = inner.sessions.get_mut(token) {
            session.last_used = now;
        }
        Ok(username)
    }

    pub fn destroy_session(&self, header: Option<&str>, peer: IpAddr) -> Result<(), Failure> {
        let principal = self.authenticate(Endpoint::DestroySession, header, peer)?;
        self.admit(&principal.account.account_id, Endpoint::DestroySession)?;
        let token = header
            .and_then(SchemeUsed::parse)
            .map(|(_, credential)| credential.to_owned())
            .unwrap_or_default();
        self.lock().sessions.remove(&token);
        Ok(())
    }

    pub fn end_sessions(&self, username: &str) {
        self.lock().sessions.retain(|_, s| s.username != username);
    }

    pub fn active_sessions(&self, username: &str) -> usize {
        let now = self.now();
        self.lock()
            .sessions
            .values()
            .filter(|s| s.username == username && self.session_alive(s, now))
            .count()
    }

    // ---- OAuth --------------------------------------------------------------------------

    pub fn issue_oauth(&self, client_id: &str, client_secret: &str) -> Result<String, Failure> {
        let account = self.login(client_id, client_secret)?;
        self.admit(&account.account_id, Endpoint::CreateOAuth2Token)?;
        let now = self.now();
        let lifetime = Duration::from_secs(self.config.oauth_expires_in.max(0).unsigned_abs());
        let token = random_hex(32);
        let mut inner = self.lock();
        inner.oauth.retain(|_, t| now < t.expires_at);
        inner.issued.push(token.clone());
        inner.oauth.insert(
            token.clone(),
            OAuthToken {
                username: client_id.to_owned(),
                expires_at: now + lifetime,
            },
        );
        Ok(token)
    }

    fn check_oauth(&self, token: &str) -> Result<String, Failure> {
        let now = self.now();
        let inner = self.lock();
        inner
            .oauth
            .get(token)
            .filter(|t| now < t.expires_at)
            .map(|t| t.username.clone())
            .ok_or_else(|| Failure::unauthorized("Invalid or expired access token"))
    }

    // ---- API keys -----------------------------------------------------------------------

    pub fn create_key(
        &self,
        account: &Account,
        request: CreateKeyRequest,
    ) -> Result<KeyAnswer, Failure> {
        if request
            .account_id
            .as_ref()
            .is_some_and(|id| *id != account.account_id)
        {
            return Err(Failure::forbidden(
                "Insufficient permissions: keys can only be created for the caller's own account",
            ));
        }
        let now = self.wall();
        let key = StoredKey::create(request, account.account_id.clone(), &account.scopes, now)?;
        let api = key.to_api();
        self.lock().keys.push(key);
        Ok(api)
    }

    pub fn get_key(&self, account: &Account, id: &str) -> Result<KeyAnswer, Failure> {
        self.lock()
            .keys
            .iter()
            .find(|k| k.id == id && k.account_id == account.account_id)
            .map(StoredKey::to_api)
            .ok_or_else(|| Failure::not_found(format!("No API key with id `{id}`")))
    }

    pub fn update_key(
        &self,
        account: &Account,
        id: &str,
        request: UpdateKeyRequest,
        present: Present,
    ) -> Result<KeyAnswer, Failure> {
        let mut inner = self.lock();
        let stored = inner
            .keys
            .iter_mut()
            .find(|k| k.id == id && k.account_id == account.account_id)
            .ok_or_else(|| Failure::not_found(format!("No API key with id `{id}`")))?;
        *stored = stored.update(request, present)?;
        Ok(stored.to_api())
    }

    pub fn list_keys(&self, account: &Account, filter: KeyFilter) -> Result<KeyPage, Failure> {
        let inner = self.lock();
        let mut keys: Vec<&StoredKey> = inner
            .keys
            .iter()
            .filter(|k| k.account_id == account.account_id)
            .filter(|k| {
                filter
                    .account_id
                    .as_ref()
                    .is_none_or(|a| *a == k.account_id)
            })
            .filter(|k| filter.name.as_ref().is_none_or(|n| *n == k.name))
            .filter(|k| filter.enabled.is_none_or(|e| e == k.enabled))
            .filter(|k| filter.secret.as_ref().is_none_or(|s| *s == k.secret))
            .collect();
        match filter.order_by.as_deref() {
            None => {}
            Some("name") => keys.sort_by(|a, b| a.name.cmp(&b.name)),
            Some("id") => keys.sort_by(|a, b| a.id.cmp(&b.id)),
            Some("validFrom") => keys.sort_by_key(|k| k.valid_from),
            Some("validTo") => keys.sort_by_key(|k| k.valid_to),
            Some(other) => {
                return Err(Failure::invalid(
                    "orderBy",
                    format!("cannot order by `{other}`: use name, id, validFrom or validTo"),
                ))
            }
        }
        if filter.order_direction == Some(OrderDirection::Desc) {
            keys.reverse();
        }
        let total = keys.len();
        let size = usize::try_from(filter.size).unwrap_or(100).max(1);
        let page = usize::try_from(filter.page).unwrap_or(0);
        let api_keys = keys
            .into_iter()
            .skip(page.saturating_mul(size))
            .take(size)
            .map(StoredKey::to_api)
            .collect();
        Ok(KeyPage {
            api_keys,
            paging: Paging {
                order_by: filter.order_by,
                order_direction: filter.order_direction,
                page: filter.page,
                page_size: filter.size,
                total_count: i64::try_from(total).unwrap_or(i64::MAX),
                total_pages: i32::try_from(total.div_ceil(size)).unwrap_or(i32::MAX),
            },
        })
    }
}

fn decode_basic(credential: &str) -> Option<(String, String)> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(credential)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (username, password) = text.split_once(':')?;
    Some((username.to_owned(), password.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_decode() {
        let header = base64::engine::general_purpose::STANDARD.encode("demo:pa:ss");
        assert_eq!(
            decode_basic(&header),
            Some(("demo".to_owned(), "pa:ss".to_owned()))
        );
        assert_eq!(decode_basic("not base64!"), None);
    }
}
