# Sourced by build.sh and test.sh (run from tools/ferretdb): copies the pinned FerretDB source out of the
# read-only Go module cache into $1, adds the version file FerretDB#2982 requires, and applies our patches
# (patches/*.patch, in order; each explains itself in its header).
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
}
