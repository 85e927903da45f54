use parking_lot::RwLock;
use std::collections::HashMap;

use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;

use crate::domain::{ClientId, ClientSecret};

pub(super) type Mac = [u8; 32];

/// client_id → verified (MAC of the presented secret, stored hash it matched); at most a few
/// entries per client (current secret, grace-period secret).
pub(super) struct VerifiedSecrets {
    key: hmac::Key,
    entries: RwLock<HashMap<String, Vec<(Mac, String)>>>,
}

/// Bound on cached clients; past it the cache starts over (the cost is one argon2 per client).
const MAX_CACHED_CLIENTS: usize = 100_000;

impl VerifiedSecrets {
    pub(super) fn new() -> Self {
        let key = hmac::Key::generate(hmac::HMAC_SHA256, &SystemRandom::new())
            .expect("the OS random generator is available");
        Self {
            key,
            entries: RwLock::new(HashMap::new()),
        }
    }

    pub(super) fn mac(&self, client_id: &ClientId, secret: &ClientSecret) -> Mac {
        let mut ctx = hmac::Context::with_key(&self.key);
        ctx.update(client_id.as_str().as_bytes());
        ctx.update(&[0]);
        ctx.update(secret.expose().as_bytes());
        let mut mac = [0; 32];
        mac.copy_from_slice(ctx.sign().as_ref());
        mac
    }

    pub(super) fn get(&self, client_id: &ClientId, mac: &Mac) -> Option<String> {
        let entries = self.entries.read();
        entries
            .get(client_id.as_str())?
            .iter()
            .find(|(m, _)| m == mac)
            .map(|(_, hash)| hash.clone())
    }

    pub(super) fn insert(
        &self,
        client_id: &ClientId,
        mac: Mac,
        hash: String,
        still_accepted: impl Fn(&str) -> bool,
    ) {
        let mut entries = self.entries.write();
        if entries.len() >= MAX_CACHED_CLIENTS && !entries.contains_key(client_id.as_str()) {
            entries.clear();
        }
        let list = entries.entry(client_id.as_str().to_owned()).or_default();
        list.retain(|(m, h)| *m != mac && still_accepted(h));
        list.push((mac, hash));
    }

    pub(super) fn remove(&self, client_id: &str) {
        let mut entries = self.entries.write();
        entries.remove(client_id);
    }
}
