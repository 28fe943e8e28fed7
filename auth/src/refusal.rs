//! A 403 for a missing API scope, told in terms of the operation that was called: which
//! scopes would allow it (from its description's `x-scopes`) and whose credentials lack them.

use std::fmt;

use infobip_client::{Error, Operation, Scheme};

use crate::{InfobipError, IntoInfobipError};

/// Infobip refused a call for want of an API scope. Progenitor's error does not record which
/// operation was called, so [`ScopeRefusal::of`] (or [`Infobip::scope_refusal`](crate::Infobip::scope_refusal),
/// which also knows the scheme) is given it.
///
/// ```no_run
/// # async fn run(infobip: infobip_auth::Infobip, request: infobip_client::sms::types::SmsRequestEnvelope) {
/// use infobip_client::Products as _;
/// use infobip_client::sms::operations::SEND_SMS_MESSAGES;
///
/// if let Err(e) = infobip.sms().send_sms_messages().body(request).send().await {
///     match infobip.scope_refusal(&e, &SEND_SMS_MESSAGES) {
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
    /// The refusal inside `error`, a failed call of `operation`: `None` unless Infobip answered
    /// 403 (in either of its error formats).
    pub fn of<E: IntoInfobipError>(
        error: &Error<E>,
        operation: &'static Operation,
        scheme: Option<Scheme>,
    ) -> Option<Self> {
        let infobip = InfobipError::from_client_error(error)?;
        // A 403 in the format the operation declares carries its status; one in the other
        // format (Infobip's auth layer answers before the endpoint, in either) arrives unread,
        // without a status, and is known by its code.
        let refused = match infobip.status {
            Some(status) => status == 403,
            None => infobip.code == "E403",
        };
        refused.then_some(Self {
            operation,
            scheme,
            infobip,
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

impl crate::Infobip {
    /// The refusal inside `error`, a failed call of `operation` made through this connection:
    /// `None` unless Infobip answered 403. See [`ScopeRefusal`].
    pub fn scope_refusal<E: IntoInfobipError>(
        &self,
        error: &Error<E>,
        operation: &'static Operation,
    ) -> Option<ScopeRefusal> {
        ScopeRefusal::of(error, operation, Some(self.scheme()))
    }
}
