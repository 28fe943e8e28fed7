//! OAuth 2.0 client credentials: `Authorization: Bearer <token>`, from `create-oauth2-token`,
//! valid for `expires_in` seconds and never refreshed by the server, so renewed by asking again
//! a margin before it expires. A token due for renewal is still served while the renewal runs
//! (and if it fails); the token it replaces simply expires.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use infobip_client::account::operations::CREATE_OAUTH2_TOKEN;
use infobip_client::account::types::{CreateOAuth2TokenRequest, GrantType};
use infobip_client::{BoxFuture, Operation};
use secrecy::{ExposeSecret, SecretString};
use tracing::Instrument;

use super::{Pause, SharedToken, TokenScheme, UserCredentials};
use crate::clock::{epoch_millis, later, millis};
use crate::error::AuthError;
use crate::login::{auth_span, server_token_header, Login};
use crate::retry;
use crate::token::{refresh_margin, Lifetime, Token};

const PREFIX: &str = "Bearer";

pub(crate) struct OAuth2 {
    pub(crate) credentials: UserCredentials,
    /// Replaces the default renewal margin.
    pub(crate) margin: Option<Duration>,
}

/// A 4xx other than 401 from the token endpoint: the request was refused as made.
fn bad_request(error: Box<infobip_client::InfobipError>) -> AuthError {
    AuthError::BadCredentials {
        scheme: infobip_client::Scheme::OAuth2,
        operation: &CREATE_OAUTH2_TOKEN,
        error,
    }
}

impl TokenScheme for OAuth2 {
    fn name(&self) -> &'static str {
        "oauth2"
    }

    fn login_operation(&self) -> &'static Operation {
        &CREATE_OAUTH2_TOKEN
    }

    fn fetch<'a>(
        &'a self,
        login: &'a Login,
        _replacing: Option<Arc<Token>>,
        _pause: Pause<'a>,
    ) -> BoxFuture<'a, Result<Arc<Token>, AuthError>> {
        Box::pin(async move {
            let operation = &CREATE_OAUTH2_TOKEN;
            let span = auth_span!("infobip_auth.token_fetch", operation, login.scheme);
            let attempt = || async {
                // Read before sending, so that network time shortens the token's life rather
                // than lengthening it.
                let sent_at = login.clock.now();
                let body = CreateOAuth2TokenRequest::new(
                    self.credentials.username.clone(),
                    infobip_client::Secret::new(
                        self.credentials.password().expose_secret().to_owned(),
                    ),
                    GrantType::ClientCredentials,
                );
                let response = login
                    .call(operation, None, bad_request, |client| {
                        Box::pin(
                            async move { client.create_oauth2_token().body(body).send().await },
                        )
                    })
                    .await?;
                let token = response.into_inner();
                // 0 or less reads as 0: usable by the callers waiting for this fetch, cached
                // for nobody.
                let life = Duration::from_secs(u64::try_from(token.expires_in).unwrap_or(0));
                let lifetime = Lifetime::Fixed {
                    refresh_at: later(sent_at, life - refresh_margin(life, self.margin)),
                    expires_at: later(sent_at, life),
                };
                let secret = token.access_token.expose();
                Ok(Token::new(
                    SecretString::from(secret),
                    server_token_header(operation, "access_token", PREFIX, secret)?,
                    sent_at,
                    lifetime,
                ))
            };
            // A second token is harmless: a request the server may have acted on is resent.
            retry::run(&login.retry, &login.clock, operation, true, attempt)
                .instrument(span)
                .await
                .map(Arc::new)
        })
    }

    fn token_from_entry(
        &self,
        entry: &SharedToken,
        ttl: Option<Duration>,
        now: Instant,
        wall: SystemTime,
    ) -> Option<(Token, bool)> {
        let (refresh_at, expires_at) = (entry.refresh_at_ms?, entry.expires_at_ms?);
        // The store's own expiry bounds it too: one clock for the fleet, whatever the hosts'
        // wall clocks say.
        let left = expires_at
            .saturating_sub(epoch_millis(wall))
            .min(ttl.map_or(u64::MAX, millis));
        if left == 0 {
            return None;
        }
        let margin = expires_at.saturating_sub(refresh_at);
        let after = |ms: u64| later(now, Duration::from_millis(ms));
        let lifetime = Lifetime::Fixed {
            refresh_at: after(left.saturating_sub(margin)),
            expires_at: after(left),
        };
        let token = entry.token(PREFIX, now, lifetime)?;
        Some((token, left > margin))
    }

    fn credentials(&self) -> &UserCredentials {
        &self.credentials
    }
}
