#!/usr/bin/env python3
"""Signs a bench person in without a browser: a user who is platform:admin of the bootstrap
organization, with a session row whose cookie value is printed (the store keeps only its
SHA-256, base64url, as the server does). For measuring the cookie-authenticated admin API;
sign-in itself is tested with passkeys in tests/api/people.rs.

    session.py DATABASE_URL     # prints "COOKIE CSRF ORG_ID"
"""
import base64
import hashlib
import secrets
import sqlite3
import subprocess
import sys

url = sys.argv[1]
cookie = secrets.token_urlsafe(32)
csrf = secrets.token_urlsafe(24)
token_hash = base64.urlsafe_b64encode(hashlib.sha256(cookie.encode()).digest()).rstrip(b"=").decode()
user, session = "usr_bench", "ses_bench_" + secrets.token_hex(6)

statements = [
    "INSERT INTO users (id, email, name, disabled, webauthn_id, created_at) "
    "VALUES ('usr_bench', 'bench@example.com', 'bench person', FALSE, "
    "'00000000-0000-4000-8000-000000000001', CURRENT_TIMESTAMP) ON CONFLICT (id) DO NOTHING",
    "INSERT INTO memberships (user_id, org_id, role, created_at) "
    "SELECT 'usr_bench', id, 'platform:admin', CURRENT_TIMESTAMP FROM organizations WHERE platform "
    "ON CONFLICT (user_id, org_id) DO NOTHING",
    "INSERT INTO sessions (id, token_hash, user_id, csrf_token, method, created_at, authenticated_at, "
    f"last_seen_at, expires_at) VALUES ('{session}', '{token_hash}', '{user}', '{csrf}', 'passkey', "
    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP + INTERVAL '12 hours')",
]
if url.startswith(("postgres://", "postgresql://")):
    subprocess.run(["psql", url, "-q", *sum((["-c", s] for s in statements), [])], check=True)
    org = subprocess.run(["psql", url, "-Atc", "SELECT id FROM organizations WHERE platform"],
                         check=True, capture_output=True, text=True).stdout.strip()
else:
    db = sqlite3.connect(url.removeprefix("sqlite://"), timeout=30)
    for s in statements:
        s = s.replace("CURRENT_TIMESTAMP + INTERVAL '12 hours'", "datetime('now', '+12 hours')")
        s = s.replace("CURRENT_TIMESTAMP", "strftime('%Y-%m-%d %H:%M:%f', 'now')")
        db.execute(s)
    db.commit()
    org = db.execute("SELECT id FROM organizations WHERE platform").fetchone()[0]
print(cookie, csrf, org)
