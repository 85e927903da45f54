//! JOSE details a JWT library leaves to its caller: header members this server does not
//! understand, and Ed25519 public keys that verify forged signatures.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::KeyAlgorithm;

/// Whether a compact JWS's protected header holds only members this server understands: no
/// `crit` (RFC 7515 §4.1.11: a recipient that does not understand every extension it lists
/// must refuse the token, and this server understands none) and no `b64` (RFC 7797: an
/// unencoded payload would be signed as something other than what is parsed).
pub fn header_is_plain(token: &str) -> bool {
    let Some(header) = token.split('.').next() else {
        return false;
    };
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(header) else {
        return false;
    };
    match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&bytes) {
        Ok(members) => !members.contains_key("crit") && !members.contains_key("b64"),
        Err(_) => false,
    }
}

/// The signing algorithm a JWK's `alg` names, if it is one of `accepted`; any other (an HMAC or
/// encryption algorithm, or a signature algorithm this server does not accept) is the error.
pub fn key_algorithm(
    alg: Option<KeyAlgorithm>,
    accepted: &[Algorithm],
) -> Result<Option<Algorithm>, KeyAlgorithm> {
    let Some(alg) = alg else { return Ok(None) };
    let named = match alg {
        KeyAlgorithm::ES256 => Algorithm::ES256,
        KeyAlgorithm::RS256 => Algorithm::RS256,
        KeyAlgorithm::PS256 => Algorithm::PS256,
        KeyAlgorithm::EdDSA => Algorithm::EdDSA,
        other => return Err(other),
    };
    if accepted.contains(&named) {
        Ok(Some(named))
    } else {
        Err(alg)
    }
}

/// The y-coordinates (little-endian, sign bit of x cleared) of the eight Ed25519 points of
/// order dividing 8: y = 0 (order 4), y = 1 (the identity), y = p - 1 (order 2) and the two y
/// values of the points of order 8 (as in libsodium's blocklist). A signature "verifies"
/// under such a key for many messages without any private key.
const SMALL_ORDER_Y: [[u8; 32]; 5] = [
    [0; 32],
    [
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0,
    ],
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
];

/// p = 2^255 - 19, little-endian.
const FIELD_PRIME: [u8; 32] = [
    0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
];

/// Whether an encoded Ed25519 public key is canonical (y < p) and not of small order.
pub fn ed25519_key_is_sound(encoded: &[u8; 32]) -> bool {
    let mut y = *encoded;
    y[31] &= 0x7f;
    let canonical = y.iter().rev().cmp(FIELD_PRIME.iter().rev()).is_lt();
    canonical && !SMALL_ORDER_Y.contains(&y)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(json: &str) -> String {
        format!("{}.e30.sig", URL_SAFE_NO_PAD.encode(json))
    }

    #[test]
    fn headers_with_extensions_are_not_plain() {
        assert!(header_is_plain(&header(r#"{"alg":"ES256","kid":"a"}"#)));
        assert!(!header_is_plain(&header(
            r#"{"alg":"ES256","crit":["exp"]}"#
        )));
        assert!(!header_is_plain(&header(
            r#"{"alg":"ES256","b64":false,"crit":["b64"]}"#
        )));
        assert!(!header_is_plain(&header(r#"{"alg":"ES256","b64":true}"#)));
        assert!(!header_is_plain("not a token"));
        assert!(!header_is_plain(&header("[1,2]")));
    }

    #[test]
    fn small_order_and_non_canonical_ed25519_keys_are_unsound() {
        let mut zero = [0u8; 32];
        assert!(!ed25519_key_is_sound(&zero));
        zero[31] = 0x80; // the same y with the sign bit set
        assert!(!ed25519_key_is_sound(&zero));
        for y in SMALL_ORDER_Y {
            assert!(!ed25519_key_is_sound(&y));
        }
        // p and p + 1: non-canonical spellings of 0 and 1.
        assert!(!ed25519_key_is_sound(&FIELD_PRIME));
        let mut p_plus_one = FIELD_PRIME;
        p_plus_one[0] = 0xee;
        assert!(!ed25519_key_is_sound(&p_plus_one));
        // RFC 8032 §7.1 test 1's public key.
        let rfc8032: [u8; 32] = [
            0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64,
            0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68,
            0xf7, 0x07, 0x51, 0x1a,
        ];
        assert!(ed25519_key_is_sound(&rfc8032));
    }

    #[test]
    fn a_key_algorithm_outside_the_accepted_ones_is_refused() {
        let accepted = [Algorithm::ES256, Algorithm::EdDSA];
        assert_eq!(key_algorithm(None, &accepted), Ok(None));
        assert_eq!(
            key_algorithm(Some(KeyAlgorithm::ES256), &accepted),
            Ok(Some(Algorithm::ES256))
        );
        assert!(key_algorithm(Some(KeyAlgorithm::RS256), &accepted).is_err());
        assert!(key_algorithm(Some(KeyAlgorithm::HS256), &accepted).is_err());
    }
}
