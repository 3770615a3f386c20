#!/bin/sh
# What the official redis image's entrypoint does: run redis-server as the redis user,
# listening to other containers (the official build turns protected mode off by default).
set -eu
if [ "${1:-}" = redis-server ]; then
  shift
  case "${1:-}" in
    "" | -*) set -- redis-server --protected-mode no "$@" ;;
    *) config=$1; shift; set -- redis-server "$config" --protected-mode no "$@" ;;
  esac
  if [ "$(id -u)" = 0 ]; then
    exec setpriv --reuid=redis --regid=redis --init-groups "$@"
  fi
fi
exec "$@"
