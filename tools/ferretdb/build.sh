#!/usr/bin/env bash
# Builds the pinned FerretDB into .cache/bin/ferretdb, once per pinned version.
#
# Why not just `go build` the tool: FerretDB's build/version package panics at start-up unless
# build/version/version.txt exists whenever the binary's main module is github.com/FerretDB/FerretDB
# (FerretDB#2982). That file is git-ignored upstream, so it is missing from the module zip, and Go 1.24+
# records a tool built from our module with FerretDB as its main module. So we take the exact source
# the tool directive pins (from the Go module proxy, checksummed by our go.sum), copy it out of the
# read-only module cache, add the version file, apply our patches (tools/ferretdb/patches, each one
# explained in its header and in the README), and build that copy. Nothing here goes into git.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${PATHWAYS_CACHE_DIR:-$root/.cache}"
bin="$cache/bin/ferretdb"

command -v go >/dev/null 2>&1 || { echo "go: not found" >&2; exit 127; }

cd "$here"
version="$(go list -m -f '{{.Version}}' github.com/FerretDB/FerretDB)"
# The build is identified by the pinned version and the patches' content (FerretDB's and its SQLite driver's):
# changing either rebuilds it.
patches_sum="$(cat "$here"/patches/*.patch "$here"/sqlite-patches/*.patch 2>/dev/null | sha256sum | cut -c1-12)"
build_id="$version+patches.$patches_sum"
if [ -x "$bin" ] && [ "$(cat "$bin.version" 2>/dev/null)" = "$build_id" ]; then
  echo "$bin"; exit 0
fi

echo "Building FerretDB $version (first run only; about a minute on 2 cores)..." >&2
src="$cache/ferretdb-src-$version"
mkdir -p "$cache/bin"
# shellcheck source=prepare.sh
source "$here/prepare.sh"
prepare_ferretdb_source "$src"
( cd "$src" && CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local go build -trimpath -o "$bin.tmp" ./cmd/ferretdb )
mv "$bin.tmp" "$bin"
echo "$build_id" > "$bin.version"
rm -rf "$src"
echo "$bin"
