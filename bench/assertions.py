"""Makes a P-256 key and N single-use private_key_jwt assertions for the bench.

usage: assertions.py CLIENT_ID AUDIENCE N JWKS_OUT ASSERTIONS_OUT
Needs the `cryptography` package (target/client-libs has it: see .ci/run).
"""

import base64
import json
import os
import sys
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

client_id, audience, n, jwks_out, assertions_out = sys.argv[1:6]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


key = ec.generate_private_key(ec.SECP256R1())
numbers = key.public_key().public_numbers()
jwk = {"kty": "EC", "crv": "P-256", "kid": "bench", "use": "sig",
       "x": b64(numbers.x.to_bytes(32, "big")), "y": b64(numbers.y.to_bytes(32, "big"))}
with open(jwks_out, "w") as f:
    json.dump({"keys": [jwk]}, f)

header = b64(json.dumps({"alg": "ES256", "kid": "bench", "typ": "JWT"}).encode())
exp = int(time.time()) + 290
with open(assertions_out, "w") as f:
    for _ in range(int(n)):
        claims = {"iss": client_id, "sub": client_id, "aud": audience, "exp": exp,
                  "jti": b64(os.urandom(16))}
        message = f"{header}.{b64(json.dumps(claims).encode())}"
        r, s = decode_dss_signature(key.sign(message.encode(), ec.ECDSA(hashes.SHA256())))
        f.write(f"{message}.{b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}\n")
