#!/usr/bin/env python3
"""Prints N access tokens of one client, one per line (one keep-alive connection).

    tokens.py PORT BASIC N        # BASIC: base64 of id:secret
"""
import http.client
import json
import sys

port, basic, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
conn = http.client.HTTPConnection("127.0.0.1", port)
headers = {
    "Authorization": f"Basic {basic}",
    "Content-Type": "application/x-www-form-urlencoded",
}
for _ in range(n):
    conn.request("POST", "/oauth/token", "grant_type=client_credentials", headers)
    res = conn.getresponse()
    body = res.read()
    if res.status != 200:
        sys.exit(f"token request answered {res.status}: {body!r}")
    print(json.loads(body)["access_token"])
