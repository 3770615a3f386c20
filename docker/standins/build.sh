#!/usr/bin/env bash
# Stand-in base images for machines that reach Debian's mirrors and PyPI but no container
# registry: python:3.11-slim, redis:7 and postgres:16 built from Debian bookworm with
# debootstrap, so the project's own Dockerfile and docker-compose.yml run unchanged.
# A test aid (make compose-test), not what production runs: where the real images can be
# pulled, they are already present and nothing is built.
#
#   docker/standins/build.sh            build every stand-in whose tag is absent
#   docker/standins/build.sh --print    print the tags it would build, build nothing
#
# Each image is a debootstrap root file system (cached as a tarball in
# .cache/standins/, git-ignored, so a second build takes seconds) imported into the
# engine, then a short Dockerfile in docker/standins/<name>/ that needs no network.
# The root file systems trust the host's certificate authorities, so pip inside the
# builds that start FROM them works behind a TLS-inspecting proxy.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CACHE="${STANDIN_CACHE:-$REPO/.cache/standins}"
SUITE=bookworm
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
DOCKER="${DOCKER:-docker}"
# PostgreSQL 16 comes from the pgserver wheel, the build `make run` and `make test` embed
# (bookworm itself ships 15, and apt.postgresql.org may not be reachable). The python
# stand-in is built first: it fetches and unpacks that wheel.
PGSERVER_VERSION="$(sed -n 's/^pgserver==//p' "$REPO/requirements-local.txt")"

# Part of the cache key, with the suite and the packages: bump it when rootfs() changes.
RECIPE=1

declare -A TAG=([python]="python:3.11-slim" [redis]="redis:7" [postgres]="postgres:16")
declare -A PACKAGES=(
  [python]="ca-certificates,python3,python3-pip,python-is-python3"
  [redis]="redis-server"
  [postgres]="ca-certificates"
)

log() { echo "    [standins] $*"; }

# The root file system of one image, as a tarball in the cache (built when absent).
rootfs() {
  local name=$1
  local key
  key="$(printf '%s %s %s %s' "$RECIPE" "$SUITE" "${PACKAGES[$name]}" "$PGSERVER_VERSION" | sha256sum | cut -c1-12)"
  local tarball="$CACHE/$name-$SUITE-$key.tar"
  if [ -s "$tarball" ]; then
    echo "$tarball"
    return
  fi
  command -v debootstrap >/dev/null || { echo "debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
  mkdir -p "$CACHE/debs"
  local root
  root="$(mktemp -d "$CACHE/$name-root.XXXXXX")"
  log "debootstrap $SUITE for $name (${PACKAGES[$name]}), from $MIRROR" >&2
  if ! debootstrap --variant=minbase --include="${PACKAGES[$name]}" --cache-dir="$CACHE/debs" \
      "$SUITE" "$root" "$MIRROR" >"$root.log" 2>&1; then
    tail -20 "$root.log" >&2
    rm -rf "$root" "$root.log"
    exit 1
  fi
  # The host's extra certificate authorities (a TLS-inspecting proxy's among them).
  if [ -d "$root/usr/share/ca-certificates" ]; then
    cp -r /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
    chroot "$root" update-ca-certificates >/dev/null
  fi
  if [ "$name" = postgres ]; then
    local wheels="$CACHE/wheels"
    mkdir -p "$wheels"
    # Fetched and unpacked by the python stand-in (built first), so the host needs no pip.
    ls "$wheels"/pgserver-"$PGSERVER_VERSION"-*.whl >/dev/null 2>&1 \
      || "$DOCKER" run --rm --network host -v "$wheels:/wheels" "${TAG[python]}" \
        pip download --quiet --no-deps --only-binary=:all: -d /wheels "pgserver==$PGSERVER_VERSION" >&2
    mkdir -p "$root/opt/pgserver"
    "$DOCKER" run --rm --network none -v "$wheels:/wheels:ro" -v "$root/opt/pgserver:/out" "${TAG[python]}" \
      sh -c "python -m zipfile -e /wheels/pgserver-$PGSERVER_VERSION-*.whl /out"
    chmod -R a+rX "$root/opt/pgserver"
    chmod a+x "$root"/opt/pgserver/pgserver/pginstall/bin/*
  fi
  # What an image does not need: apt's lists and caches, documentation, manual pages.
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/*
  tar -C "$root" --numeric-owner -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  # The tarball of an older recipe for this image is of no further use.
  find "$CACHE" -maxdepth 1 -name "$name-$SUITE-*.tar" ! -name "$(basename "$tarball")" -delete
  rm -rf "$root" "$root.log"
  echo "$tarball"
}

build() {
  local name=$1 tag=${TAG[$1]}
  local tarball base="clicknback-standin/$name-rootfs:$SUITE"
  tarball="$(rootfs "$name")"
  log "importing $(basename "$tarball") as $base"
  "$DOCKER" import "$tarball" "$base" >/dev/null
  log "building $tag from docker/standins/$name"
  "$DOCKER" build --quiet --network none --build-arg "BASE=$base" -t "$tag" "$HERE/$name" >/dev/null
  "$DOCKER" rmi "$base" >/dev/null
}

missing=()
for name in python redis postgres; do
  "$DOCKER" image inspect "${TAG[$name]}" >/dev/null 2>&1 || missing+=("$name")
done
if [ "${1:-}" = --print ]; then
  for name in "${missing[@]}"; do echo "${TAG[$name]}"; done
  exit 0
fi
for name in "${missing[@]}"; do build "$name"; done
