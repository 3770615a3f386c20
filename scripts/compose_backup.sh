#!/usr/bin/env bash
# Backups of a compose deployment's database (docs/docker.md): pg_dump and pg_restore run
# inside the postgres container, the dump lives in a folder on the host.
#
#   scripts/compose_backup.sh backup [DIR]   write DIR/clicknback-<UTC time>.dump (default
#                                            DIR: backups/), print its path
#   scripts/compose_backup.sh restore FILE   replace the database's contents with FILE's;
#                                            web, worker and beat are stopped meanwhile
#
# The dump is pg_dump's custom format (compressed, restorable table by table). The compose
# project is the one of this repository (COMPOSE_PROJECT_NAME and .env are honoured), on
# compose v2 (`docker compose`) or v1.29 (`docker-compose`).
set -euo pipefail
cd "$(dirname "$0")/.."

compose() {
  if docker compose version >/dev/null 2>&1; then docker compose "$@"; else docker-compose "$@"; fi
}

usage() {
  echo "usage: $0 backup [DIR] | restore FILE" >&2
  exit 2
}

backup() {
  local dir=${1:-backups}
  mkdir -p "$dir"
  local file
  file="$dir/clicknback-$(date -u +%Y%m%dT%H%M%SZ).dump"
  compose exec -T postgres sh -c 'pg_dump --format=custom --username="$POSTGRES_USER" --dbname="$POSTGRES_DB"' \
    >"$file.partial"
  # A dump that pg_restore cannot list is no backup.
  compose exec -T postgres pg_restore --list >/dev/null <"$file.partial"
  mv "$file.partial" "$file"
  echo "$file"
}

restore() {
  local file=${1:-}
  [ -s "$file" ] || { echo "no such dump: '$file'" >&2; exit 2; }
  local running stopped=()
  running="$(compose ps --services --filter status=running)"
  for service in web worker beat; do
    if grep -qx "$service" <<<"$running"; then stopped+=("$service"); fi
  done
  if [ ${#stopped[@]} -gt 0 ]; then compose stop "${stopped[@]}"; fi
  compose exec -T postgres sh -c 'pg_restore --clean --if-exists --no-owner --exit-on-error --single-transaction \
    --username="$POSTGRES_USER" --dbname="$POSTGRES_DB"' <"$file"
  if [ ${#stopped[@]} -gt 0 ]; then compose start "${stopped[@]}"; fi
  echo "restored $file"
}

case "${1:-}" in
  backup) shift; backup "$@" ;;
  restore) shift; restore "$@" ;;
  *) usage ;;
esac
