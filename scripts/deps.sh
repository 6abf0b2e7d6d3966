#!/bin/sh
# Install the Debian 12 packages hotline builds and tests with. Silent and
# quick when everything is already there.
set -eu

PKGS="build-essential cmake pkg-config clang-14 libfuzzer-14-dev
libssl-dev openssl libevent-dev libsqlite3-dev sqlite3 libjansson-dev
libinih-dev libcurl4-openssl-dev libcmocka-dev python3 iproute2 procps
nftables golang-go golang-golang-x-mod-dev"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages:$missing (run as root to install)" >&2
	exit 1
fi
echo "deps.sh: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
