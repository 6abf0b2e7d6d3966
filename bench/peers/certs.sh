#!/bin/sh
# certs.sh DIR: writes a throwaway certificate authority and a server and a
# client certificate (ECDSA P-256, signed by that CA) into DIR, for mutual
# TLS 1.3 between the load clients and the peer brokers on 127.0.0.1.
# Files: ca.crt ca.key server.crt server.key client.crt client.key.
# Nothing here is secret: DIR is a benchmark scratch directory.
set -eu

[ $# -eq 1 ] || { echo "usage: certs.sh DIR" >&2; exit 2; }
dir=$1
mkdir -p "$dir"
cd "$dir"
[ -s ca.crt ] && [ -s server.crt ] && [ -s client.crt ] && exit 0

q() { "$@" >/dev/null 2>&1 || { echo "certs.sh: failed: $*" >&2; exit 1; }; }

q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout ca.key -out ca.crt -days 30 -subj "/CN=bench-peers CA" \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign"

for who in server client; do
	if [ "$who" = server ]; then
		ext="subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth
keyUsage=critical,digitalSignature
basicConstraints=CA:FALSE"
	else
		ext="extendedKeyUsage=clientAuth
keyUsage=critical,digitalSignature
basicConstraints=CA:FALSE"
	fi
	printf '%s\n' "$ext" > "$who.ext"
	q openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$who.key" -out "$who.csr" -subj "/CN=bench-$who"
	q openssl x509 -req -in "$who.csr" -CA ca.crt -CAkey ca.key \
		-CAcreateserial -out "$who.crt" -days 30 -extfile "$who.ext"
	rm -f "$who.csr" "$who.ext"
done
# mosquitto runs as its own user when started as root; it must read these.
chmod 644 ca.crt server.crt client.crt server.key client.key
exit 0
