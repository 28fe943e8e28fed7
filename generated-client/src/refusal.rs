//! A 403 for a missing API scope, told in terms of the operation that was called: which
//! scopes would allow it (from its description's `x-scopes`) and whose credentials lack them.

use std::fmt;

use crate::{Error, InfobipError, Operation, Scheme};

/// Infobip refused a call for want of an API scope: [`ScopeRefusal::of`] (or
/// `infobip_auth::Infobip::scope_refusal`, which knows the scheme) reads it from a failed call.
///
/// ```no_run
/// # #[cfg(feature = "sms")]
/// # async fn run(sms: infobip_client::sms::Client, request: infobip_client::sms::types::SmsRequestEnvelope) {
/// use infobip_client::{ScopeRefusal, Scheme};
///
/// if let Err(e) = sms.send_sms_messages().body(request).send().await {
///     match ScopeRefusal::of(&e, Some(Scheme::ApiKeyHeader)) {
///         // "`send-sms-messages` needs one of message:send, sms:message:send, sms:manage; the API key in use lacks them"
///         Some(refusal) => eprintln!("{refusal}"),
///         None => eprintln!("{e}"),
///     }
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ScopeRefusal {
    /// The operation that was refused.
    pub operation: &'static Operation,
    /// The scheme of the credentials that lack the scope, when known.
    pub scheme: Option<Scheme>,
    /// Infobip's answer.
    pub infobip: InfobipError,
}

impl ScopeRefusal {
    /// The refusal inside `error`, a failed call: `None` unless Infobip answered 403.
    /// `scheme` is that of the credentials used, when known.
    pub fn of(error: &Error, scheme: Option<Scheme>) -> Option<Self> {
        let infobip = error.infobip().filter(|i| i.status == Some(403))?;
        Some(Self {
            operation: error.operation(),
            scheme,
            infobip: infobip.clone(),
        })
    }

    /// The API scopes any one of which allows the operation.
    pub fn scopes(&self) -> &'static [&'static str] {
        self.operation.scopes
    }
}

impl fmt::Display for ScopeRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whose = match self.scheme {
            Some(Scheme::ApiKeyHeader) => "the API key in use lacks them",
            Some(_) => "the user's roles lack them",
            None => "the credentials in use lack them",
        };
        match self.operation.scopes {
            [] => write!(f, "`{}` was refused ({})", self.operation, self.infobip),
            scopes => write!(
                f,
                "`{}` needs one of {}; {whose} ({})",
                self.operation,
                scopes.join(", "),
                self.infobip
            ),
        }
    }
}

impl std::error::Error for ScopeRefusal {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.infobip)
    }
}
