#!/usr/bin/env bash
# Runs FerretDB's own Go tests of the packages our patches touch, on the patched source, plus the tests the
# patches add (internal/backends/sqlite/pushdown_test.go: no missed match for tricky values of every pushed
# type; EXPLAIN QUERY PLAN uses the indexes; sort_pushdown_test.go: a pushed-down sort is MongoDB's order;
# clientconn/nan_test.go: requests are still checked for NaNs; common/projection_fast_test.go and
# projection_exclusion_test.go: a top-level inclusion or exclusion projection in one pass answers as the general
# one, and projection_paths_test.go for fields one level down; handlerparams/field_tags_test.go: parameters read
# through tags parsed once answer as before; util/fsql/reusable_prepared_test.go: the patched SQLite driver's kept
# prepared queries answer as fresh ones; handler/msg_createindexes_existing_test.go: indexes that exist are left and
# the others in the same request built; handler/msg_update_many_test.go: an update command of 250 statements answers;
# common/fields_needed_within_test.go and sjson/unmarshal_fields_test.go: a find decodes only the members it reads
# (0027); sjson/members_in_order_test.go: members read in the schema's order answer as through a map (0028);
# sjson/object_id_fast_test.go: ObjectIDs decoded in place answer as through a string (0029); util/iterator's
# TestConsumeValuesNRoomGrowsWithValues: a batch makes room as its documents come (0030)).
# They use SQLite files in a temporary folder and need no network once the Go modules are in the module cache.
# Extra arguments go to `go test` (scripts/run-tests.ts passes -json).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${PATHWAYS_CACHE_DIR:-$root/.cache}"

command -v go >/dev/null 2>&1 || { echo "go: not found" >&2; exit 127; }

cd "$here"
version="$(go list -m -f '{{.Version}}' github.com/FerretDB/FerretDB)"
mkdir -p "$cache"
# A fixed folder and -trimpath let the Go build cache serve the next run.
src="$cache/ferretdb-test-src-$version"
trap 'rm -rf "$src"' EXIT
# shellcheck source=prepare.sh
source "$here/prepare.sh"
prepare_ferretdb_source "$src" >&2
cd "$src"
CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local go test -trimpath -count=1 "$@" \
  ./internal/backends/sqlite/... ./internal/handler/ ./internal/handler/common/ ./internal/handler/sjson/ \
  ./internal/handler/handlerparams/ ./internal/util/resource/ ./internal/util/fsql/ ./internal/clientconn/ \
  ./internal/util/iterator/
