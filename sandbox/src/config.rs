use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

pub use infobip_auth::{Clock, ManualClock, SystemClock};

/// Username of the demo account every default configuration contains.
pub const DEMO_USERNAME: &str = "demo";
/// Password of the demo account. It only opens the local sandbox, so printing it is fine.
pub const DEMO_PASSWORD: &str = "demo-password-123";
/// Account id of the demo account.
pub const DEMO_ACCOUNT_ID: &str = "8F0792F86035A9F4290821F1EE6BC06A";
/// The scope that key management and the balance endpoint require.
pub const MANAGE_SCOPE: &str = "account-management:manage";

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
    /// An account with the management scope and a balance of 100 EUR.
    pub fn new(
        username: impl Into<String>,
        password: impl Into<String>,
        account_id: impl Into<String>,
    ) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
            account_id: account_id.into(),
            scopes: vec![MANAGE_SCOPE.to_owned()],
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
    /// Where to listen; `127.0.0.1:0` (a port the OS picks) by default.
    pub bind: SocketAddr,
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
    /// 40 per day per account for key creates and for key updates).
    pub throttle: bool,
    /// The time source: the same [`Clock`] the auth crate's clients take, so that one
    /// [`ManualClock`] can expire tokens on both sides without waiting.
    pub clock: Arc<dyn Clock>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            accounts: vec![Account::demo()],
            session_idle: Duration::from_secs(60 * 60),
            session_rule: SessionRule::Reuse,
            oauth_expires_in: 3600,
            throttle: true,
            clock: Arc::new(SystemClock),
        }
    }
}

impl SandboxConfig {
    /// The default configuration without throttling, so that a test suite's bursts pass.
    pub fn for_tests() -> Self {
        Self {
            throttle: false,
            ..Self::default()
        }
    }

    /// Sets the listening address.
    pub fn with_bind(mut self, bind: SocketAddr) -> Self {
        self.bind = bind;
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

    /// Sets the time source, typically a [`ManualClock`] shared with the clients under test.
    pub fn with_clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }
}
