//! One configured connection to Infobip, shared by every product client and by requests
//! written by hand: one token cache, one single-flight, one token store, one HTTP connection
//! pool.

use std::fmt;
use std::sync::Arc;

use infobip_client::{Auth, Call, Connection, ProductClient, Scheme, ScopeRefusal, HAND_WRITTEN};

use crate::authenticator::InfobipAuth;
use crate::error::{AuthError, ConfigError};
use crate::failure::AuthFailure;

/// A connection to Infobip: credentials configured once, every product's client taken from it.
///
/// Cheap to clone; the clones and every client taken from them share one token (or session),
/// one single-flight, one token store and one HTTP connection pool. Make one per account and
/// keep it for the life of the service.
///
/// ```no_run
/// use infobip_auth::{ClientBuilder, Infobip};
/// use infobip_client::Products as _;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let infobip: Infobip = ClientBuilder::oauth2("username", "password")
///     .base_url("https://xxxxx.api.infobip.com")
///     .connect()?;
/// let balance = infobip.account().get_account_balance().send().await?;
/// println!("{} {}", balance.balance, balance.currency);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Infobip(Arc<Parts>);

struct Parts {
    base_url: String,
    /// Scheme, host and port of the base URL: where credentials may go.
    origin: reqwest::Url,
    http: reqwest::Client,
    /// The authenticator, as the product clients carry it and as this crate uses it.
    auth: Auth,
    authenticator: Arc<InfobipAuth>,
}

impl fmt::Debug for Infobip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Infobip")
            .field("base_url", &self.0.base_url)
            .field("auth", &self.0.auth)
            .finish_non_exhaustive()
    }
}

impl Infobip {
    pub(crate) fn new(
        base_url: String,
        http: reqwest::Client,
        authenticator: InfobipAuth,
    ) -> Result<Self, ConfigError> {
        let origin = reqwest::Url::parse(&base_url)
            .map_err(|e| ConfigError::new("base_url", format!("is not a valid URL ({e})")))?;
        let authenticator = Arc::new(authenticator);
        let auth = Auth::from_arc(authenticator.clone());
        Ok(Self(Arc::new(Parts {
            base_url,
            origin,
            http,
            auth,
            authenticator,
        })))
    }

    /// The client of product `C` (`infobip_client::sms::Client`, ...): what
    /// [`Products`](infobip_client::Products) methods such as `sms()` return.
    pub fn client<C: ProductClient>(&self) -> C {
        self.product()
    }

    pub(crate) fn authenticator(&self) -> &InfobipAuth {
        &self.0.authenticator
    }

    /// The base URL every call goes to (`https://xxxxx.api.infobip.com`, no trailing slash):
    /// where a request written by hand for [`send`](Self::send) or the middleware points.
    pub fn base_url(&self) -> &str {
        &self.0.base_url
    }

    /// The scheme the connection authenticates with.
    pub fn scheme(&self) -> Scheme {
        self.authenticator().scheme()
    }

    /// Whether `url` goes to the connection's origin (scheme, host and port of the base URL):
    /// the only place credentials are sent.
    pub fn owns(&self, url: &reqwest::Url) -> bool {
        crate::validate::same_origin(url, &self.0.origin)
    }

    /// Adds the connection's credentials to a request written by hand (a product not in
    /// `spec/` yet, say): the `Authorization` header of its scheme, with a token obtained or
    /// renewed as for any call. A request to another origin than the base URL's is refused:
    /// credentials never go to a host they were not configured for.
    pub async fn authorize(&self, request: &mut reqwest::Request) -> Result<(), AuthFailure> {
        let failed = |error| AuthFailure::new(&HAND_WRITTEN, self.scheme(), error);
        if !self.owns(request.url()) {
            let origin = |url: &reqwest::Url| url.origin().ascii_serialization();
            return Err(failed(AuthError::OtherOrigin {
                origin: origin(request.url()),
                base: origin(&self.0.origin),
            }));
        }
        self.authenticator()
            .authorize(&HAND_WRITTEN, request)
            .await
            .map_err(failed)
    }

    /// Sends a request written by hand with the connection's credentials and HTTP client, and
    /// retries it once after a 401 with a new token (IBSSO, OAuth), as the product clients do.
    /// Otherwise it is treated as a write: sent once unless
    /// [`write_retry`](crate::ClientBuilder::write_retry) is on, and then again only after
    /// what proves Infobip did not act on it (429, 503, a connection never made).
    pub async fn send(
        &self,
        mut request: reqwest::Request,
    ) -> Result<reqwest::Response, SendError> {
        self.authorize(&mut request)
            .await
            .map_err(SendError::Auth)?;
        let call = Call {
            operation: &HAND_WRITTEN,
            transport: &self.0.http,
        };
        self.0
            .auth
            .send(call, request)
            .await
            .map_err(SendError::Transport)
    }

    /// The refusal inside `error`, a failed call made through this connection: `None` unless
    /// Infobip answered 403 for want of an API scope. See
    /// [`ScopeRefusal`](crate::error::ScopeRefusal).
    pub fn scope_refusal(&self, error: &infobip_client::Error) -> Option<ScopeRefusal> {
        ScopeRefusal::of(error, Some(self.scheme()))
    }
}

impl Connection for Infobip {
    fn base_url(&self) -> &str {
        &self.0.base_url
    }

    fn http(&self) -> &reqwest::Client {
        &self.0.http
    }

    fn auth(&self) -> &Auth {
        &self.0.auth
    }
}

/// Why [`Infobip::send`] did not get an answer.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The request could not be authenticated (or goes to another origin).
    #[error(transparent)]
    Auth(AuthFailure),
    /// The request got no answer; its URL is shown without secrets.
    #[error("the request got no answer: {0}")]
    Transport(#[source] reqwest::Error),
}
