#!/usr/bin/env bash
# Makes a private CA (once per folder) and a certificate signed by it, with
# the `openssl` command, for the replication link's TLS (docs/security.md
# "TLS"):
#
#   scripts/tls-certs.sh DIR NAME SAN
#
# DIR/ca.crt and DIR/ca.key: the CA, made when missing (give ca.crt to the
# other side as TLS_CA). DIR/NAME.crt and DIR/NAME.key: a certificate for
# SAN, a subjectAltName list such as "IP:127.0.0.1,DNS:localhost" (what the
# slave connects to, for a master; anything, for a slave's client
# certificate). Keys are ECDSA P-256, mode 0600; certificates last 825 days.
# Prints nothing on success.
set -euo pipefail

[ $# -eq 3 ] || { echo "usage: scripts/tls-certs.sh DIR NAME SAN" >&2; exit 2; }
dir=$1 name=$2 san=$3
command -v openssl >/dev/null || { echo "tls-certs: openssl not found: run scripts/install-deps.sh" >&2; exit 1; }

mkdir -p "$dir"
umask 077
log="$dir/openssl.log"
run() { "$@" >>"$log" 2>&1 || { echo "tls-certs: $1 failed, see $log" >&2; exit 1; }; }

if [ ! -f "$dir/ca.crt" ] || [ ! -f "$dir/ca.key" ]; then
  run openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" -days 825 -subj "/CN=sqlrepl private CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
fi
printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n' "$san" \
  >"$dir/$name.ext"
run openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$dir/$name.key" -out "$dir/$name.csr" -subj "/CN=$name"
run openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
  -out "$dir/$name.crt" -days 825 -extfile "$dir/$name.ext"
rm -f "$dir/$name.csr" "$dir/$name.ext" "$log"
