"""How long after a revocation a resource server using the Python package refuses the token
(bench/status_lists.sh): ROUNDS times, a fresh token is verified (warm caches), revoked, then
verified every 10 ms until refused. Prints p50 and p99 in milliseconds.

    PYTHONPATH=verifiers/python python bench/status_latency.py ISSUER ID SECRET [ROUNDS]
"""
import math
import sys
import time

import requests
from orgauth_verifier import Revoked, Verifier

issuer, client_id, secret = sys.argv[1:4]
rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 50
verifier = Verifier(issuer, issuer)
took = []
for _ in range(rounds):
    token = requests.post(f"{issuer}/oauth/token", auth=(client_id, secret),
                          data={"grant_type": "client_credentials", "audience": issuer}).json()["access_token"]
    while True:
        try:
            verifier.verify(token)
            break
        except Exception:
            time.sleep(0.01)
    revoked = time.monotonic()
    requests.post(f"{issuer}/oauth/revoke", auth=(client_id, secret), data={"token": token})
    while True:
        try:
            verifier.verify(token)
            time.sleep(0.01)
        except Revoked:
            break
    took.append((time.monotonic() - revoked) * 1000)
took.sort()
at = lambda q: took[min(len(took), max(1, math.ceil(len(took) * q))) - 1]
print(f"python p50_ms={at(0.5):.0f} p99_ms={at(0.99):.0f} rounds={rounds}")
