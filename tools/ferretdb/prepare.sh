# Sourced by build.sh and test.sh (run from tools/ferretdb): copies the pinned FerretDB source out of the
# read-only Go module cache into $1, adds the version file FerretDB#2982 requires, applies our patches
# (patches/*.patch, in order; each explains itself in its header), and patches its SQLite driver (below).
prepare_ferretdb_source() {
  local src="$1" p
  go mod download github.com/FerretDB/FerretDB
  local src_in_modcache
  src_in_modcache="$(go list -m -f '{{.Dir}}' github.com/FerretDB/FerretDB)"
  rm -rf "$src"
  cp -r "$src_in_modcache" "$src"; chmod -R u+w "$src"
  echo "$version" > "$src/build/version/version.txt"
  echo "sqlite" > "$src/build/version/package.txt"
  for p in "$here"/patches/*.patch; do
    [ -e "$p" ] || continue
    # The ceiling keeps git from taking our own repository (around .cache) for the patch's target.
    ( cd "$src" && GIT_CEILING_DIRECTORIES="$(dirname "$src")" git apply -p1 "$p" )
  done
  prepare_sqlite_driver "$src"
}

# FerretDB's SQLite driver, modernc.org/sqlite at the version FerretDB pins, with our patches (sqlite-patches/*.patch,
# each explains itself in its header): copied into $1/third_party/modernc-sqlite and named by a replace directive in
# FerretDB's go.mod. The module is 230 MB, nearly all of it SQLite's C translated to Go, which we do not change, so its
# files are hard-linked from the module cache where the file system allows (copied otherwise); each file a patch
# changes is made a copy of its own first, so the module cache is never written to.
prepare_sqlite_driver() {
  local src="$1" p f driver_version driver_in_modcache
  local driver="$src/third_party/modernc-sqlite"
  driver_version="$(awk '$1 == "modernc.org/sqlite" { print $2 }' "$src/go.mod")"
  driver_in_modcache="$(go mod download -json "modernc.org/sqlite@$driver_version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -d "$driver_in_modcache" ] || { echo "modernc.org/sqlite@$driver_version: not in the module cache" >&2; return 1; }
  mkdir -p "$src/third_party"
  # A failed link (another file system) may leave part of the tree behind: it is removed before the copy.
  cp -al "$driver_in_modcache" "$driver" 2>/dev/null || { rm -rf "$driver" && cp -r "$driver_in_modcache" "$driver"; }
  find "$driver" -type d -exec chmod u+w {} +
  for p in "$here"/sqlite-patches/*.patch; do
    [ -e "$p" ] || continue
    for f in $(sed -n 's#^+++ b/##p' "$p"); do
      cp --remove-destination "$driver_in_modcache/$f" "$driver/$f"
      chmod u+w "$driver/$f"
    done
    ( cd "$driver" && GIT_CEILING_DIRECTORIES="$(dirname "$driver")" git apply -p1 "$p" )
  done
  ( cd "$src" && go mod edit -replace "modernc.org/sqlite=./third_party/modernc-sqlite" )
}
