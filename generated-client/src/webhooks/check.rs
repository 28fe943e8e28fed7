//! Credential checks: Basic, compared in constant time, and [`Check`] for any other scheme.

use std::borrow::Cow;
use std::fmt;

use axum::http::{header, HeaderMap};
use base64::Engine as _;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Why a [`Check`] refused a delivery. The receiver answers 401 and logs the reason (never
/// the request's headers or body); the caller learns nothing but the 401.
///
/// Never put a presented or an expected secret in the reason.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the webhook's credentials were refused: {reason}; check the subscription's security settings at Infobip against the receiver's")]
pub struct Refused {
    reason: Cow<'static, str>,
}

impl Refused {
    /// A refusal for `reason` (`"no signature header"`, `"signature does not match"`).
    pub fn new(reason: impl Into<Cow<'static, str>>) -> Self {
        Self {
            reason: reason.into(),
        }
    }

    /// The reason given to [`new`](Self::new).
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// A check of a delivery's credentials, run before its body is decoded.
///
/// It gets the request's headers and its raw body (up to the receiver's body limit), so that
/// a signature over the exact bytes Infobip sent (an HMAC) can be verified. Infobip does not
/// publish the signed form of its HMAC scheme; write the check that matches your
/// subscription's settings. Compare secrets and signatures in constant time.
///
/// Closures `Fn(&HeaderMap, &[u8]) -> Result<(), Refused>` are checks:
///
/// ```
/// use infobip_client::webhooks::{Check, HeaderMap, Refused};
///
/// // A stand-in for an HMAC: a real check computes HMAC-SHA256(key, body) with the `hmac`
/// // crate and compares it in constant time with `subtle`.
/// fn sign(key: &[u8], body: &[u8]) -> String {
///     let sum = key.iter().chain(body).fold(0u32, |s, &b| s.wrapping_mul(31).wrapping_add(b.into()));
///     format!("{sum:08x}")
/// }
///
/// let key = b"shared-key".to_vec();
/// // The parameters' types are written out, so that the closure takes any lifetimes.
/// let signed = move |headers: &HeaderMap, body: &[u8]| -> Result<(), Refused> {
///     let presented = headers
///         .get("x-signature")
///         .ok_or_else(|| Refused::new("no X-Signature header"))?;
///     if presented.as_bytes() == sign(&key, body).as_bytes() {
///         Ok(())
///     } else {
///         Err(Refused::new("X-Signature does not match the body"))
///     }
/// };
///
/// let mut headers = HeaderMap::new();
/// assert!(signed.check(&headers, b"{}").is_err());
/// headers.insert("x-signature", sign(b"shared-key", b"{}").parse().unwrap());
/// assert!(signed.check(&headers, b"{}").is_ok());
/// ```
pub trait Check: Send + Sync + 'static {
    /// `Ok` if the delivery's credentials are right.
    fn check(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), Refused>;
}

impl<F> Check for F
where
    F: Fn(&HeaderMap, &[u8]) -> Result<(), Refused> + Send + Sync + 'static,
{
    fn check(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), Refused> {
        self(headers, body)
    }
}

/// HTTP Basic credentials, as Infobip's subscription security settings send them.
///
/// Only the SHA-256 digest of `user:password` is kept (zeroized on drop). A presented
/// `Authorization: Basic` header is decoded and digested the same way, and the two digests are
/// compared with [`subtle::ConstantTimeEq`]: neither the length of the password nor the
/// position of the first difference changes the time the comparison takes.
pub(crate) struct Basic {
    user: String,
    digest: SecretBox<[u8; 32]>,
}

impl fmt::Debug for Basic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Basic")
            .field("user", &self.user)
            .field("password", &"[redacted]")
            .finish()
    }
}

impl Basic {
    pub(crate) fn new(user: String, password: &SecretString) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(user.as_bytes());
        hasher.update(b":");
        hasher.update(password.expose_secret().as_bytes());
        let digest = SecretBox::new(Box::new(hasher.finalize().into()));
        Self { user, digest }
    }

    pub(crate) fn check(&self, headers: &HeaderMap) -> Result<(), Refused> {
        let mut values = headers.get_all(header::AUTHORIZATION).iter();
        let value = values
            .next()
            .ok_or_else(|| Refused::new("no Authorization header"))?;
        // Which of several a proxy on the way checked, or logged, is anyone's guess.
        if values.next().is_some() {
            return Err(Refused::new("more than one Authorization header"));
        }
        let value = value
            .to_str()
            .map_err(|_| Refused::new("the Authorization header is not text"))?;
        let (scheme, encoded) = value
            .trim()
            .split_once(' ')
            .ok_or_else(|| Refused::new("the Authorization header is not Basic"))?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return Err(Refused::new("the Authorization header is not Basic"));
        }
        let decoded = secrecy::SecretBox::new(Box::new(
            base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .map_err(|_| Refused::new("the Basic credentials are not base64"))?,
        ));
        let presented: [u8; 32] = Sha256::digest(decoded.expose_secret()).into();
        if bool::from(presented.ct_eq(self.digest.expose_secret())) {
            Ok(())
        } else {
            Err(Refused::new("wrong Basic user or password"))
        }
    }
}
