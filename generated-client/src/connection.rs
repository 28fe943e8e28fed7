//! What a product client is made from, so that one connection can hand out the client of any
//! product it has: the base URL, the HTTP client (one connection pool) and the authenticator
//! (one token cache) they all share.

use crate::{Auth, Operation, Scheme};

/// A product's generated `Client`, made from the parts a connection shares.
pub trait ProductClient: Sized {
    /// The product's name (its description's file name in `spec/`).
    const PRODUCT: &'static str;

    /// A client that sends to `base_url` through `http`, authenticated by `auth`.
    fn from_parts(base_url: &str, http: reqwest::Client, auth: Auth) -> Self;
}

/// A configured connection to Infobip: every product client taken from it shares its base
/// URL, HTTP client and authenticator. [`Products`](crate::Products) adds one method per
/// product compiled in (`connection.sms()`).
pub trait Connection {
    /// The base URL, e.g. `https://xxxxx.api.infobip.com`.
    fn base_url(&self) -> &str;

    /// The HTTP client every product client shares.
    fn http(&self) -> &reqwest::Client;

    /// The authenticator every product client shares.
    fn auth(&self) -> &Auth;

    /// The client of product `C`.
    fn product<C: ProductClient>(&self) -> C {
        C::from_parts(self.base_url(), self.http().clone(), self.auth().clone())
    }
}

/// The operation a request written by hand stands for when it is authenticated outside the
/// generated clients: it accepts every scheme and names no scopes.
pub static HAND_WRITTEN: Operation = Operation {
    product: "any",
    id: "hand-written-request",
    method_name: "hand_written_request",
    http_method: "ANY",
    path: "/",
    schemes: Scheme::ALL,
    scopes: &[],
    // Nothing is known of what a request written by hand does.
    repeatable: false,
    reads_secrets: None,
};
