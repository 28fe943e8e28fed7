//! The SMS endpoints: send, delivery reports and logs. Authentication, scopes, throttling and
//! error bodies come from the sandbox's HTTP kit (`crate::http`); faults and the request log
//! from its middleware (`crate::routes`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};

use super::bodies::GeneralStatus;
use super::store::{Filter, LogPosition, LogQuery};
use super::validate;
use crate::errors::Failure;
use crate::http::{guard, respond, single_value, AppState, Peer};
use crate::model::Endpoint;
use crate::state::Shared;

/// `limit` when the call gives none, and the most one call is served.
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 1000;
/// The longest comma-separated list the logs' array parameters take (Infobip's prose).
const MAX_LIST_CHARS: usize = 2048;

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/sms/3/messages", post(send))
        .route("/sms/3/reports", get(reports))
        .route("/sms/3/logs", get(logs))
}

async fn send(
    State(shared): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let endpoint = Endpoint::SendSmsMessages;
    let result = guard(&shared, endpoint, &headers, peer).and_then(|principal| {
        let now = shared.wall();
        let request = validate::parse_send(&body, now)?;
        let answer = shared
            .sms
            .accept(&principal.account.account_id, request, now, &shared.config);
        // Counts and ids only: a text can be a one-time code.
        tracing::info!(
            messages = answer.messages.len(),
            bulk_id = answer.bulk_id.as_deref().unwrap_or("none"),
            "SMS messages accepted"
        );
        Ok(Json(answer))
    });
    respond(endpoint, result)
}

async fn reports(
    State(shared): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let endpoint = Endpoint::GetOutboundSmsMessageDeliveryReportsV3;
    let result = guard(&shared, endpoint, &headers, peer).and_then(|principal| {
        let params = Params::parse(uri.query())?;
        let filter = Filter {
            bulk_ids: params.one("bulkId")?.into_iter().collect(),
            message_ids: params.one("messageId")?.into_iter().collect(),
            campaign_reference_ids: params.one("campaignReferenceId")?.into_iter().collect(),
            entity_id: params.one("entityId")?,
            application_id: params.one("applicationId")?,
            limit: params.limit()?,
            ..Filter::default()
        };
        let account = &principal.account.account_id;
        Ok(Json(shared.sms.take_reports(
            account,
            &filter,
            shared.wall(),
        )))
    });
    respond(endpoint, result)
}

async fn logs(
    State(shared): AppState,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let endpoint = Endpoint::GetOutboundSmsMessageLogsV3;
    let result = guard(&shared, endpoint, &headers, peer).and_then(|principal| {
        let query = log_query(&Params::parse(uri.query())?)?;
        let account = &principal.account.account_id;
        Ok(Json(shared.sms.logs(account, &query, shared.wall())))
    });
    respond(endpoint, result)
}

fn log_query(params: &Params) -> Result<LogQuery, Failure> {
    let mcc = params.one("mcc")?;
    if params.one("mnc")?.is_some() && mcc.is_none() {
        return Err(Failure::invalid("mnc", "needs `mcc` as well"));
    }
    let general_status = params
        .one("generalStatus")?
        .map(|value| {
            GeneralStatus::parse(&value).ok_or_else(|| {
                Failure::invalid(
                    "generalStatus",
                    "must be one of ACCEPTED, PENDING, UNDELIVERABLE, DELIVERED, EXPIRED, REJECTED",
                )
            })
        })
        .transpose()?;
    let use_cursor = params.flag("useCursor")?;
    let after = params
        .one("cursor")?
        .map(|cursor| {
            if !use_cursor {
                return Err(Failure::invalid("cursor", "needs `useCursor=true`"));
            }
            LogPosition::decode(&cursor)
                .ok_or_else(|| Failure::invalid("cursor", "is not a cursor this sandbox issued"))
        })
        .transpose()?;
    Ok(LogQuery {
        filter: Filter {
            bulk_ids: params.list("bulkId")?,
            message_ids: params.list("messageId")?,
            campaign_reference_ids: params.list("campaignReferenceId")?,
            entity_id: params.one("entityId")?,
            application_id: params.one("applicationId")?,
            sender: params.one("sender")?,
            destination: params.one("destination")?,
            general_status,
            sent_since: params.date("sentSince")?,
            sent_until: params.date("sentUntil")?,
            mcc,
            limit: params.limit()?,
        },
        use_cursor,
        after,
    })
}

/// A query string's pairs in order, repeated keys kept (axum's `Query` into a map keeps one).
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(query: Option<&str>) -> Result<Self, Failure> {
        serde_urlencoded::from_str(query.unwrap_or_default())
            .map(Params)
            .map_err(|_| Failure::bad_request("The query string is not valid"))
    }

    /// A scalar parameter; given twice, both values must agree.
    fn one(&self, name: &str) -> Result<Option<String>, Failure> {
        Ok(single_value(name, self.0.iter())?.map(str::to_owned))
    }

    /// An array parameter, sent as repeated keys (`bulkId=a&bulkId=b`, what the generated
    /// client sends), comma-joined (`bulkId=a,b`, what Infobip's prose describes), or both.
    fn list(&self, name: &str) -> Result<Vec<String>, Failure> {
        let values: Vec<String> = self
            .0
            .iter()
            .filter(|(key, _)| key == name)
            .flat_map(|(_, value)| value.split(','))
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
            .collect();
        if values.join(",").chars().count() > MAX_LIST_CHARS {
            return Err(Failure::invalid(
                name,
                format!("lists more than {MAX_LIST_CHARS} characters"),
            ));
        }
        Ok(values)
    }

    /// `limit`: 50 when absent; above 1000 served as 1000; below 1 refused.
    fn limit(&self) -> Result<usize, Failure> {
        let Some(value) = self.one("limit")? else {
            return Ok(DEFAULT_LIMIT);
        };
        let limit: i64 = value
            .parse()
            .map_err(|_| Failure::invalid("limit", "must be an integer"))?;
        if limit < 1 {
            return Err(Failure::invalid("limit", "must be at least 1"));
        }
        Ok(usize::try_from(limit).map_or(MAX_LIMIT, |l| l.min(MAX_LIMIT)))
    }

    fn date(&self, name: &str) -> Result<Option<DateTime<Utc>>, Failure> {
        self.one(name)?
            .map(|value| {
                crate::time::parse(&value).ok_or_else(|| {
                    Failure::invalid(
                        name,
                        "must be a date-time such as 2026-01-31T09:30:00.000+0000 \
                             (a `+` in a query string is sent as %2B)",
                    )
                })
            })
            .transpose()
    }

    fn flag(&self, name: &str) -> Result<bool, Failure> {
        self.one(name)?
            .map_or(Ok(false), |value| crate::http::flag_value(name, &value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_parameters_take_repeated_keys_and_commas() {
        let params = Params::parse(Some("bulkId=a&bulkId=b,c&bulkId=&messageId=m")).ok();
        let bulk = params.as_ref().map(|p| p.list("bulkId").ok());
        assert_eq!(bulk, Some(Some(vec!["a".into(), "b".into(), "c".into()])));
        let long = format!("bulkId={}", "x".repeat(2049));
        let params = Params::parse(Some(&long)).ok();
        assert!(params.is_some_and(|p| p.list("bulkId").is_err()));
    }

    #[test]
    fn limit_defaults_caps_and_refuses() {
        for (query, expected) in [
            ("", Some(50)),
            ("limit=7", Some(7)),
            ("limit=5000", Some(1000)),
            ("limit=0", None),
            ("limit=x", None),
            ("limit=3&limit=4", None),
        ] {
            let limit = Params::parse(Some(query)).and_then(|p| p.limit()).ok();
            assert_eq!(limit, expected, "{query}");
        }
    }
}
