"""Verifies orgauth access tokens in a resource server, offline.

The signature against the issuer's JWKS (cached; fetched again for an unknown ``kid``, at most
every 30 s), the RFC 9068 claims (``typ: at+jwt``, ``iss``, ``aud``, ``exp``/``nbf`` with
leeway), required roles, and the token's bit in its Token Status List
(``draft-ietf-oauth-status-list``), from a list cached no longer than its ``ttl``: a revoked
token is refused within ``ttl`` + 1 s. Cryptography is joserfc's; nothing is hand-rolled.

A token whose list cannot be fetched is refused (:class:`StatusUnavailable`) unless the
application passes ``allow_when_status_unavailable=True``.

    verifier = Verifier("https://auth.example.com", "https://api.example.com",
                        required_roles=["billing:read"])
    claims = verifier.verify(token)          # or raises a VerifyError subclass
"""

import base64
import json
import threading
import time
import zlib

import requests
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

__all__ = [
    "Verifier", "VerifyError", "Malformed", "WrongType", "UnknownKey", "InvalidSignature",
    "Expired", "WrongIssuer", "WrongAudience", "MissingRole", "Revoked", "StatusUnavailable",
    "StatusInvalid",
    "KeysUnavailable", "bearer_token", "WsgiMiddleware",
]

JWKS_REFETCH_AFTER = 30
JWKS_RETRY_AFTER = 5
JWKS_FRESH_FOR = 300
ALGORITHMS = ["ES256", "RS256", "EdDSA"]
MAX_BODY = 1024 * 1024


class VerifyError(Exception):
    """A refused token; ``code`` is the RFC 6750 error to answer with."""
    code = "invalid_token"
    status = 401


class Malformed(VerifyError):
    pass


class WrongType(VerifyError):
    pass


class UnknownKey(VerifyError):
    pass


class InvalidSignature(VerifyError):
    pass


class Expired(VerifyError):
    pass


class WrongIssuer(VerifyError):
    pass


class WrongAudience(VerifyError):
    pass


class MissingRole(VerifyError):
    code = "insufficient_scope"
    status = 403


class Revoked(VerifyError):
    pass


class StatusUnavailable(VerifyError):
    """The list could not be fetched (the only refusal ``allow_when_status_unavailable``
    lifts)."""
    code = "temporarily_unavailable"
    status = 503


class StatusInvalid(VerifyError):
    """The list was fetched but is not valid (signature, type, subject, index): always
    refused."""


class KeysUnavailable(VerifyError):
    code = "temporarily_unavailable"
    status = 503


def _b64json(part):
    try:
        value = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (ValueError, TypeError) as e:
        raise Malformed(f"not a JWT: {e}") from e
    if not isinstance(value, dict):
        raise Malformed("not a JWT: the header is not a JSON object")
    return value


class Verifier:
    """One issuer and audience; thread-safe, keep one per process."""

    def __init__(self, issuer, audience, required_roles=(), leeway=30,
                 allow_when_status_unavailable=False, session=None, timeout=5):
        self.issuer = issuer.rstrip("/")
        self.audience = audience
        self.required_roles = list(required_roles)
        self.leeway = leeway
        self.allow_when_status_unavailable = allow_when_status_unavailable
        self.timeout = timeout
        self._http = session or requests.Session()
        self._lock = threading.Lock()
        self._keys = None
        self._keys_fetched = 0.0
        self._keys_attempt = None  # (monotonic time, failed)
        self._lists = {}

    # -- the token

    def verify(self, token):
        """The token's claims (a dict), or a :class:`VerifyError`."""
        if not isinstance(token, str) or token.count(".") != 2:
            raise Malformed("not a JWT")
        header = _b64json(token.split(".")[0])
        if str(header.get("typ", "")).lower() not in ("at+jwt", "application/at+jwt"):
            raise WrongType("the token's type is not at+jwt")
        claims = self._verified(token, header)
        now = time.time()
        if claims.get("iss") != self.issuer:
            raise WrongIssuer("the token is from another issuer")
        aud = claims.get("aud")
        if self.audience not in (aud if isinstance(aud, list) else [aud]):
            raise WrongAudience("the token is for another audience")
        for name in ("exp", "iat", "sub"):
            if name not in claims:
                raise Malformed(f"the token has no {name}")
        if not isinstance(claims["exp"], (int, float)) or claims["exp"] + self.leeway < now:
            raise Expired("the token has expired")
        if "nbf" in claims and claims["nbf"] - self.leeway > now:
            raise Expired("the token is not valid yet")
        roles = claims.get("roles") or []
        for role in self.required_roles:
            if role not in roles:
                raise MissingRole(f"the token lacks the role {role}")
        reference = (claims.get("status") or {}).get("status_list")
        if not isinstance(reference, dict):
            raise Malformed("the token carries no status list reference")
        try:
            revoked = self._bit(reference)
        except StatusUnavailable:
            if self.allow_when_status_unavailable:
                return claims
            raise
        if revoked:
            raise Revoked("the token was revoked (its status list bit is set)")
        return claims

    def _verified(self, token, header):
        if header.get("alg") not in ALGORITHMS:
            raise InvalidSignature("the token's algorithm is not accepted")
        key = self._key(header.get("kid"))
        try:
            obj = jws.deserialize_compact(token, key, algorithms=ALGORITHMS)
        except (JoseError, ValueError) as e:
            raise InvalidSignature(f"the signature is not valid: {e}") from e
        try:
            return json.loads(obj.payload)
        except ValueError as e:
            raise Malformed("the payload is not JSON") from e

    # -- keys

    def _key(self, kid):
        with self._lock:
            fresh = self._keys is not None and time.monotonic() - self._keys_fetched < JWKS_FRESH_FOR
            key = self._find(kid) if fresh else None
            if key is not None:
                return key
            attempt, now = self._keys_attempt, time.monotonic()
            if attempt is None:
                due = True
            elif attempt[1]:  # the last attempt failed
                due = now - attempt[0] >= JWKS_RETRY_AFTER
            else:
                due = not fresh or now - attempt[0] >= JWKS_REFETCH_AFTER
            if due:
                try:
                    body = self._get(f"{self.issuer}/.well-known/jwks.json", "application/json", KeysUnavailable)
                    keys = KeySet.import_key_set(json.loads(body))
                except (KeysUnavailable, JoseError, ValueError, TypeError) as e:
                    self._keys_attempt = (time.monotonic(), True)
                    raise KeysUnavailable(f"the issuer's keys could not be had: {e}") from e
                self._keys, self._keys_fetched = keys, time.monotonic()
                self._keys_attempt = (self._keys_fetched, False)
            elif not fresh:
                raise KeysUnavailable("the issuer's keys could not be fetched lately")
            key = self._find(kid)
            if key is None:
                raise UnknownKey(f"the token is signed by a key the issuer does not publish ({kid})")
            return key

    def _find(self, kid):
        for key in self._keys.keys if self._keys else []:
            if key.kid == kid:
                return key
        return None

    def _get(self, url, accept, error):
        try:
            res = self._http.get(url, headers={"Accept": accept, "Accept-Encoding": "identity"},
                                 timeout=self.timeout, allow_redirects=False, stream=True)
            body = res.raw.read(MAX_BODY + 1, decode_content=False)
        except requests.RequestException as e:
            raise error(f"{url}: {e}") from e
        if res.status_code != 200:
            raise error(f"{url} answered {res.status_code}")
        if len(body) > MAX_BODY:
            raise error(f"{url} is larger than 1 MiB")
        return body

    # -- status lists

    def _bit(self, reference):
        uri, idx = reference.get("uri"), reference.get("idx")
        if not isinstance(uri, str) or not uri.startswith(f"{self.issuer}/statuslists/"):
            raise StatusInvalid(f"{uri} is not the issuer's status list")
        if not isinstance(idx, int) or isinstance(idx, bool) or idx < 0:
            raise StatusInvalid("the token's status index is not a number")
        with self._lock:
            cached = self._lists.get(uri)
        if cached is None or time.monotonic() >= cached[1]:
            bits, ttl = self._fetch_list(uri)
            cached = (bits, time.monotonic() + ttl)
            with self._lock:
                self._lists[uri] = cached
        bits = cached[0]
        if idx // 8 >= len(bits):
            raise StatusInvalid(f"index {idx} is outside the list")
        return (bits[idx // 8] >> (idx % 8)) & 1 == 1

    def _fetch_list(self, uri):
        body = self._get(uri, "application/statuslist+jwt", StatusUnavailable)
        token = body.decode("ascii", "replace").strip()
        if token.count(".") != 2:
            raise StatusInvalid("the status list is not a JWT")
        try:
            header = _b64json(token.split(".")[0])
        except Malformed as e:
            raise StatusInvalid(str(e)) from e
        if header.get("typ") != "statuslist+jwt":
            raise StatusInvalid("the list's type is not statuslist+jwt")
        try:
            claims = self._verified(token, header)
        except KeysUnavailable as e:
            raise StatusUnavailable(str(e)) from e
        except VerifyError as e:
            raise StatusInvalid(f"the list does not verify: {e}") from e
        now = time.time()
        exp = claims.get("exp")
        if claims.get("sub") != uri:
            raise StatusInvalid("the list is not the one the token names")
        if not isinstance(exp, (int, float)) or exp + self.leeway < now:
            raise StatusInvalid("the list has expired")
        status_list = claims.get("status_list")
        if not isinstance(status_list, dict) or status_list.get("bits") != 1:
            raise StatusInvalid("the list does not have one bit per token")
        try:
            lst = status_list["lst"]
            bits = zlib.decompressobj().decompress(
                base64.urlsafe_b64decode(lst + "=" * (-len(lst) % 4)), MAX_BODY * 8)
        except (KeyError, TypeError, ValueError, zlib.error) as e:
            raise StatusInvalid(f"the list's bits are not ZLIB: {e}") from e
        ttl = claims.get("ttl")
        ttl = ttl if isinstance(ttl, int) and not isinstance(ttl, bool) else 0
        return bits, max(0, min(ttl, 300, exp - now))


def bearer_token(authorization):
    """The token of an ``Authorization: Bearer …`` header value, or None."""
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip() or None
    return None


class WsgiMiddleware:
    """Refuses requests without a valid token (RFC 6750 answers); puts the claims in
    ``environ["orgauth.claims"]``. For ASGI apps, call ``verifier.verify`` in a dependency
    (FastAPI) or middleware with ``bearer_token(headers["authorization"])``."""

    def __init__(self, app, verifier):
        self.app = app
        self.verifier = verifier

    def __call__(self, environ, start_response):
        token = bearer_token(environ.get("HTTP_AUTHORIZATION"))
        try:
            if token is None:
                raise Malformed("no bearer token")
            environ["orgauth.claims"] = self.verifier.verify(token)
        except VerifyError as e:
            body = json.dumps({"error": e.code, "error_description": str(e)}).encode()
            reason = {401: "Unauthorized", 403: "Forbidden", 503: "Service Unavailable"}[e.status]
            description = str(e).replace('"', "'")
            start_response(f"{e.status} {reason}", [
                ("Content-Type", "application/json"),
                ("WWW-Authenticate", f'Bearer error="{e.code}", error_description="{description}"'),
            ])
            return [body]
        return self.app(environ, start_response)
