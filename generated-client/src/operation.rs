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
#[derive(Debug, PartialEq, Eq, Hash)]
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
