#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages: Debian's chromium (for the browser tests)
# and the pinned FerretDB build (the test database). Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium for the browser tests..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    echo "Installing Debian's chromium for the browser tests (sudo)..."
    sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "The browser tests need Chromium. Install it with: sudo apt-get install chromium" >&2
    echo "(or set CHROMIUM_PATH to a Chromium or Chrome binary) and run npm test again." >&2
    [ -n "${CHROMIUM_PATH:-}" ] || exit 1
  fi
fi

if [ -z "${MONGODB_URI:-}" ]; then
  if command -v go >/dev/null 2>&1; then
    bash tools/ferretdb/build.sh >/dev/null
  elif ! command -v mongod >/dev/null 2>&1; then
    echo "The tests need a database: install Go (to build the embedded FerretDB), or mongod, or set MONGODB_URI." >&2
    exit 1
  fi
fi
