#!/bin/sh
# Creates the compose secrets once (deploy/compose/secrets/, git-ignored, a directory only you can open): the
# database password, the DATABASE_URL that carries it, and the key-encryption key that seals
# orgauth's signing keys. Keep them: a new key-encryption key cannot open the stored keys.
set -eu
dir=$(dirname "$0")/secrets
mkdir -p "$dir"
umask 077
if [ -e "$dir/kek" ]; then
  echo "$dir already holds secrets; not overwriting them" >&2
  exit 1
fi
password=$(openssl rand -hex 24)
printf '%s' "$password" >"$dir/db_password"
printf 'postgres://orgauth:%s@db:5432/orgauth' "$password" >"$dir/database_url"
openssl rand -base64 32 >"$dir/kek"
# Compose (without Swarm) bind-mounts these files with their host owner and mode: the
# containers' users (orgauth is uid 10001) must be able to read them. The directory stays
# private to you.
chmod 0700 "$dir"
chmod 0444 "$dir"/*
echo "secrets written to $dir"
