"""Gets tokens from orgauth with Authlib's private_key_jwt (RFC 7523), as an application would.

env: TOKEN_URL, CLIENT_ID, KEY_PEM (path to the client's P-256 private key, PKCS#8 PEM).
Prints one JSON line per token response.
"""

import json
import os
import time

from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc.jwk import ECKey

TOKEN_URL = os.environ["TOKEN_URL"]
CLIENT_ID = os.environ["CLIENT_ID"]
KEY = ECKey.import_key(open(os.environ["KEY_PEM"]).read())


def fetch_token():
    session = OAuth2Session(CLIENT_ID, KEY, token_endpoint_auth_method="private_key_jwt")
    # orgauth accepts assertions living at most 5 minutes (Authlib's default is an hour). A
    # new claims dict each time: Authlib adds the jti to the dict it is given.
    session.register_client_auth_method(
        PrivateKeyJWT(TOKEN_URL, alg="ES256", claims={"exp": int(time.time()) + 60})
    )
    return session.fetch_token(TOKEN_URL, grant_type="client_credentials")


for _ in range(2):
    print(json.dumps(fetch_token()))
