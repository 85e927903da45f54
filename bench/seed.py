#!/usr/bin/env python3
"""Adds bench clients (bench-<n>) to an orgauth database, up to a total count, all sharing the
bootstrap client's secret hash (so one known secret authenticates each of them).

    seed.py DATABASE_URL BOOTSTRAP_CLIENT_ID UP_TO
"""
import sqlite3
import subprocess
import sys

url, bootstrap_id, up_to = sys.argv[1], sys.argv[2], int(sys.argv[3])
columns = "id, org_id, name, secret_hash, secret_hint, created_at, updated_at"

if url.startswith(("postgres://", "postgresql://")):
    sql = f"""
    INSERT INTO clients ({columns})
    SELECT 'bench-' || i, c.org_id, 'bench ' || i, c.secret_hash, c.secret_hint,
           now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
    FROM clients c, generate_series(1, {up_to}) i
    WHERE c.id = '{bootstrap_id}'
    ON CONFLICT (id) DO NOTHING;
    ANALYZE clients;
    """
    subprocess.run(["psql", url, "-qc", sql], check=True)
else:
    db = sqlite3.connect(url.removeprefix("sqlite://"), timeout=30)
    db.execute(f"""
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {up_to})
    INSERT OR IGNORE INTO clients ({columns})
    SELECT 'bench-' || i, c.org_id, 'bench ' || i, c.secret_hash, c.secret_hint,
           strftime('%Y-%m-%d %H:%M:%f', 'now'), strftime('%Y-%m-%d %H:%M:%f', 'now')
    FROM clients c, n WHERE c.id = ?
    """, (bootstrap_id,))
    db.commit()
