//! A status list's bits (LSB first), computed from what the database says of the tokens in
//! it, and their encoding (ZLIB, base64url).

use std::collections::HashMap;
use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{NaiveDateTime, TimeDelta};

use super::{FLUSH_GRACE, RANGE_USE_FOR};
use crate::store::status_lists::{Run, Snapshot};

/// Whether a run's tokens are no longer valid: the rule of introspection (its client gone or
/// disabled, issued at or before its tokens were revoked, a role no longer held, signed by a
/// revoked key).
fn invalid(run: &Run, snapshot: &Snapshot) -> bool {
    let Some(client) = snapshot.clients.get(&run.client_id) else {
        return true;
    };
    if signed_by_revoked_key(run, snapshot) {
        return true;
    }
    client.disabled
        || client
            .tokens_not_before
            .is_some_and(|cutoff| run.iat <= cutoff.and_utc().timestamp())
        || run
            .roles
            .split(' ')
            .filter(|r| !r.is_empty())
            .any(|r| !client.roles.iter().any(|held| held == r))
}

/// A run names its key; one written by a release that did not is counted as signed by every
/// key revoked while it was issued (from a minute before the key's activation, for clocks).
fn signed_by_revoked_key(run: &Run, snapshot: &Snapshot) -> bool {
    snapshot.revoked_keys.iter().any(|key| match &run.kid {
        Some(kid) => *kid == key.kid,
        None => {
            let from = (key.activated_at - TimeDelta::minutes(1))
                .and_utc()
                .timestamp();
            (from..=key.revoked_at.and_utc().timestamp()).contains(&run.iat)
        }
    })
}

/// Every served list's bits (LSB first: index `i` is bit `i % 8` of byte `i / 8`).
pub(super) fn compute(
    snapshot: &Snapshot,
    own: &[Run],
    now: NaiveDateTime,
) -> HashMap<String, Vec<u8>> {
    let mut lists: HashMap<String, Vec<u8>> = snapshot
        .lists
        .iter()
        .map(|l| {
            (
                l.id.clone(),
                vec![0; usize::try_from(l.capacity / 8).unwrap_or(0)],
            )
        })
        .collect();
    let set = |bits: &mut [u8], idx: i64, value: bool| {
        let Ok(i) = usize::try_from(idx) else { return };
        if let Some(byte) = bits.get_mut(i / 8) {
            if value {
                *byte |= 1 << (i % 8);
            } else {
                *byte &= !(1 << (i % 8));
            }
        }
    };
    // Ranges whose runs are overdue: nothing issued from them is known, so nothing is valid.
    let overdue = TimeDelta::from_std(RANGE_USE_FOR).unwrap_or(TimeDelta::MAX) + FLUSH_GRACE;
    for range in &snapshot.ranges {
        if range.leased_at + overdue < now
            && let Some(bits) = lists.get_mut(&range.list_id)
        {
            for idx in range.start_idx..range.start_idx + range.size {
                set(bits, idx, true);
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    for run in snapshot.runs.iter().chain(own) {
        if !seen.insert((run.list_id.as_str(), run.start_idx)) {
            continue;
        }
        let value = invalid(run, snapshot);
        if let Some(bits) = lists.get_mut(&run.list_id) {
            for idx in run.start_idx..run.start_idx + run.count {
                set(bits, idx, value);
            }
        }
    }
    for (list, idx) in &snapshot.revoked {
        if let Some(bits) = lists.get_mut(list) {
            set(bits, *idx, true);
        }
    }
    lists
}

/// ZLIB (RFC 1950), then base64url: the `lst` of a status list.
pub(super) fn compress(bits: &[u8]) -> String {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bits).expect("writing to memory");
    URL_SAFE_NO_PAD.encode(encoder.finish().expect("writing to memory"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::status_lists::{ClientStanding, Range, StatusList};

    fn snapshot(clients: &[(&str, bool, Option<i64>, &[&str])], runs: Vec<Run>) -> Snapshot {
        let now = chrono::Utc::now().naive_utc();
        Snapshot {
            lists: vec![StatusList {
                id: "l".into(),
                capacity: 64,
                next_index: 64,
                created_at: now,
                expires_at: now,
            }],
            ranges: vec![Range {
                list_id: "l".into(),
                start_idx: 0,
                size: 64,
                leased_at: now,
            }],
            runs,
            revoked: vec![("l".into(), 9)],
            clients: clients
                .iter()
                .map(|(id, disabled, nb, roles)| {
                    (
                        (*id).to_owned(),
                        ClientStanding {
                            disabled: *disabled,
                            tokens_not_before: nb.map(|t| {
                                chrono::DateTime::from_timestamp(t, 0).unwrap().naive_utc()
                            }),
                            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
                        },
                    )
                })
                .collect(),
            revoked_keys: Vec::new(),
        }
    }

    fn run(start: i64, count: i64, client: &str, roles: &str, iat: i64) -> Run {
        Run {
            list_id: "l".into(),
            start_idx: start,
            count,
            client_id: client.into(),
            roles: roles.into(),
            iat,
            kid: Some("k1".into()),
        }
    }

    #[test]
    fn a_bit_is_set_exactly_for_what_introspection_refuses() {
        let snap = snapshot(
            &[
                ("ok", false, None, &["a", "b"]),
                ("off", true, None, &["a"]),
                ("cut", false, Some(100), &["a"]),
                ("narrowed", false, None, &["a"]),
            ],
            vec![
                run(0, 2, "ok", "a b", 50),
                run(2, 1, "off", "a", 50),
                run(3, 1, "cut", "a", 100),
                run(4, 1, "cut", "a", 101),
                run(5, 1, "narrowed", "a b", 50),
                run(6, 1, "gone", "", 50),
                run(7, 1, "ok", "", 50),
            ],
        );
        let bits = compute(&snap, &[], snap.lists[0].created_at)
            .remove("l")
            .unwrap();
        let bit = |i: usize| bits[i / 8] >> (i % 8) & 1;
        assert_eq!(
            (0..10).map(bit).collect::<Vec<_>>(),
            [0, 0, 1, 1, 0, 1, 1, 0, 0, 1],
            "valid, valid, disabled, at the cut-off, after it, a role taken away, deleted, no \
             roles, unused, revoked by itself"
        );
    }

    #[test]
    fn every_token_a_revoked_key_signed_is_invalid_and_only_those() {
        let at = |t: i64| chrono::DateTime::from_timestamp(t, 0).unwrap().naive_utc();
        let legacy = |start, iat| Run {
            kid: None,
            ..run(start, 1, "ok", "", iat)
        };
        let mut other_key = run(1, 1, "ok", "", 1_000);
        other_key.kid = Some("k2".into());
        let mut snap = snapshot(
            &[("ok", false, None, &[])],
            vec![
                run(0, 1, "ok", "", 1_000),
                other_key,
                legacy(2, 900),
                legacy(3, 2_000),
                legacy(4, 3_000),
            ],
        );
        snap.revoked.clear();
        snap.revoked_keys
            .push(crate::store::signing_keys::RevokedKey {
                kid: "k1".into(),
                activated_at: at(1_000),
                revoked_at: at(2_000),
            });
        let bits = compute(&snap, &[], snap.lists[0].created_at)
            .remove("l")
            .unwrap();
        let bit = |i: usize| bits[i / 8] >> (i % 8) & 1;
        assert_eq!(
            (0..5).map(bit).collect::<Vec<_>>(),
            [1, 0, 0, 1, 0],
            "signed by the revoked key, by another, and runs without a kid: before the key \
             signed, while it did, after it was revoked"
        );
    }

    #[test]
    fn an_overdue_range_without_runs_is_invalid() {
        let mut snap = snapshot(&[("ok", false, None, &[])], vec![run(0, 1, "ok", "", 5)]);
        let later = snap.ranges[0].leased_at + TimeDelta::seconds(8);
        snap.revoked.clear();
        let bits = compute(&snap, &[], later).remove("l").unwrap();
        assert_eq!(
            bits[0], 0b1111_1110,
            "index 0 was written; the rest never will be"
        );
    }
}
