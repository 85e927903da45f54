//! The clients list's query: a search (`q`), an order (`sort`) and the cursor that belongs to
//! that order. The default order (oldest first) keeps the cursor format every list shares;
//! other orders carry their name in the cursor, so a cursor is refused under another order.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::DateTime;
use serde::Deserialize;
use utoipa::IntoParams;

use super::pagination::{decode_cursor, encode_cursor};
use super::problem::ApiError;
use crate::domain::ClientId;
use crate::store::clients::{ClientKey, ClientOrder, ClientRow};

/// The longest search accepted.
const MAX_SEARCH_CHARS: usize = 100;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClientListQuery {
    /// Only clients whose name contains this (case-insensitive) or, for 8 characters or more,
    /// whose ID starts with it (exact case); 1–100 characters.
    #[param(example = "billing")]
    q: Option<String>,
    /// `created_at` (default, oldest first), `-created_at` (newest first), `name`, `-name`,
    /// `last_used_at` or `-last_used_at` (never-used clients count as least recently used).
    #[param(example = "-created_at")]
    sort: Option<String>,
}

pub struct ClientListRequest {
    pub search: Option<String>,
    pub order: ClientOrder,
}

const ORDERS: [(&str, ClientOrder); 6] = [
    ("created_at", ClientOrder::CreatedAsc),
    ("-created_at", ClientOrder::CreatedDesc),
    ("name", ClientOrder::NameAsc),
    ("-name", ClientOrder::NameDesc),
    ("last_used_at", ClientOrder::LastUsedAsc),
    ("-last_used_at", ClientOrder::LastUsedDesc),
];

fn order_name(order: ClientOrder) -> &'static str {
    ORDERS
        .iter()
        .find(|(_, o)| *o == order)
        .map_or("created_at", |(name, _)| name)
}

impl ClientListQuery {
    pub fn parse(&self) -> Result<ClientListRequest, ApiError> {
        let search = match self.q.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(q) if q.chars().count() > MAX_SEARCH_CHARS || q.chars().any(char::is_control) => {
                return Err(ApiError::bad_request(
                    Some("q".into()),
                    format!("q must be 1-{MAX_SEARCH_CHARS} printable characters"),
                ));
            }
            Some(q) => Some(q.to_owned()),
        };
        let order = match self.sort.as_deref() {
            None => ClientOrder::CreatedAsc,
            Some(sort) => ORDERS
                .iter()
                .find(|(name, _)| *name == sort)
                .map(|(_, order)| *order)
                .ok_or_else(|| {
                    let names: Vec<&str> = ORDERS.iter().map(|(n, _)| *n).collect();
                    ApiError::bad_request(
                        Some("sort".into()),
                        format!("sort must be one of {}", names.join(", ")),
                    )
                })?,
        };
        Ok(ClientListRequest { search, order })
    }
}

/// The cursor after `row` under `order`.
pub fn encode(order: ClientOrder, row: &ClientRow) -> String {
    let key = order.key_of(row);
    if let (ClientOrder::CreatedAsc, ClientKey::At(at)) = (order, &key) {
        return encode_cursor(*at, &row.id);
    }
    let key = match key {
        ClientKey::At(at) => serde_json::json!(at.and_utc().timestamp_micros()),
        ClientKey::Name(name) => serde_json::json!(name),
    };
    URL_SAFE_NO_PAD.encode(serde_json::json!([order_name(order), key, row.id]).to_string())
}

/// The position a cursor names, if this server issued it for `order`.
pub fn decode(order: ClientOrder, cursor: &str) -> Result<(ClientKey, String), ApiError> {
    let refused = || {
        ApiError::bad_request(
            Some("cursor".into()),
            "cursor is not one this server issued for this sort",
        )
    };
    if order == ClientOrder::CreatedAsc {
        let (at, id) = decode_cursor(cursor).ok_or_else(refused)?;
        return Ok((ClientKey::At(at), id));
    }
    let raw = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| refused())?;
    let (name, key, id): (String, serde_json::Value, String) =
        serde_json::from_slice(&raw).map_err(|_| refused())?;
    if name != order_name(order) || ClientId::parse(&id).is_err() {
        return Err(refused());
    }
    let key = match (order, key) {
        (ClientOrder::NameAsc | ClientOrder::NameDesc, serde_json::Value::String(name)) => {
            ClientKey::Name(name)
        }
        (_, serde_json::Value::Number(micros)) => {
            let at = micros
                .as_i64()
                .and_then(DateTime::from_timestamp_micros)
                .filter(|at| (1970..=9999).contains(&chrono::Datelike::year(at)))
                .ok_or_else(refused)?;
            ClientKey::At(at.naive_utc())
        }
        _ => return Err(refused()),
    };
    Ok((key, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, last_used: Option<i64>) -> ClientRow {
        let at = |s| DateTime::from_timestamp(s, 0).unwrap().naive_utc();
        ClientRow {
            id: "c1".into(),
            org_id: "org_a".into(),
            name: name.into(),
            secret_hash: String::new(),
            secret_hint: String::new(),
            previous_secret_hash: None,
            previous_secret_expires_at: None,
            created_at: at(1_700_000_000),
            updated_at: at(1_700_000_000),
            secret_rotated_at: None,
            last_used_at: last_used.map(at),
            tokens_not_before: None,
            description: String::new(),
            disabled: false,
            token_ttl_seconds: None,
            secret_expires_at: None,
            token_endpoint_auth_method: "client_secret_basic".into(),
            jwks: None,
            jwks_uri: None,
        }
    }

    #[test]
    fn cursors_round_trip_under_their_own_order_only() {
        for (_, order) in ORDERS {
            let r = row("billing \"sync\"", Some(1_700_000_100));
            let cursor = encode(order, &r);
            assert_eq!(
                decode(order, &cursor).unwrap(),
                (order.key_of(&r), "c1".into())
            );
            for (_, other) in ORDERS.iter().filter(|(_, o)| *o != order) {
                assert!(
                    decode(*other, &cursor).is_err(),
                    "{order:?} cursor under {other:?}"
                );
            }
        }
        let never_used = row("x", None);
        let cursor = encode(ClientOrder::LastUsedDesc, &never_used);
        assert_eq!(
            decode(ClientOrder::LastUsedDesc, &cursor).unwrap().0,
            ClientKey::At(DateTime::UNIX_EPOCH.naive_utc())
        );
        let forged = URL_SAFE_NO_PAD.encode(r#"["name", "a", "bad id!"]"#);
        assert!(decode(ClientOrder::NameAsc, &forged).is_err());
        let year_10000 = URL_SAFE_NO_PAD.encode(r#"["-created_at", 253402300800000000, "c1"]"#);
        assert!(decode(ClientOrder::CreatedDesc, &year_10000).is_err());
    }
}
