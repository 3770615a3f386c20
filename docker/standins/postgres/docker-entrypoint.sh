#!/bin/sh
# What the official postgres image's entrypoint does that docker-compose.yml relies on: on
# an empty data directory, initdb with POSTGRES_USER / POSTGRES_PASSWORD, create
# POSTGRES_DB, listen on every address with password authentication; then run the server
# as the postgres user.
set -eu
: "${PGDATA:=/var/lib/postgresql/data}"
if [ "${1:-}" = postgres ] && [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [ "${1:-}" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  user="${POSTGRES_USER:-postgres}"
  db="${POSTGRES_DB:-$user}"
  method="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$method" != trust ]; then
    echo "error: POSTGRES_PASSWORD is not set (or set POSTGRES_HOST_AUTH_METHOD=trust)" >&2
    exit 1
  fi
  pwfile="$(mktemp)"
  printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
  if [ -n "${POSTGRES_PASSWORD:-}" ]; then pwopt="--pwfile=$pwfile"; else pwopt=""; fi
  # shellcheck disable=SC2086
  initdb --pgdata="$PGDATA" --username="$user" $pwopt --auth-local=trust --auth-host="$method" \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  {
    echo "listen_addresses = '*'"
    echo "unix_socket_directories = '/var/run/postgresql'"
  } >>"$PGDATA/postgresql.conf"
  echo "host all all all $method" >>"$PGDATA/pg_hba.conf"
  pg_ctl --pgdata="$PGDATA" --options="-c listen_addresses=''" --wait --silent start
  if [ "$db" != postgres ]; then
    createdb --username="$user" "$db"
  fi
  pg_ctl --pgdata="$PGDATA" --mode=fast --wait --silent stop
  echo "PostgreSQL init process complete; ready for start up."
fi
exec "$@"
