#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages: Debian's chromium-headless-shell and openssl (for the browser
# tests)
# and the pinned FerretDB build (the test database). Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: chromium-headless-shell (browser tests: Debian's Chromium build without the desktop browser's
# windows, the headless browser Playwright itself runs; README, Tests) and openssl (the embedded-LTI browser test's TLS
# certificate).
missing=()
command -v chromium-headless-shell >/dev/null 2>&1 || [ -n "${CHROMIUM_PATH:-}" ] || missing+=(chromium-headless-shell)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian packages for the browser tests: ${missing[*]}..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    echo "Installing Debian packages for the browser tests (sudo): ${missing[*]}..."
    sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "The browser tests need: ${missing[*]}. Install with: sudo apt-get install ${missing[*]}" >&2
    echo "(for Chromium, CHROMIUM_PATH may name a Chromium or Chrome binary instead) and run npm test again." >&2
    exit 1
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
