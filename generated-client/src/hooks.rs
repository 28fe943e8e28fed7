//! The seam between the generated client and whoever supplies credentials.
//!
//! The `impl ClientHooks for Client` has to live in the crate that compiles the generated
//! `Client` (orphan rule), so it lives here and forwards every call to a trait object that
//! other crates can implement.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};

use crate::security::Operation;
use crate::{Client, Error};

/// A boxed, sendable future, as the dyn-compatible [`Authenticator`] methods return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Decides how each request of a [`Client`] is authenticated and sent.
///
/// Every generated operation calls [`prepare`](Self::prepare) after building its request and
/// then [`send`](Self::send) to transmit it. Implementations can call operations of the same
/// client from inside these methods (to fetch a token, say); such calls pass through the
/// authenticator too and need one `Box::pin` (async recursion).
pub trait Authenticator: Any + fmt::Debug + Send + Sync {
    /// Adds credentials to `request`. An error aborts the call before anything is sent; the
    /// caller receives it as [`Error::Custom`] carrying the error's `Display` text.
    fn prepare<'a>(
        &'a self,
        client: &'a Client,
        operation: Operation,
        request: &'a mut reqwest::Request,
    ) -> BoxFuture<'a, Result<(), Box<dyn std::error::Error + Send + Sync>>>;

    /// Sends a prepared request. The default sends it once; an implementation may retry (for
    /// example after a 401) as long as it returns a single response.
    fn send<'a>(
        &'a self,
        client: &'a Client,
        operation: Operation,
        request: reqwest::Request,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        let _ = operation;
        Box::pin(client.client().execute(request))
    }
}

/// The authenticator a [`Client`] carries: cheap to clone, shared by every clone of the client.
#[derive(Clone)]
pub struct Auth(Arc<dyn Authenticator>);

impl Auth {
    /// Wraps an authenticator.
    pub fn new(authenticator: impl Authenticator) -> Self {
        Self(Arc::new(authenticator))
    }

    /// An authenticator that adds nothing: only the unauthenticated operations (create-session,
    /// create-oauth2-token) can succeed. Meant for tests and for tools that only log in.
    pub fn none() -> Self {
        Self::new(NoAuth)
    }

    /// The authenticator, if it is of type `T`.
    pub fn downcast_ref<T: Authenticator>(&self) -> Option<&T> {
        let any: &dyn Any = &*self.0;
        any.downcast_ref()
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Delegates, so that redaction is the authenticator's job and cannot be bypassed here.
        fmt::Debug::fmt(&*self.0, f)
    }
}

#[derive(Debug)]
struct NoAuth;

impl Authenticator for NoAuth {
    fn prepare<'a>(
        &'a self,
        _client: &'a Client,
        _operation: Operation,
        _request: &'a mut reqwest::Request,
    ) -> BoxFuture<'a, Result<(), Box<dyn std::error::Error + Send + Sync>>> {
        Box::pin(async { Ok(()) })
    }
}

fn operation(info: &OperationInfo) -> Option<Operation> {
    Operation::from_method_name(info.operation_id)
}

impl ClientHooks<Auth> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        let Some(operation) = operation(info) else {
            // Only reachable if codegen's table and progenitor disagree on a method name.
            return Err(Error::Custom(format!(
                "operation `{}` is missing from the security table; run `cargo xtask regen`",
                info.operation_id
            )));
        };
        self.inner
            .0
            .prepare(self, operation, request)
            .await
            .map_err(|e| Error::Custom(e.to_string()))
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        match operation(info) {
            Some(operation) => self.inner.0.send(self, operation, request).await,
            None => self.client().execute(request).await,
        }
    }
}
