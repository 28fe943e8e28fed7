//! The seam between the generated clients and whoever supplies credentials.
//!
//! Every generated operation sends its request through one trait object that other crates
//! implement: [`Authenticator`] (see `call.rs`). The authenticator learns which operation of
//! which product is being called from an [`Operation`], never from the product's `Client`
//! type, so one authenticator serves every product.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::deprecation::{Notices, RequestLine};
use crate::{Operation, Rebuild, Scheme};

/// A boxed, sendable future, as the dyn-compatible [`Authenticator`] methods return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A failure of [`Authenticator::prepare`], which aborts the call before anything is sent.
pub type PrepareError = Box<dyn std::error::Error + Send + Sync>;

/// What [`Authenticator::prepare`] gives back: its outcome at once, or a future of it.
///
/// Most calls are prepared without waiting (a static header, a cached token): their outcome
/// comes back as it is, so that the hot path allocates no future only to finish it on its
/// first poll.
///
/// A request is prepared only once [`outcome`](Self::outcome) is awaited: one sent before
/// goes without its credentials.
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// fn forgets(
///     auth: &dyn infobip_client::Authenticator,
///     call: infobip_client::Call<'_>,
///     request: &mut reqwest::Request,
/// ) {
///     auth.prepare(call, request);
/// }
/// ```
#[must_use = "the request is prepared (its credentials added) only once `outcome` is awaited"]
pub enum Prepared<'a> {
    /// The request is prepared, or cannot be.
    Ready(Result<(), PrepareError>),
    /// Preparing it needs to wait (a token to fetch, a secret to read again).
    Pending(BoxFuture<'a, Result<(), PrepareError>>),
}

impl Prepared<'_> {
    /// The outcome, once there is one.
    pub async fn outcome(self) -> Result<(), PrepareError> {
        match self {
            Prepared::Ready(outcome) => outcome,
            Prepared::Pending(future) => future.await,
        }
    }
}

impl fmt::Debug for Prepared<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Prepared::Ready(outcome) => f.debug_tuple("Ready").field(outcome).finish(),
            Prepared::Pending(_) => f.write_str("Pending"),
        }
    }
}

/// What sends a prepared request: the product client's `reqwest::Client`, or anything else that
/// can (a middleware chain, a stub in tests and benchmarks).
pub trait Transport: Send + Sync {
    /// Sends `request` once.
    fn execute(
        &self,
        request: reqwest::Request,
    ) -> BoxFuture<'_, reqwest::Result<reqwest::Response>>;
}

impl Transport for reqwest::Client {
    fn execute(
        &self,
        request: reqwest::Request,
    ) -> BoxFuture<'_, reqwest::Result<reqwest::Response>> {
        Box::pin(reqwest::Client::execute(self, request))
    }
}

/// What an [`Authenticator`] is told about each call.
#[derive(Clone, Copy)]
pub struct Call<'a> {
    /// The operation being called, with its product, accepted schemes and API scopes.
    pub operation: &'static Operation,
    /// What sends the request: the product client's HTTP client.
    pub transport: &'a dyn Transport,
}

impl fmt::Debug for Call<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("product", &self.operation.product)
            .field("operation", &self.operation.id)
            .finish_non_exhaustive()
    }
}

/// Decides how each request of every product client is authenticated and sent.
///
/// Every generated operation calls [`prepare`](Self::prepare) after building its request and
/// then [`send`](Self::send) to transmit it.
pub trait Authenticator: Any + fmt::Debug + Send + Sync {
    /// Adds credentials to `request`. An error aborts the call before anything is sent; the
    /// caller receives it as [`ErrorKind::Auth`](crate::ErrorKind::Auth), from which it can be
    /// downcast.
    fn prepare<'a>(&'a self, call: Call<'a>, request: &'a mut reqwest::Request) -> Prepared<'a>;

    /// Sends a prepared request. The default sends it once; an implementation may retry (for
    /// example after a 401) as long as it returns a single response.
    fn send<'a>(
        &'a self,
        call: Call<'a>,
        request: reqwest::Request,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        call.transport.execute(request)
    }

    /// Sends a prepared request whose body can be sent once only (a streamed multipart
    /// upload: [`Request::try_clone`](reqwest::Request::try_clone) gives `None`), with
    /// `rebuild`, which builds it again, without credentials, for a replay. The default
    /// sends it once, as [`send`](Self::send) does.
    fn send_rebuildable<'a>(
        &'a self,
        call: Call<'a>,
        request: reqwest::Request,
        rebuild: &'a dyn Rebuild,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        let _ = rebuild;
        self.send(call, request)
    }

    /// The scheme it authenticates with, recorded in each call's span; `None` by default.
    fn scheme(&self) -> Option<Scheme> {
        None
    }

    /// Whether the generated client guards its calls' answers: each call recorded in an
    /// `infobip.call` span, a secret of the request's URL (and its echoes) and an unreadable
    /// body that may hold secrets taken out of what comes back, a `Deprecation` or `Sunset`
    /// answer logged once per operation and [`Auth`]. `true` by default, so that an
    /// authenticator that wraps another (for metrics, an extra header) and forwards only
    /// `prepare` and `send` does not take the guard away; [`Auth::none`] says `false`.
    fn guards_answers(&self) -> bool {
        true
    }
}

/// The authenticator a product `Client` carries: cheap to clone, shared by every clone of the
/// client (and by clients of other products built with the same `Auth`), with the operations
/// whose deprecation was already logged.
#[derive(Clone)]
pub struct Auth {
    authenticator: Arc<dyn Authenticator>,
    notices: Arc<Notices>,
}

impl Auth {
    /// Wraps an authenticator.
    pub fn new(authenticator: impl Authenticator) -> Self {
        Self::from_arc(Arc::new(authenticator))
    }

    /// Shares an authenticator that is already behind an `Arc`.
    pub fn from_arc(authenticator: Arc<dyn Authenticator>) -> Self {
        Self {
            authenticator,
            notices: Arc::default(),
        }
    }

    /// Sends a prepared request through the authenticator, as every generated `send` does: in
    /// the call's span (`infobip.call`: the operation, the status, and the bulk and message
    /// ids the call named or was given), with any secret of its URL (and its echoes) taken
    /// out of what comes back, and a `Deprecation` or `Sunset` answer logged once per
    /// operation and `Auth` (when the authenticator [guards its
    /// answers](Authenticator::guards_answers)). For requests written by hand
    /// (`infobip_auth::Infobip::send`).
    pub async fn send(
        &self,
        call: Call<'_>,
        request: reqwest::Request,
    ) -> reqwest::Result<reqwest::Response> {
        crate::call::send(self, call, request, None).await
    }

    /// A `Deprecation` or `Sunset` header on `response`, logged if it is the first of
    /// `operation`'s (of `line`'s, for a request written by hand).
    pub(crate) fn notice(
        &self,
        operation: &'static Operation,
        line: Option<&RequestLine>,
        response: &reqwest::Response,
    ) {
        self.notices.check(operation, line, response);
    }

    /// An authenticator that adds nothing: only the unauthenticated operations (create-session,
    /// create-oauth2-token) can succeed. Meant for tests and for tools that only log in.
    pub fn none() -> Self {
        Self::new(NoAuth)
    }

    /// The authenticator.
    pub fn authenticator(&self) -> &dyn Authenticator {
        &*self.authenticator
    }

    /// The authenticator, if it is of type `T`.
    pub fn downcast_ref<T: Authenticator>(&self) -> Option<&T> {
        let any: &dyn Any = &*self.authenticator;
        any.downcast_ref()
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Delegates, so that redaction is the authenticator's job and cannot be bypassed here.
        fmt::Debug::fmt(&*self.authenticator, f)
    }
}

#[derive(Debug)]
struct NoAuth;

impl Authenticator for NoAuth {
    fn prepare<'a>(&'a self, _call: Call<'a>, _request: &'a mut reqwest::Request) -> Prepared<'a> {
        Prepared::Ready(Ok(()))
    }

    /// Its answers as they came: what tests and tools that only log in expect to read.
    fn guards_answers(&self) -> bool {
        false
    }
}

/// Writes a product's `impl ProductClient for Client`, given the product's name.
#[allow(unused_macros)]
macro_rules! impl_product_client {
    ($product:literal) => {
        impl crate::ProductClient for Client {
            const PRODUCT: &'static str = $product;

            fn from_parts(base_url: &str, http: ::reqwest::Client, auth: crate::Auth) -> Self {
                Self::new_with_client(base_url, http, auth)
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use impl_product_client;
