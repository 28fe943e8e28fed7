use std::collections::BTreeSet;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, SystemClock};
use crate::log::LogLimits;

/// Username of the demo account every default configuration contains.
pub const DEMO_USERNAME: &str = "demo";
/// Password of the demo account. It only opens the local sandbox, so printing it is fine.
pub const DEMO_PASSWORD: &str = "demo-password-123";
/// Account id of the demo account.
pub const DEMO_ACCOUNT_ID: &str = "8F0792F86035A9F4290821F1EE6BC06A";
/// The scope that key management and the balance endpoint require.
pub const MANAGE_SCOPE: &str = "account-management:manage";
/// The broadest SMS scope, one that every SMS operation accepts (send, delivery reports and
/// logs): what accounts get by default. The operations' own lists (`x-scopes`) decide what a
/// call needs; a unit test checks that each of them names this one.
pub const SMS_SCOPE: &str = "sms:manage";
/// The broadest 2FA scope: applications, templates, sending and verifying PINs, the
/// verification status; every 2FA operation but the email resend (which the sandbox does not
/// model) accepts it. What accounts get by default.
pub const TWO_FACTOR_SCOPE: &str = "2fa:manage";
/// What the sandbox charges for one message part, in [`SMS_CURRENCY`]: Infobip's prices
/// depend on the contract and the destination, so this is the sandbox's own figure.
pub const SMS_PRICE_PER_PART: f64 = 0.01;
/// The currency of [`SMS_PRICE_PER_PART`], that of the account balance.
pub const SMS_CURRENCY: &str = "EUR";

/// What a create-session call does while the user still holds a valid session.
///
/// Infobip only says that the old session "must be destroyed first" to get a new token; the
/// three variants are the three readings of that sentence, so clients can be tested against
/// each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SessionRule {
    /// The still-valid session's token is returned again (and counts as a use).
    #[default]
    Reuse,
    /// The create is refused: 403 with a legacy `FORBIDDEN` body saying a session is active.
    Strict,
    /// A new token is issued; the old one stays valid until it idles out or is destroyed.
    Fresh,
}

impl std::str::FromStr for SessionRule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "reuse" => Ok(Self::Reuse),
            "strict" => Ok(Self::Strict),
            "fresh" => Ok(Self::Fresh),
            other => Err(format!(
                "unknown session rule `{other}`: use reuse, strict or fresh"
            )),
        }
    }
}

/// A user account: its login works for Basic, create-session and as OAuth client credentials.
#[derive(Clone, PartialEq)]
pub struct Account {
    /// Login name; also the OAuth `client_id`.
    pub username: String,
    /// Password; also the OAuth `client_secret`.
    pub password: String,
    /// The account's id, as API keys report it in `accountId`.
    pub account_id: String,
    /// The user's role scopes: what Basic, IBSSO and OAuth credentials may reach, and the
    /// scopes a new API key gets when the create request names none.
    pub scopes: Vec<String>,
    /// What the balance endpoint reports, in EUR.
    pub balance: f64,
}

impl Account {
    /// An account with the management scope ([`MANAGE_SCOPE`]), the SMS scope
    /// ([`SMS_SCOPE`]), the 2FA scope ([`TWO_FACTOR_SCOPE`]) and a balance of 100 EUR.
    pub fn new(
        username: impl Into<String>,
        password: impl Into<String>,
        account_id: impl Into<String>,
    ) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
            account_id: account_id.into(),
            scopes: vec![
                MANAGE_SCOPE.to_owned(),
                SMS_SCOPE.to_owned(),
                TWO_FACTOR_SCOPE.to_owned(),
            ],
            balance: 100.0,
        }
    }

    /// The demo account ([`DEMO_USERNAME`], [`DEMO_PASSWORD`], [`DEMO_ACCOUNT_ID`]).
    pub fn demo() -> Self {
        Self::new(DEMO_USERNAME, DEMO_PASSWORD, DEMO_ACCOUNT_ID)
    }

    /// Replaces the role scopes.
    pub fn with_scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .field("account_id", &self.account_id)
            .field("scopes", &self.scopes)
            .field("balance", &self.balance)
            .finish()
    }
}

/// How a [`Sandbox`](crate::Sandbox) behaves. `Default` is what the binary serves; tests
/// usually start from [`SandboxConfig::for_tests`].
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Where to listen; `127.0.0.1:0` (a port the OS picks) by default. An address other
    /// than loopback needs [`allow_remote`](Self::allow_remote).
    pub bind: SocketAddr,
    /// Lets [`bind`](Self::bind) be an address other than loopback (`0.0.0.0`, a LAN
    /// address). Off by default: the demo account's password is public, so whoever can reach
    /// the address can use the sandbox, send to its webhooks' URLs and fill its memory up to
    /// the limits below.
    pub allow_remote: bool,
    /// How long a client may take to send a request's head (the connection is then closed)
    /// and then its body (then answered 408); an idle kept-alive connection is closed after
    /// this too. 10 seconds by default.
    pub read_timeout: Duration,
    /// The most connections served at once; further ones wait to be accepted until one
    /// closes. 256 by default.
    pub max_connections: usize,
    /// How much of the requests [`Sandbox::requests`](crate::Sandbox::requests) keeps.
    pub log_limits: LogLimits,
    /// The accounts that can log in; the demo account by default.
    pub accounts: Vec<Account>,
    /// How long a session lives without use; 60 minutes by default, as at Infobip.
    pub session_idle: Duration,
    /// What a create-session does while the user holds a valid session.
    pub session_rule: SessionRule,
    /// Lifetime of OAuth tokens in seconds (3600 by default). Zero or below issues tokens that
    /// are already expired, to test clients that must not cache them.
    pub oauth_expires_in: i64,
    /// Whether Infobip's declared rate limits apply (10/s for session, token and key reads;
    /// 40 per day per account for key creates and for key updates; 120 per minute for the
    /// SMS logs).
    pub throttle: bool,
    /// Applies the SMS logs' limit (120 calls a minute per account) even when `throttle` is
    /// off, so that a client's handling of that 429 can be tested without the other limits.
    pub logs_throttle: bool,
    /// How long, on [`clock`](Self::clock), a sent message stays pending before it reaches its
    /// final status (counted from its `sendAt` when it is scheduled); 3 seconds by default.
    pub delivery_delay: Duration,
    /// Numbers whose messages end `UNDELIVERABLE` (a handset error) instead of `DELIVERED`.
    pub undeliverable: BTreeSet<String>,
    /// Numbers whose messages end `REJECTED` (by the network) instead of `DELIVERED`.
    pub rejected: BTreeSet<String>,
    /// How often, in real time, the server posts the delivery reports that are due to
    /// webhooks by itself; `None`: only when [`Sandbox::deliver_due`](crate::Sandbox::deliver_due)
    /// is called, so that a test decides when (the default of [`for_tests`](Self::for_tests)).
    pub webhook_interval: Option<Duration>,
    /// The time source: the [`SystemClock`] by default; a [`ManualClock`](crate::ManualClock)
    /// in tests, or the client's own fake clock through an adapter (see [`Clock`]), so that
    /// one clock expires tokens on both sides without waiting.
    pub clock: Arc<dyn Clock>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            allow_remote: false,
            read_timeout: Duration::from_secs(10),
            max_connections: 256,
            log_limits: LogLimits::default(),
            accounts: vec![Account::demo()],
            session_idle: Duration::from_secs(60 * 60),
            session_rule: SessionRule::Reuse,
            oauth_expires_in: 3600,
            throttle: true,
            logs_throttle: false,
            delivery_delay: Duration::from_secs(3),
            undeliverable: BTreeSet::new(),
            rejected: BTreeSet::new(),
            webhook_interval: Some(Duration::from_secs(1)),
            clock: Arc::new(SystemClock),
        }
    }
}

impl SandboxConfig {
    /// The default configuration without throttling, so that a test suite's bursts pass,
    /// without the background webhook task (a test posts due delivery reports with
    /// [`Sandbox::deliver_due`](crate::Sandbox::deliver_due)), and without a connection limit
    /// that a load test would meet first: thousands of calls held open at once must all
    /// arrive.
    pub fn for_tests() -> Self {
        Self {
            throttle: false,
            webhook_interval: None,
            max_connections: 65_536,
            ..Self::default()
        }
    }

    /// Sets the listening address.
    pub fn with_bind(mut self, bind: SocketAddr) -> Self {
        self.bind = bind;
        self
    }

    /// Allows (or not) a [`bind`](Self::bind) address other than loopback.
    pub fn with_allow_remote(mut self, allow: bool) -> Self {
        self.allow_remote = allow;
        self
    }

    /// Sets how long a client may take to send a request's head, and then its body.
    pub fn with_read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Sets how many connections are served at once (at least one is).
    pub fn with_max_connections(mut self, max: usize) -> Self {
        self.max_connections = max;
        self
    }

    /// Sets how much of the requests the log keeps.
    pub fn with_log_limits(mut self, limits: LogLimits) -> Self {
        self.log_limits = limits;
        self
    }

    /// Replaces the accounts.
    pub fn with_accounts(mut self, accounts: Vec<Account>) -> Self {
        self.accounts = accounts;
        self
    }

    /// Adds an account.
    pub fn with_account(mut self, account: Account) -> Self {
        self.accounts.push(account);
        self
    }

    /// Sets the session idle timeout.
    pub fn with_session_idle(mut self, idle: Duration) -> Self {
        self.session_idle = idle;
        self
    }

    /// Sets the rule for a create-session while a session is valid.
    pub fn with_session_rule(mut self, rule: SessionRule) -> Self {
        self.session_rule = rule;
        self
    }

    /// Sets the OAuth token lifetime in seconds.
    pub fn with_oauth_expires_in(mut self, seconds: i64) -> Self {
        self.oauth_expires_in = seconds;
        self
    }

    /// Switches throttling on or off.
    pub fn with_throttle(mut self, throttle: bool) -> Self {
        self.throttle = throttle;
        self
    }

    /// Applies (or not) the SMS logs' limit of 120 calls a minute even with `throttle` off.
    pub fn with_logs_throttle(mut self, on: bool) -> Self {
        self.logs_throttle = on;
        self
    }

    /// Sets how long a message stays pending before its final status.
    pub fn with_delivery_delay(mut self, delay: Duration) -> Self {
        self.delivery_delay = delay;
        self
    }

    /// Makes messages to `number` end `UNDELIVERABLE` (status 9 `UNDELIVERABLE_NOT_DELIVERED`,
    /// a permanent handset error).
    pub fn with_undeliverable(mut self, number: impl Into<String>) -> Self {
        self.undeliverable.insert(number.into());
        self
    }

    /// Makes messages to `number` end `REJECTED` (status 6 `REJECTED_NETWORK`, a permanent
    /// operator error), unpriced.
    pub fn with_rejected(mut self, number: impl Into<String>) -> Self {
        self.rejected.insert(number.into());
        self
    }

    /// Sets how often the server posts due webhooks by itself (`None`: only
    /// [`Sandbox::deliver_due`](crate::Sandbox::deliver_due) does).
    pub fn with_webhook_interval(mut self, interval: Option<Duration>) -> Self {
        self.webhook_interval = interval;
        self
    }

    /// Sets the time source: a [`ManualClock`](crate::ManualClock), or an adapter over the
    /// fake clock the clients under test run on.
    pub fn with_clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }
}
