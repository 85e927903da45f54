use rand::rngs::OsRng;
use rand::{Rng, TryRngCore};

pub(crate) const BASE62: &[u8; 62] =
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `len` characters drawn uniformly from the base62 alphabet by the OS CSPRNG.
pub fn random_base62(len: usize) -> String {
    let mut rng = OsRng.unwrap_err();
    (0..len)
        .map(|_| BASE62[rng.random_range(0..BASE62.len())] as char)
        .collect()
}
