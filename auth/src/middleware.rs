//! Infobip auth as one layer of an existing `reqwest_middleware::ClientWithMiddleware`.

use http::Extensions;
use infobip_client::{BoxFuture, HAND_WRITTEN};
use reqwest_middleware::{Middleware, Next};

use crate::authenticator::Sender;
use crate::connection::{Infobip, SendError};

/// Adds a connection's credentials to the requests of a `reqwest_middleware` client that go
/// to the connection's origin, and retries such a request once after a 401 with a new token;
/// requests to any other host pass through untouched, so the layer can sit on a client shared
/// with other APIs. Made by [`Infobip::middleware`].
///
/// ```no_run
/// # async fn run(infobip: infobip_auth::Infobip) -> Result<(), Box<dyn std::error::Error>> {
/// let http = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(infobip.middleware())
///     .build();
/// let balance = http
///     .get("https://xxxxx.api.infobip.com/account/1/balance")
///     .send()
///     .await?;
/// # let _ = balance;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct InfobipMiddleware(Infobip);

impl Infobip {
    /// This connection's auth as a `reqwest_middleware` layer (feature `middleware`).
    pub fn middleware(&self) -> InfobipMiddleware {
        InfobipMiddleware(self.clone())
    }
}

/// The rest of the middleware chain, as the authenticator's 401 retry sends through it.
struct Chain<'a> {
    next: Next<'a>,
    extensions: tokio::sync::Mutex<&'a mut Extensions>,
}

impl Sender for Chain<'_> {
    type Error = reqwest_middleware::Error;

    fn send(
        &self,
        request: reqwest::Request,
    ) -> BoxFuture<'_, Result<reqwest::Response, reqwest_middleware::Error>> {
        Box::pin(async move {
            let mut extensions = self.extensions.lock().await;
            self.next.clone().run(request, &mut extensions).await
        })
    }

    fn from_reqwest(error: reqwest::Error) -> reqwest_middleware::Error {
        reqwest_middleware::Error::Reqwest(error)
    }
}

#[async_trait::async_trait]
impl Middleware for InfobipMiddleware {
    async fn handle(
        &self,
        mut request: reqwest::Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        if !self.0.owns(request.url()) {
            return next.run(request, extensions).await;
        }
        self.0
            .authorize(&mut request)
            .await
            .map_err(|failure| reqwest_middleware::Error::middleware(SendError::Auth(failure)))?;
        let chain = Chain {
            next,
            extensions: tokio::sync::Mutex::new(extensions),
        };
        self.0
            .authenticator()
            .dispatch(&HAND_WRITTEN, &chain, request, None)
            .await
    }
}
