#!/usr/bin/env bash
# Test certificates, made fresh for each test with openssl: a CA of its own
# (the only one the test's clients trust) and server certificates it signs,
# for 127.0.0.1 and localhost, EC P-256, each with a random serial.
#   certs.sh DIR             ca.pem, ca.key, then cert.pem and key.pem
#   certs.sh DIR leaf NAME   NAME.pem and NAME.key, signed by DIR's CA
set -euo pipefail
dir=$1
umask 077
leaf() {
  local name=$1
  openssl ecparam -name prime256v1 -genkey -noout -out "$dir/$name.key.tmp"
  openssl pkcs8 -topk8 -nocrypt -in "$dir/$name.key.tmp" -out "$dir/$name.key"
  rm -f "$dir/$name.key.tmp"
  openssl req -new -key "$dir/$name.key" -subj "/CN=jwtkeep test $name" -out "$dir/$name.csr" 2>/dev/null
  printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=CA:FALSE" \
    "keyUsage=digitalSignature" "extendedKeyUsage=serverAuth" > "$dir/$name.ext"
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 2 -sha256 -extfile "$dir/$name.ext" \
    -out "$dir/$name.pem" 2>/dev/null
  rm -f "$dir/$name.csr" "$dir/$name.ext"
}
if [ "${2:-}" = leaf ]; then
  leaf "$3"
  exit 0
fi
mkdir -p "$dir"
openssl ecparam -name prime256v1 -genkey -noout -out "$dir/ca.key"
openssl req -x509 -new -key "$dir/ca.key" -subj "/CN=jwtkeep test CA" -days 2 -sha256 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
  -out "$dir/ca.pem" 2>/dev/null
leaf server
mv "$dir/server.pem" "$dir/cert.pem"
mv "$dir/server.key" "$dir/key.pem"
