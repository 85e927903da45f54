//! Keyset pagination shared by the list endpoints: `?limit=` (1–200, default 50) and an
//! opaque `?cursor=` naming the last item of the previous page. The next page's cursor comes
//! back in `X-Next-Cursor` and as an RFC 8288 `Link: <…>; rel="next"` header.

use actix_web::{HttpRequest, HttpResponse};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use super::problem::ApiError;
use crate::domain::ClientId;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_hostile_ones_are_refused() {
        let at = DateTime::from_timestamp_micros(1_700_000_000_123_456)
            .unwrap()
            .naive_utc();
        let cursor = encode_cursor(at, "evt_abc");
        assert_eq!(decode_cursor(&cursor), Some((at, "evt_abc".to_owned())));
        let forge = |raw: &str| URL_SAFE_NO_PAD.encode(raw);
        assert_eq!(decode_cursor(&forge("-9223372036854775808.x")), None);
        assert_eq!(
            decode_cursor(&forge("253402300800000000.x")),
            None,
            "year 10000"
        );
        assert_eq!(decode_cursor(&forge("0.a\u{0}b")), None);
        assert_eq!(decode_cursor("!!"), None);
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1–200 (default 50). (Read as text, so that a bad value gets this
    /// API's problem answer.)
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    /// The `X-Next-Cursor` of the previous page.
    cursor: Option<String>,
}

pub struct PageRequest {
    pub limit: i64,
    pub after: Option<(NaiveDateTime, String)>,
}

impl PageQuery {
    /// The limit alone, and the cursor as sent, for lists whose cursors are not timestamps.
    pub fn parse_raw(&self) -> Result<(i64, Option<&str>), ApiError> {
        let limit = parse_limit(self.limit.as_deref())?;
        Ok((limit, self.cursor.as_deref()))
    }
}

fn parse_limit(limit: Option<&str>) -> Result<i64, ApiError> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::bad_request(
                    Some("limit".into()),
                    format!("limit must be an integer from 1 to {MAX_LIMIT}"),
                )
            }),
    }
}

impl PageQuery {
    pub fn parse(&self) -> Result<PageRequest, ApiError> {
        let limit = parse_limit(self.limit.as_deref())?;
        let after = self
            .cursor
            .as_deref()
            .map(|c| {
                decode_cursor(c).ok_or_else(|| {
                    ApiError::bad_request(
                        Some("cursor".into()),
                        "cursor is not one this server issued",
                    )
                })
            })
            .transpose()?;
        Ok(PageRequest { limit, after })
    }
}

pub fn encode_cursor(at: NaiveDateTime, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}.{id}", at.and_utc().timestamp_micros()))
}

/// The cursor's position, if it is one this server could have issued: a timestamp between
/// 1970 and 9999 (both backends store those) and an ID of the shape our IDs have.
pub fn decode_cursor(cursor: &str) -> Option<(NaiveDateTime, String)> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    let (micros, id) = raw.split_once('.')?;
    let at = DateTime::from_timestamp_micros(micros.parse().ok()?)?;
    if !(1970..=9999).contains(&chrono::Datelike::year(&at)) {
        return None;
    }
    let id = ClientId::parse(id).ok()?;
    Some((at.naive_utc(), id.as_str().to_owned()))
}

/// One page: `limit + 1` rows were fetched to know whether another page follows.
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
    /// How many items match in all (sent as `X-Total-Count`), where the list counts them.
    pub total: Option<i64>,
}

impl<T> Page<T> {
    /// A page ordered by (timestamp, id), the cursor `key` of its last row.
    pub fn from_rows(
        rows: Vec<T>,
        limit: i64,
        key: impl Fn(&T) -> (NaiveDateTime, String),
    ) -> Self {
        Self::with_cursor(rows, limit, |row| {
            let (at, id) = key(row);
            encode_cursor(at, &id)
        })
    }

    /// A page whose next cursor is `cursor_of` its last row.
    pub fn with_cursor(mut rows: Vec<T>, limit: i64, cursor_of: impl Fn(&T) -> String) -> Self {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = more.then(|| rows.last().map(&cursor_of)).flatten();
        Self {
            items: rows,
            next_cursor,
            total: None,
        }
    }

    /// `200` with the items as a JSON array of views, and the pagination headers. The `Link`
    /// keeps the request's other parameters (search, sort, filters).
    pub fn respond<V: Serialize + From<T>>(self, req: &HttpRequest, limit: i64) -> HttpResponse {
        let mut res = HttpResponse::Ok();
        if let Some(cursor) = &self.next_cursor {
            res.insert_header(("X-Next-Cursor", cursor.as_str()));
            let mut next = form_urlencoded::Serializer::new(String::new());
            for (name, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
                if name != "cursor" && name != "limit" {
                    next.append_pair(&name, &value);
                }
            }
            next.append_pair("limit", &limit.to_string());
            next.append_pair("cursor", cursor);
            res.insert_header((
                "Link",
                format!("<{}?{}>; rel=\"next\"", req.path(), next.finish()),
            ));
        }
        if let Some(total) = self.total {
            res.insert_header(("X-Total-Count", total.to_string()));
        }
        res.json(self.items.into_iter().map(V::from).collect::<Vec<_>>())
    }
}
