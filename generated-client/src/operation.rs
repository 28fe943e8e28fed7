//! What the seam knows about each call: the operation, and the schemes Infobip has.

use std::fmt;

/// One of Infobip's four authentication schemes, named as in every product's
/// `components.securitySchemes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// `Basic`: `Authorization: Basic <base64 of username:password>`.
    Basic,
    /// `APIKeyHeader`: `Authorization: App <API key secret>`.
    ApiKeyHeader,
    /// `IBSSOTokenHeader`: `Authorization: IBSSO <session token>` from create-session.
    IbssoTokenHeader,
    /// `OAuth2`: `Authorization: Bearer <access token>` from create-oauth2-token.
    OAuth2,
}

impl Scheme {
    /// Every scheme.
    pub const ALL: &'static [Scheme] = &[
        Scheme::Basic,
        Scheme::ApiKeyHeader,
        Scheme::IbssoTokenHeader,
        Scheme::OAuth2,
    ];

    /// The scheme's name in the descriptions.
    pub const fn spec_name(self) -> &'static str {
        match self {
            Scheme::Basic => "Basic",
            Scheme::ApiKeyHeader => "APIKeyHeader",
            Scheme::IbssoTokenHeader => "IBSSOTokenHeader",
            Scheme::OAuth2 => "OAuth2",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.spec_name())
    }
}

/// An operation of one product, as its description declares it: generated into each product's
/// `operations` module (`account::operations::GET_ACCOUNT_BALANCE`) and handed to the
/// [`Authenticator`](crate::Authenticator) with every call.
///
/// An operation is identified by its product and operationId together: progenitor's method
/// names (and operationIds) are only unique within a product.
#[non_exhaustive]
pub struct Operation {
    /// The product, named after its description in `spec/` (`account`, `sms`).
    pub product: &'static str,
    /// The operationId, as in the description (`send-sms-messages`).
    pub id: &'static str,
    /// The client method (the operationId in snake case), which progenitor passes to the hooks.
    pub method_name: &'static str,
    /// The HTTP method, upper case.
    pub http_method: &'static str,
    /// The path template.
    pub path: &'static str,
    /// The schemes the operation accepts, in the description's order; empty when it takes no
    /// authentication (the login calls).
    pub schemes: &'static [Scheme],
    /// The API scopes any one of which allows the call (Infobip's `x-scopes`); empty when the
    /// description lists none.
    pub scopes: &'static [&'static str],
    /// Whether sending the operation again after a failure cannot do anything twice: a read
    /// (`GET`, `HEAD`), unless it hands each item out once (delivery reports, inbound
    /// messages: a second read would not see what the first one took). Only such operations
    /// are retried by default.
    pub repeatable: bool,
    /// For an operation whose success body holds secrets (an API key's secret, a token):
    /// whether a body parses as that success type. A body that does not is one progenitor's
    /// error would print whole, so the authenticator takes the secrets out of it first.
    pub reads_secrets: Option<fn(&[u8]) -> bool>,
}

impl PartialEq for Operation {
    /// The same product and operationId: the same operation.
    fn eq(&self, other: &Self) -> bool {
        self.product == other.product && self.id == other.id
    }
}

impl Eq for Operation {}

impl std::hash::Hash for Operation {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.product.hash(state);
        self.id.hash(state);
    }
}

impl fmt::Debug for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Operation")
            .field("product", &self.product)
            .field("id", &self.id)
            .field("http_method", &self.http_method)
            .field("path", &self.path)
            .field("schemes", &self.schemes)
            .field("scopes", &self.scopes)
            .field("repeatable", &self.repeatable)
            .field("reads_secrets", &self.reads_secrets.is_some())
            .finish()
    }
}

impl Operation {
    /// Whether the operation accepts `scheme`.
    pub fn accepts(&self, scheme: Scheme) -> bool {
        self.schemes.contains(&scheme)
    }

    /// Whether the operation is sent without credentials (create-session, the token call).
    pub fn is_unauthenticated(&self) -> bool {
        self.schemes.is_empty()
    }
}

impl fmt::Display for Operation {
    /// The operationId: what Infobip's documentation and error messages call it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id)
    }
}
