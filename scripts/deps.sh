#!/bin/sh
# Install the Debian 12 packages hotline builds and tests with, then the
# browser tests' npm packages (playwright-core, pinned by
# tests/browser/package-lock.json; `npm ci`, no browser download: the tests
# drive Debian's chromium). Silent and quick when everything is there.
set -eu

PKGS="build-essential cmake pkg-config clang-14 libfuzzer-14-dev
libssl-dev openssl libevent-dev libsqlite3-dev sqlite3 libjansson-dev
libinih-dev libcurl4-openssl-dev libcmocka-dev python3 iproute2 procps
nftables golang-go golang-golang-x-mod-dev libargon2-dev libsodium-dev
chromium"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
# node and npm: Debian's nodejs + npm, unless a node with npm is there.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	missing="$missing nodejs npm"
fi

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps.sh: missing packages:$missing (run as root to install)" >&2
		exit 1
	fi
	echo "deps.sh: installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# The browser tests' packages, exactly as locked.
browser="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
if [ ! -f "$browser/node_modules/playwright-core/package.json" ] ||
    [ "$browser/package-lock.json" -nt "$browser/node_modules/.package-lock.json" ]; then
	echo "deps.sh: npm ci in tests/browser" >&2
	(cd "$browser" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit \
	    --no-fund --loglevel=error >/dev/null)
fi
