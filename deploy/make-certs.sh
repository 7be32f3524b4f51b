#!/usr/bin/env bash
# Certificates for a mutual-TLS cluster, made with openssl: a CA, and certificates it signs for
# the silos (node), the training Job (job), an operator (operator) and the Prometheus that scrapes
# the silos' metrics port (prometheus), each a PEM file with its key,
# as --tls-certificate takes it. ECDSA P-256; certificates valid for DAYS (default 365).
#
#   deploy/make-certs.sh [DIR]            make them in DIR (default deploy/certs; an existing CA is kept)
#   deploy/make-certs.sh DIR --new-ca     a new CA too (every certificate is then replaced)
#
# DIR then holds ca.pem, ca.key (keep it off the cluster), node.pem, job.pem, operator.pem, prometheus.pem and
# operators (the operator certificate's SHA-256 fingerprint, for the silos' --tls-operators).
# node.pem and job.pem hold private keys and are readable by every user of this machine, since the
# containers' user must read them: keep DIR on a machine only the cluster's operators use.
# Kubernetes: the Secret the manifests mount, from DIR:
#   kubectl -n trainer create secret generic trainer-tls --from-file=ca.pem --from-file=node.pem \
#     --from-file=job.pem --from-file=operators --dry-run=client -o yaml | kubectl apply -f -
# (run in DIR). docs/deploy.md says how to rotate them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/deploy/certs}
new_ca=false
[ "${2:-}" = "--new-ca" ] && new_ca=true
if [ $# -gt 2 ] || { [ $# -eq 2 ] && ! $new_ca; }; then echo "error: usage: $0 [DIR] [--new-ca]" >&2; exit 2; fi
command -v openssl >/dev/null || { echo "error: openssl is not installed (apt-get install openssl)" >&2; exit 2; }
days=${DAYS:-365}
mkdir -p "$dir"
cd "$dir"
umask 077

if $new_ca || [ ! -f ca.pem ] || [ ! -f ca.key ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days $((days * 3)) \
    -subj "/CN=trainer cluster CA" -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  echo "made the CA: $dir/ca.pem"
fi

issue() { # name
  local name=$1
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$name.key" -out "$name.csr" -subj "/CN=trainer-$name" 2>/dev/null
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=DNS:trainer-$name,DNS:localhost,IP:127.0.0.1" > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$name.crt" -days "$days" -sha256 -extfile "$name.ext" 2>/dev/null
  cat "$name.crt" "$name.key" > "$name.pem"
  rm -f "$name.csr" "$name.ext" "$name.crt" "$name.key"
  echo "made $dir/$name.pem ($(openssl x509 -noout -fingerprint -sha256 -in "$name.pem"))"
}

issue node
issue job
issue operator
issue prometheus
openssl x509 -noout -fingerprint -sha256 -in operator.pem | cut -d= -f2 > operators
# The containers' user (uid 10001) reads node.pem and job.pem through a bind mount (compose) or a
# Secret volume: they are readable here; only the CA's key stays private to this user.
chmod 755 .
chmod 644 ca.pem operators node.pem job.pem operator.pem prometheus.pem
chmod 600 ca.key
