//! IBSSO sessions: `Authorization: IBSSO <token>`, from `create-session`, alive until 60
//! minutes (by default) pass without a use, ended by `destroy-session`.
//!
//! Infobip wants a live session destroyed before the same user gets a new one, so a renewal
//! destroys the session it replaces first, and a session due for renewal is never served
//! while the renewal runs. A create that may have reached the server is not resent: it may
//! have left a session behind.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use infobip_client::account::operations::{CREATE_SESSION, DESTROY_SESSION};
use infobip_client::account::types::CreateSessionRequest;
use infobip_client::{BoxFuture, InfobipError, Operation};
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use tracing::Instrument;

use super::{KeepAlive, Pause, SharedToken, TokenScheme, UserCredentials};
use crate::error::{AuthError, Cause};
use crate::login::{auth_span, server_token_header, Login};
use crate::retry::{self, Failure};
use crate::token::{Lifetime, Token};

const PREFIX: &str = "IBSSO";

pub(crate) struct Ibsso {
    pub(crate) credentials: UserCredentials,
    /// How long a session lives without use.
    pub(crate) idle: Duration,
    /// How long before it idles out it is replaced.
    pub(crate) margin: Duration,
    /// Created with `unsafe: true`: not bound to the caller's IP address.
    pub(crate) unsafe_session: bool,
}

impl Ibsso {
    fn lifetime(&self) -> Lifetime {
        Lifetime::Idle {
            idle: self.idle,
            margin: self.margin,
            last_use: AtomicU64::new(0),
        }
    }
}

/// A create-session refused for a reason other than bad credentials: usually a session this
/// client does not hold.
fn refused(error: Box<InfobipError>) -> AuthError {
    AuthError::SessionRefused { error }
}

/// Ends the session whose header is given; a 401 means it had already ended.
pub(crate) async fn destroy(login: &Login, header: HeaderValue) -> Result<(), AuthError> {
    let operation = &DESTROY_SESSION;
    let span = auth_span!("infobip_auth.session_destroy", operation, login.scheme);
    let started = std::time::Instant::now();
    let result = login
        .call(operation, Some(header), refused, |client| {
            Box::pin(async move { client.destroy_session().send().await })
        })
        .instrument(span.clone())
        .await;
    let outcome = match result {
        Ok(_) => Ok("destroyed"),
        Err(Failure::Final(AuthError::BadCredentials { .. })) => Ok("already ended"),
        Err(Failure::Final(error)) => Err(AuthError::Logout {
            cause: Cause::Other(error.to_string()),
        }),
        Err(Failure::Transient { cause, .. }) => Err(AuthError::Logout { cause }),
    };
    span.record("duration_ms", crate::clock::millis(started.elapsed()));
    span.record("attempts", 1);
    span.record("outcome", outcome.as_ref().map_or("error", |what| *what));
    match &outcome {
        Ok(what) => tracing::info!(parent: &span, outcome = *what, "session ended"),
        Err(error) => tracing::warn!(parent: &span, error = %error, "session destroy failed"),
    }
    outcome.map(|_| ())
}

impl TokenScheme for Ibsso {
    fn name(&self) -> &'static str {
        "ibsso"
    }

    fn login_operation(&self) -> &'static Operation {
        &CREATE_SESSION
    }

    fn end_operation(&self) -> Option<&'static Operation> {
        Some(&DESTROY_SESSION)
    }

    fn fetch<'a>(
        &'a self,
        login: &'a Login,
        replacing: Option<Arc<Token>>,
        _pause: Pause<'a>,
    ) -> BoxFuture<'a, Result<Arc<Token>, AuthError>> {
        Box::pin(async move {
            if let Some(previous) = replacing {
                // Ours may still be alive server-side (our expiry keeps a margin); a 401 means it
                // was not.
                if let Err(error) = destroy(login, previous.header.clone()).await {
                    tracing::warn!(error = %error, "could not destroy the previous session; logging in anyway");
                }
            }
            let operation = &CREATE_SESSION;
            let span = auth_span!("infobip_auth.session_create", operation, login.scheme);
            let attempt = || async {
                let sent_at = login.clock.now();
                let mut body = CreateSessionRequest::new(
                    infobip_client::Secret::new(
                        self.credentials.password().expose_secret().to_owned(),
                    ),
                    self.credentials.username.clone(),
                );
                body.unsafe_ = self.unsafe_session.then_some(true);
                let response = login
                    .call(operation, None, refused, |client| {
                        Box::pin(async move { client.create_session().body(body).send().await })
                    })
                    .await?;
                let token = response.into_inner().token;
                Ok(Token::new(
                    SecretString::from(token.expose()),
                    server_token_header(operation, "token", PREFIX, token.expose())?,
                    sent_at,
                    self.lifetime(),
                ))
            };
            retry::run(&login.retry, &login.clock, operation, false, attempt)
                .instrument(span)
                .await
                .map(Arc::new)
        })
    }

    fn end<'a>(
        &'a self,
        login: &'a Login,
        token: &'a Token,
    ) -> BoxFuture<'a, Result<(), AuthError>> {
        Box::pin(destroy(login, token.header.clone()))
    }

    fn token_from_entry(
        &self,
        entry: &SharedToken,
        ttl: Option<Duration>,
        now: Instant,
        _wall: SystemTime,
    ) -> Option<(Token, bool)> {
        // A store that does not report expiry (the trait allows it): taken as just used; if
        // it has idled out after all, the first call's 401 replaces it.
        let left = ttl.unwrap_or(self.idle).min(self.idle);
        if left.is_zero() {
            return None;
        }
        // As if last used `idle - left` ago, which is what the store's expiry says.
        let obtained_at = now
            .checked_sub(self.idle.saturating_sub(left))
            .unwrap_or(now);
        let token = entry.token(PREFIX, obtained_at, self.lifetime())?;
        Some((token, left > self.margin))
    }

    fn credentials(&self) -> &UserCredentials {
        &self.credentials
    }

    fn keep_alive(&self) -> Option<KeepAlive> {
        // A twelfth of the idle timeout (5 minutes of 60), and more often than half the
        // renewal margin: the store's idle clock never lags far enough behind the fleet's
        // last use to make another process think the session is due for replacement.
        // At least a second apart, whatever the margin: a margin of zero must not make every
        // call restart the stored expiry.
        Some(KeepAlive {
            every: (self.idle / 12)
                .min(self.margin / 2)
                .max(Duration::from_secs(1)),
            ttl: self.idle,
        })
    }
}
