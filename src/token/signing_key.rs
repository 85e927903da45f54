//! One signing key: an aws-lc-rs key pair parsed once from PKCS#8, with its public JWK, its
//! kid (the RFC 7638 SHA-256 thumbprint) and its JOSE header encoded once, so issuing a token
//! costs one claims serialization and one signature.

use std::fmt;
use std::str::FromStr;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RSA_PKCS1_SHA256,
    RsaKeyPair, RsaPublicKeyComponents,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters, Jwk,
    KeyAlgorithm, OctetKeyPairParameters, OctetKeyPairType, PublicKeyUse, RSAKeyParameters,
    ThumbprintHash,
};
use jsonwebtoken::{Algorithm, DecodingKey};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningAlg {
    Es256,
    Rs256,
    EdDsa,
}

impl SigningAlg {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::Rs256 => "RS256",
            Self::EdDsa => "EdDSA",
        }
    }

    pub fn jwt_algorithm(self) -> Algorithm {
        match self {
            Self::Es256 => Algorithm::ES256,
            Self::Rs256 => Algorithm::RS256,
            Self::EdDsa => Algorithm::EdDSA,
        }
    }
}

impl FromStr for SigningAlg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "ES256" => Ok(Self::Es256),
            "RS256" => Ok(Self::Rs256),
            "EdDSA" => Ok(Self::EdDsa),
            other => Err(format!(
                "unsupported signing algorithm {other:?} (ES256, RS256 or EdDSA)"
            )),
        }
    }
}

impl fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

enum KeyMaterial {
    Es256(EcdsaKeyPair),
    Rs256(RsaKeyPair),
    EdDsa(Ed25519KeyPair),
}

/// One loaded key: parsed once, with its public JWK and its encoded JOSE header ready.
pub struct SigningKey {
    pub kid: String,
    pub alg: SigningAlg,
    pub created: NaiveDateTime,
    material: KeyMaterial,
    pub(super) jwk: Jwk,
    decoding: DecodingKey,
    /// base64url of `{"alg":…,"typ":"at+jwt","kid":…}`.
    header_b64: String,
}

impl SigningKey {
    /// Parses a PKCS#8 DER private key of one of the supported algorithms.
    pub fn from_pkcs8(der: &[u8], created: NaiveDateTime) -> Option<Self> {
        let (alg, material, params) =
            if let Ok(k) = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der) {
                let point = k.public_key().as_ref();
                // Uncompressed SEC1 point: 0x04 || x (32 bytes) || y (32 bytes).
                let (x, y) = point.get(1..)?.split_at(32);
                let params = AlgorithmParameters::EllipticCurve(EllipticCurveKeyParameters {
                    key_type: Default::default(),
                    curve: EllipticCurve::P256,
                    x: URL_SAFE_NO_PAD.encode(x),
                    y: URL_SAFE_NO_PAD.encode(y),
                });
                (SigningAlg::Es256, KeyMaterial::Es256(k), params)
            } else if let Ok(k) = Ed25519KeyPair::from_pkcs8(der) {
                let params = AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                    key_type: OctetKeyPairType::OctetKeyPair,
                    curve: EllipticCurve::Ed25519,
                    x: URL_SAFE_NO_PAD.encode(k.public_key().as_ref()),
                });
                (SigningAlg::EdDsa, KeyMaterial::EdDsa(k), params)
            } else if let Ok(k) = RsaKeyPair::from_pkcs8(der) {
                let public = RsaPublicKeyComponents::<Vec<u8>>::from(k.public_key());
                let params = AlgorithmParameters::RSA(RSAKeyParameters {
                    key_type: Default::default(),
                    n: URL_SAFE_NO_PAD.encode(&public.n),
                    e: URL_SAFE_NO_PAD.encode(&public.e),
                });
                (SigningAlg::Rs256, KeyMaterial::Rs256(k), params)
            } else {
                return None;
            };

        let mut jwk = Jwk {
            common: CommonParameters::default(),
            algorithm: params,
        };
        let kid = jwk.thumbprint(ThumbprintHash::SHA256).ok()?;
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_algorithm = Some(match alg {
            SigningAlg::Es256 => KeyAlgorithm::ES256,
            SigningAlg::Rs256 => KeyAlgorithm::RS256,
            SigningAlg::EdDsa => KeyAlgorithm::EdDSA,
        });
        let decoding = DecodingKey::from_jwk(&jwk).ok()?;
        let header = serde_json::json!({"alg": alg.as_str(), "typ": "at+jwt", "kid": kid});
        let header_b64 = URL_SAFE_NO_PAD.encode(header.to_string());
        Some(Self {
            kid,
            alg,
            created,
            material,
            jwk,
            decoding,
            header_b64,
        })
    }

    /// The public key as a JWK (with its `kid`, `use` and `alg`).
    pub fn public_jwk(&self) -> &Jwk {
        &self.jwk
    }

    pub fn header_b64(&self) -> &str {
        &self.header_b64
    }

    pub fn decoding_key(&self) -> &DecodingKey {
        &self.decoding
    }

    /// The raw JWS signature over `message` (`header.payload`).
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        match &self.material {
            KeyMaterial::Es256(k) => k
                .sign(&SystemRandom::new(), message)
                .map(|s| s.as_ref().to_vec())
                .expect("ECDSA signing with a validated key cannot fail"),
            KeyMaterial::EdDsa(k) => k.sign(message).as_ref().to_vec(),
            KeyMaterial::Rs256(k) => {
                let mut sig = vec![0; k.public_modulus_len()];
                k.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut sig)
                    .expect("RSA signing with a validated key cannot fail");
                sig
            }
        }
    }
}

/// A new private key of `alg`, as PKCS#8 DER.
pub fn generate_pkcs8(alg: SigningAlg) -> Option<Vec<u8>> {
    match alg {
        SigningAlg::Es256 => EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .and_then(|k| k.to_pkcs8v1())
            .map(|d| d.as_ref().to_vec()),
        SigningAlg::EdDsa => Ed25519KeyPair::generate()
            .and_then(|k| k.to_pkcs8v1())
            .map(|d| d.as_ref().to_vec()),
        SigningAlg::Rs256 => aws_lc_rs::rsa::KeyPair::generate(KeySize::Rsa2048)
            .and_then(|k| AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&k))
            .map(|d| d.as_ref().to_vec()),
    }
    .ok()
}
