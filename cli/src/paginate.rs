//! `infobip api --paginate`: where the next page of a list is, in each form the catalogue's
//! lists use, read from the page just received and the request that got it.
//!
//! The forms (`spec/*.yaml`):
//! - a page number and a count of pages: `page` (or `pageNumber`) asked for, the answer's
//!   `paging` (or the answer itself) holding `page` and `totalPages`, or a total of entries
//!   (`totalItems`, `totalCount`, `totalResults`) and the page's size (`limit`, `size`,
//!   `pageSize`), from which the count of pages follows;
//! - a cursor: the answer's `cursor.nextCursor`, asked for as `cursor` (the SMS, MMS, email
//!   and chat apps' logs, which answer with a cursor only to `useCursor=true`);
//! - an offset: the answer's `offset`, `limit` and `total`, asked for as `offset`.
//!
//! The entries of every page are gathered into one JSON array, so that the result is one
//! document whatever the number of pages (`jq '.[]'` reads it).

use serde_json::{Map, Value};

/// How many pages `--paginate` reads unless `--max-pages` says otherwise: a server that
/// always has a next page cannot keep the command going for ever.
pub const DEFAULT_MAX_PAGES: u32 = 100;

/// The entries of a page: the page itself if it is a list; else its list field (`results`
/// where there are several, else the first list of objects); none if it has no list.
pub fn entries(page: &Value) -> Option<&Vec<Value>> {
    match page {
        Value::Array(items) => Some(items),
        Value::Object(fields) => {
            if let Some(Value::Array(items)) = fields.get("results") {
                return Some(items);
            }
            fields.values().find_map(|value| match value {
                Value::Array(items) if items.iter().all(Value::is_object) => Some(items),
                _ => None,
            })
        }
        _ => None,
    }
}

/// The query parameters to set for the next page, or none when `page` is the last one.
/// `asked` are the query parameters of the request that got `page`; `first_page` is the
/// number of the first page (0 or 1, as the first answer said), for the page-number form.
pub fn next(
    page: &Value,
    asked: &[(String, String)],
    first_page: i64,
) -> Option<Vec<(String, String)>> {
    let fields = page.as_object()?;
    let count = entries(page).map_or(0, Vec::len);
    if count == 0 {
        return None;
    }
    // The parts of the answer that can say where the list stands: the answer itself and
    // its objects (`paging`, `pagination`, `cursor`).
    let mut places: Vec<&Map<String, Value>> = vec![fields];
    places.extend(fields.values().filter_map(Value::as_object));
    if let Some(cursor) = places.iter().find_map(|place| place.get("nextCursor")) {
        return match cursor {
            Value::String(cursor) if !cursor.is_empty() => {
                Some(vec![(String::from("cursor"), cursor.clone())])
            }
            _ => None,
        };
    }
    if let Some(place) = places
        .iter()
        .find(|place| place.contains_key("offset") && place.contains_key("limit"))
    {
        let offset = int(place.get("offset"))?;
        let limit = int(place.get("limit"))?;
        let next = offset + i64::try_from(count).ok()?;
        let more = match int(place.get("total")) {
            Some(total) => next < total,
            None => i64::try_from(count).ok()? >= limit,
        };
        return more.then(|| vec![(String::from("offset"), next.to_string())]);
    }
    let place = places.iter().find(|place| {
        place.contains_key("totalPages")
            || (place.contains_key("page")
                && ["totalItems", "totalCount", "totalResults"]
                    .iter()
                    .any(|k| place.contains_key(*k)))
    })?;
    let name = if asked.iter().any(|(k, _)| k == "pageNumber") {
        "pageNumber"
    } else {
        "page"
    };
    let current = int(place.get("page"))
        .or_else(|| {
            asked
                .iter()
                .find(|(k, _)| k == name)
                .and_then(|(_, v)| v.parse().ok())
        })
        .unwrap_or(first_page);
    let pages = match int(place.get("totalPages")) {
        Some(pages) => pages,
        None => {
            let total = ["totalItems", "totalCount", "totalResults"]
                .iter()
                .find_map(|k| int(place.get(*k)))?;
            let size = ["limit", "size", "pageSize"]
                .iter()
                .find_map(|k| int(place.get(*k)))
                .filter(|size| *size > 0)
                .unwrap_or(i64::try_from(count).ok()?);
            total / size + i64::from(total % size != 0)
        }
    };
    (current + 1 < first_page + pages).then(|| vec![(name.to_owned(), (current + 1).to_string())])
}

/// The number of the first page, as the first answer gives it: 1 if it says it is page 1
/// while no page was asked for, else 0.
pub fn first_page(page: &Value, asked: &[(String, String)]) -> i64 {
    let asked_page = asked.iter().any(|(k, _)| k == "page" || k == "pageNumber");
    let said = page.as_object().and_then(|fields| {
        std::iter::once(fields)
            .chain(fields.values().filter_map(Value::as_object))
            .find_map(|place| int(place.get("page")))
    });
    if !asked_page && said == Some(1) {
        1
    } else {
        0
    }
}

fn int(value: Option<&Value>) -> Option<i64> {
    value?.as_i64()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn page_numbers_are_followed_to_the_last_page() {
        let page = json!({"apiKeys": [{"id": "1"}], "paging": {"page": 0, "pageSize": 1, "totalPages": 2}});
        assert_eq!(first_page(&page, &[]), 0);
        assert_eq!(next(&page, &[], 0), Some(pairs(&[("page", "1")])));
        let last = json!({"apiKeys": [{"id": "2"}], "paging": {"page": 1, "pageSize": 1, "totalPages": 2}});
        assert_eq!(next(&last, &pairs(&[("page", "1")]), 0), None);
        // Counted from 1, and a total of entries instead of pages.
        let page =
            json!({"companies": [{"id": 1}, {"id": 2}], "page": 1, "limit": 2, "totalCount": 3});
        assert_eq!(first_page(&page, &[]), 1);
        assert_eq!(next(&page, &[], 1), Some(pairs(&[("page", "2")])));
        let last = json!({"companies": [{"id": 3}], "page": 2, "limit": 2, "totalCount": 3});
        assert_eq!(next(&last, &[], 1), None);
        // The page asked for as `pageNumber`, and not echoed by the answer.
        let page = json!({"elements": [{"id": 1}], "total": 2, "totalPages": 2});
        assert_eq!(
            next(&page, &pairs(&[("pageNumber", "0")]), 0),
            Some(pairs(&[("pageNumber", "1")]))
        );
    }

    #[test]
    fn cursors_and_offsets_are_followed_until_they_end() {
        let page =
            json!({"results": [{"messageId": "a"}], "cursor": {"limit": 1, "nextCursor": "c1"}});
        assert_eq!(next(&page, &[], 0), Some(pairs(&[("cursor", "c1")])));
        let last = json!({"results": [{"messageId": "b"}], "cursor": {"limit": 1}});
        assert_eq!(next(&last, &[], 0), None);
        let page =
            json!({"forms": [{"id": "1"}, {"id": "2"}], "offset": 0, "limit": 2, "total": 3});
        assert_eq!(next(&page, &[], 0), Some(pairs(&[("offset", "2")])));
        let last = json!({"forms": [{"id": "3"}], "offset": 2, "limit": 2, "total": 3});
        assert_eq!(next(&last, &[], 0), None);
        // An empty page ends any list, whatever it says of the next one.
        let empty = json!({"results": [], "cursor": {"nextCursor": "c9"}});
        assert_eq!(next(&empty, &[], 0), None);
        assert_eq!(entries(&json!({"balance": 1.0})), None);
    }
}
