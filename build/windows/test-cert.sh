#!/usr/bin/env bash
# Makes a throwaway code-signing certificate for tests and CI (openssl): a test CA, a
# code-signing certificate it issued, the PFX (PKCS#12) with a random password in a file.
#   build/windows/test-cert.sh DIR   →  DIR/ca.pem  DIR/santral-test.pfx  DIR/pfx-password
# Only proves the pipeline: SmartScreen trusts a real OV/EV certificate (README "IT").
set -euo pipefail
dir=$1
mkdir -p "$dir"
cd "$dir"
openssl rand -hex 16 >pfx-password
openssl req -x509 -newkey rsa:3072 -nodes -days 30 -subj "/CN=Santral Test CA/O=Santral" \
  -keyout ca.key -out ca.pem -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey rsa:3072 -nodes -subj "/CN=Santral Test Signing/O=Santral" -keyout sign.key -out sign.csr 2>/dev/null
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n' >sign.ext
openssl x509 -req -in sign.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile sign.ext -out sign.pem 2>/dev/null
openssl pkcs12 -export -inkey sign.key -in sign.pem -certfile ca.pem -name "Santral Test Signing" \
  -passout "file:pfx-password" -out santral-test.pfx
rm -f ca.key sign.key sign.csr sign.ext ca.srl
