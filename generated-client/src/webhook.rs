//! What a product's webhooks are: one marker type per kind of event Infobip posts to a
//! service, generated into each product's `webhooks` module from the `x-webhooks` of its
//! description.

use serde::de::DeserializeOwned;

/// One kind of event Infobip posts to an endpoint of the service (a delivery report, an
/// inbound message, a tracking event), as the product's description declares it.
///
/// Each product's `webhooks` module holds a unit struct per kind
/// (`sms::webhooks::OutboundSmsMessageReportV3`); the receiver (feature `webhooks`) takes one
/// to know what to decode and what to call the events in its logs and its duplicate store.
pub trait Webhook: Copy + Send + Sync + 'static {
    /// What Infobip posts, decoded from the JSON body.
    type Payload: DeserializeOwned + Send + 'static;

    /// The product, as its feature and module are named (`sms`, `two-factor`).
    const PRODUCT: &'static str;

    /// The kind's name in the product's description (`receive-outbound-sms-message-report-v3`).
    const NAME: &'static str;
}
