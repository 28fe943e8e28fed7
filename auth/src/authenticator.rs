//! The `Authenticator` every product client built by this crate carries: the rules of each
//! operation (no credentials for the login calls, a local error for a scheme it does not
//! accept), the header, and the one retry after a 401.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use infobip_client::{Authenticator, BoxFuture, Call, Operation, PrepareError, Scheme};
use reqwest::header::{HeaderValue, AUTHORIZATION};
use reqwest::StatusCode;
use tracing::Instrument;

use crate::login::auth_span;
use crate::redact;
use crate::tokens::Tokens;
use crate::{AuthError, AuthFailure};

/// What the client authenticates with.
pub(crate) enum Credential {
    /// Basic and API key: one header, computed at build time.
    Static(HeaderValue),
    /// OAuth 2.0 and IBSSO: tokens obtained from Infobip and renewed.
    Renewing(Arc<Tokens>),
}

/// The authenticator behind every client built by [`ClientBuilder`](crate::ClientBuilder).
pub struct InfobipAuth {
    scheme: Scheme,
    credential: Credential,
}

impl fmt::Debug for InfobipAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("InfobipAuth");
        debug
            .field("scheme", &self.scheme)
            .field("credentials", &"[redacted]");
        if let Credential::Renewing(tokens) = &self.credential {
            debug
                .field("username", &tokens.source.user())
                .field("token_cached", &tokens.has_token())
                .field("shared_store", &tokens.store_key().is_some());
        }
        debug.finish()
    }
}

impl InfobipAuth {
    pub(crate) fn new(scheme: Scheme, credential: Credential) -> Self {
        Self { scheme, credential }
    }

    /// The configured scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The key of this client's entry in its shared token store, if it has one.
    #[doc(hidden)]
    pub fn store_key(&self) -> Option<&str> {
        match &self.credential {
            Credential::Renewing(tokens) => tokens.store_key(),
            Credential::Static(_) => None,
        }
    }

    /// Ends the session this client holds, if any (with a shared token store: the session
    /// the store holds, whichever process created it). A session the server already ended
    /// counts as ended. The next call that needs a session logs in again. A no-op for the
    /// schemes without anything to end.
    pub async fn logout(&self) -> Result<(), AuthError> {
        match &self.credential {
            Credential::Renewing(tokens) => tokens.logout().await,
            Credential::Static(_) => Ok(()),
        }
    }

    /// Ends the pause after a failed login, here and in a shared store.
    pub async fn clear_login_cooldown(&self) {
        if let Credential::Renewing(tokens) = &self.credential {
            tokens.clear_cooldown().await;
        }
    }

    fn fail(&self, operation: &'static Operation, error: AuthError) -> PrepareError {
        Box::new(AuthFailure::raise(operation, self.scheme, error))
    }

    /// The header for `operation`, or why there is none.
    fn check(&self, operation: &'static Operation) -> Result<(), AuthError> {
        if operation.accepts(self.scheme) {
            Ok(())
        } else {
            Err(AuthError::SchemeNotAccepted {
                operation,
                scheme: self.scheme,
            })
        }
    }

    /// Whether `operation` ends the token (destroy-session): it carries the current token,
    /// never a renewed one, and the token is forgotten once it has been sent.
    fn ends_token(&self, operation: &'static Operation) -> Option<&Arc<Tokens>> {
        match &self.credential {
            Credential::Renewing(tokens)
                if tokens
                    .source
                    .end_operation()
                    .is_some_and(|end| std::ptr::eq(end, operation)) =>
            {
                Some(tokens)
            }
            _ => None,
        }
    }

    async fn send_ending(
        &self,
        call: Call<'_>,
        tokens: &Tokens,
        request: reqwest::Request,
    ) -> reqwest::Result<reqwest::Response> {
        let used = request.headers().get(AUTHORIZATION).cloned();
        let response = call.transport.execute(request).await?;
        let status = response.status();
        if status.is_success() || status == StatusCode::UNAUTHORIZED {
            if let Some(used) = &used {
                tokens.ended(used);
            }
        }
        Ok(response)
    }

    async fn send_with_reauth(
        &self,
        call: Call<'_>,
        tokens: &Arc<Tokens>,
        request: reqwest::Request,
    ) -> reqwest::Result<reqwest::Response> {
        let used = request.headers().get(AUTHORIZATION).cloned();
        let retry = request.try_clone();
        let response = call.transport.execute(request).await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        // Boxed apart: the rare path's state would otherwise make every call's future larger.
        Box::pin(self.reauthenticate(call, tokens, retry, used, response)).await
    }

    /// The one retry after a 401: a new token, shared by every caller that saw the same one
    /// rejected, and the request sent once more.
    async fn reauthenticate(
        &self,
        call: Call<'_>,
        tokens: &Arc<Tokens>,
        retry: Option<reqwest::Request>,
        used: Option<HeaderValue>,
        response: reqwest::Response,
    ) -> reqwest::Result<reqwest::Response> {
        let operation = call.operation;
        let (Some(mut retry), Some(used)) = (retry, used) else {
            tracing::debug!(
                operation = operation.id,
                "401 not retried: the request body cannot be replayed"
            );
            return Ok(response);
        };
        let span = auth_span!("infobip_auth.retry_401", operation, self.scheme);
        let started = Instant::now();
        async {
            // Only the first caller that saw this token rejected drops it; the others find
            // the replacement (or the fetch in flight) and share it.
            tokens.rejected(&used).await;
            let span = tracing::Span::current();
            let result = match tokens.header().await {
                Ok(header) => {
                    retry.headers_mut().insert(AUTHORIZATION, header);
                    drop(response);
                    let retried = call.transport.execute(retry).await;
                    let outcome = match &retried {
                        Ok(r) if r.status().is_success() => "recovered",
                        Ok(_) => "retry failed",
                        Err(_) => "retry not sent",
                    };
                    span.record("outcome", outcome);
                    retried
                }
                Err(error) => {
                    span.record("outcome", "re-authentication failed");
                    tracing::warn!(error = %error, "could not re-authenticate after a 401; returning the 401");
                    Ok(response)
                }
            };
            span.record("duration_ms", started.elapsed().as_millis() as u64);
            result
        }
        .instrument(span)
        .await
    }
}

impl Authenticator for InfobipAuth {
    fn prepare<'a>(
        &'a self,
        call: Call<'a>,
        request: &'a mut reqwest::Request,
    ) -> BoxFuture<'a, Result<(), PrepareError>> {
        let operation = call.operation;
        // Login calls carry their credentials in the body; an Authorization header there
        // would at best be ignored.
        if operation.is_unauthenticated() {
            return Box::pin(std::future::ready(Ok(())));
        }
        if let Err(error) = self.check(operation) {
            return Box::pin(std::future::ready(Err(self.fail(operation, error))));
        }
        let tokens = match &self.credential {
            Credential::Static(header) => {
                request.headers_mut().insert(AUTHORIZATION, header.clone());
                return Box::pin(std::future::ready(Ok(())));
            }
            Credential::Renewing(tokens) => tokens,
        };
        if self.ends_token(operation).is_some() {
            let result = match tokens.current_header() {
                Some(header) => {
                    request.headers_mut().insert(AUTHORIZATION, header);
                    Ok(())
                }
                None => Err(self.fail(operation, AuthError::NoSession)),
            };
            return Box::pin(std::future::ready(result));
        }
        if let Some(header) = tokens.fresh_header() {
            request.headers_mut().insert(AUTHORIZATION, header);
            return Box::pin(std::future::ready(Ok(())));
        }
        Box::pin(async move {
            let header = tokens
                .header()
                .await
                .map_err(|error| self.fail(operation, error))?;
            request.headers_mut().insert(AUTHORIZATION, header);
            Ok(())
        })
    }

    fn send<'a>(
        &'a self,
        call: Call<'a>,
        request: reqwest::Request,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(async move {
            let sent = match (self.ends_token(call.operation), &self.credential) {
                (Some(tokens), _) => self.send_ending(call, tokens, request).await,
                // A 401 on a login call is an answer, not a stale token.
                (None, Credential::Renewing(tokens)) if !call.operation.is_unauthenticated() => {
                    self.send_with_reauth(call, tokens, request).await
                }
                _ => call.transport.execute(request).await,
            };
            // What the call hands back (an error, a response) must not show a secret.
            match sent {
                Ok(response) => redact::response(call.operation, response).await,
                Err(error) => Err(redact::error(error)),
            }
        })
    }
}
