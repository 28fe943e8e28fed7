//! The events a product posts to its users' endpoints (OpenAPI 3.1's top-level `webhooks`),
//! kept as `x-webhooks`: each kind's name and the schema of its JSON payload, which the
//! generated client turns into a type and a marker the receiver takes.
//!
//! The written form, after the paths:
//!
//! ```yaml
//! x-webhooks:
//!   receive-outbound-sms-message-report-v3:
//!     payload:
//!       $ref: '#/components/schemas/DeliveryReports'
//! ```
//!
//! Only the JSON payload is kept: Infobip offers some events in XML or form encoding too,
//! at the subscriber's choice, and the receiver reads JSON.

use std::collections::BTreeSet;

use heck::ToUpperCamelCase;
use serde_yaml::{Mapping, Value};

use super::doc::{self, ComponentRef};
use super::report::Change;
use super::{Log, Owner};

/// Where the written description lists its webhooks.
pub const WEBHOOKS_KEY: &str = "x-webhooks";

/// One kind of event, as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hook {
    /// Its name: the webhook's operationId when it has a usable one, else its key.
    pub(crate) name: String,
    /// The payload's schema key in the document (before renaming).
    pub(crate) payload: String,
}

impl Hook {
    /// The payload as a root for [`doc::reach`].
    pub(crate) fn root(&self) -> Value {
        doc::mapping([(
            "$ref",
            Value::String(ComponentRef::schema(&self.payload).reference()),
        )])
    }
}

/// A webhook the import could not keep, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedWebhook {
    /// Its name (operationId or key).
    pub name: String,
    /// Why it was left out.
    pub reason: String,
}

/// Takes the document's `webhooks` out of it: each kind with a JSON payload becomes a
/// [`Hook`] whose payload is a component schema (inline payloads are moved into
/// `components.schemas` as `<Name>Payload`, so that the generated type has a name); the
/// others are returned as skipped.
pub(crate) fn take(doc: &mut Value, log: &mut Log) -> (Vec<Hook>, Vec<SkippedWebhook>) {
    let Some(Value::Mapping(webhooks)) = doc
        .as_mapping_mut()
        .and_then(|root| root.remove("webhooks"))
    else {
        return (Vec::new(), Vec::new());
    };
    let mut taken: BTreeSet<String> = doc
        .get("components")
        .and_then(|c| c.get("schemas"))
        .map(doc::keys)
        .unwrap_or_default()
        .into_iter()
        .collect();
    let mut names = BTreeSet::new();
    let mut hooks = Vec::new();
    let mut skipped = Vec::new();
    for (key, item) in &webhooks {
        let key = key.as_str().unwrap_or_default();
        let Some(post) = item.get("post") else {
            skipped.push(skip(key, "no POST operation (Infobip posts every event)"));
            continue;
        };
        let name = post
            .get("operationId")
            .and_then(Value::as_str)
            .filter(|id| super::is_kebab(id) && !names.contains(*id))
            .unwrap_or(key)
            .to_owned();
        if !super::is_kebab(&name) || !names.insert(name.clone()) {
            skipped.push(skip(
                key,
                "its name is not lowercase words joined by `-`, or taken",
            ));
            continue;
        }
        let content = post
            .get("requestBody")
            .and_then(|body| body.get("content"))
            .and_then(Value::as_mapping);
        for media in content.into_iter().flat_map(Mapping::keys) {
            if let Some(media) = media.as_str().filter(|m| *m != "application/json") {
                log.changes.push((
                    Owner::Document,
                    Change::WebhookMediaDropped(media.to_owned()),
                ));
            }
        }
        let Some(schema) = content
            .and_then(|c| c.get("application/json"))
            .and_then(|json| json.get("schema"))
        else {
            skipped.push(skip(&name, "no JSON payload (the receiver reads JSON)"));
            continue;
        };
        let payload = match schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(ComponentRef::parse)
        {
            Some(target) if target.kind == "schemas" && target.get(doc).is_some() => target.name,
            Some(_) => {
                skipped.push(skip(
                    &name,
                    "its payload's $ref does not resolve to a schema",
                ));
                continue;
            }
            None => {
                let base = format!("{}Payload", name.to_upper_camel_case());
                let Some(payload) = (1..)
                    .map(|n| match n {
                        1 => base.clone(),
                        n => format!("{base}{n}"),
                    })
                    .find(|candidate| !taken.contains(candidate))
                else {
                    continue;
                };
                let Some(schemas) = schemas_mut(doc) else {
                    continue;
                };
                schemas.insert(Value::String(payload.clone()), schema.clone());
                taken.insert(payload.clone());
                log.changes
                    .push((Owner::Document, Change::WebhookPayloadNamed));
                payload
            }
        };
        hooks.push(Hook { name, payload });
    }
    (hooks, skipped)
}

fn skip(name: &str, reason: &str) -> SkippedWebhook {
    SkippedWebhook {
        name: name.to_owned(),
        reason: reason.to_owned(),
    }
}

/// `components.schemas`, created when missing.
fn schemas_mut(doc: &mut Value) -> Option<&mut Mapping> {
    let root = doc.as_mapping_mut()?;
    let components = root
        .entry(Value::from("components"))
        .or_insert_with(|| Value::Mapping(Mapping::new()))
        .as_mapping_mut()?;
    components
        .entry(Value::from("schemas"))
        .or_insert_with(|| Value::Mapping(Mapping::new()))
        .as_mapping_mut()
}

/// The written `x-webhooks`: each kept kind's payload, by its original key (renamed with the
/// rest of the document's references afterwards).
pub(crate) fn written(hooks: &[Hook]) -> Option<Value> {
    if hooks.is_empty() {
        return None;
    }
    let map: Mapping = hooks
        .iter()
        .map(|hook| {
            (
                Value::String(hook.name.clone()),
                doc::mapping([("payload", hook.root())]),
            )
        })
        .collect();
    Some(Value::Mapping(map))
}
