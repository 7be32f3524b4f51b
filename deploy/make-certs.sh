#!/usr/bin/env bash
# Certificates for a mutual-TLS cluster, made with openssl: a CA, and certificates it signs for
# the silos (node), the training Job (job), an operator (operator) and the Prometheus that scrapes
# the silos' metrics port (prometheus), each a PEM file with its key,
# as --tls-certificate takes it. ECDSA P-256; certificates valid for DAYS (default 365).
#
#   deploy/make-certs.sh [DIR]                       make them in DIR (default deploy/certs; an existing CA is kept)
#   deploy/make-certs.sh DIR --new-ca                a new CA too (every certificate is then replaced)
#   deploy/make-certs.sh add NAME [DIR] [--operator] one more client certificate, NAME.pem, from DIR's CA
#                                                    (--operator: its fingerprint joins DIR/operators)
#
# DIR then holds ca.pem, ca.key (keep it off the cluster), node.pem, job.pem, operator.pem,
# prometheus.pem (the metrics port's scraper, under TLS) and operators (the operator certificates' SHA-256 fingerprints, for the silos' --tls-operators).
# Every file with a private key (ca.key and each NAME.pem) is readable by its owner only (600).
# The compose file's containers run as uid 10001 and read node.pem and job.pem through a bind
# mount: run as root, this script gives those two to uid 10001 (CONTAINER_UID); otherwise it says
# how. Kubernetes: the Secret the manifests mount, from DIR:
#   kubectl -n trainer create secret generic trainer-tls --from-file=ca.pem --from-file=node.pem \
#     --from-file=job.pem --from-file=operators --dry-run=client -o yaml | kubectl apply -f -
# (run in DIR). docs/deploy.md says how to rotate them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
usage="usage: $0 [DIR] [--new-ca] | $0 add NAME [DIR] [--operator]"
command -v openssl >/dev/null || { echo "error: openssl is not installed (apt-get install openssl)" >&2; exit 2; }
days=${DAYS:-365}
container_uid=${CONTAINER_UID:-10001}

issue() { # name: NAME.pem, the certificate and its key, signed by ca.pem/ca.key in the current folder
  local name=$1
  rm -f "$name.pem" # it may belong to the containers' user, which this user cannot overwrite
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$name.key" -out "$name.csr" -subj "/CN=trainer-$name" 2>/dev/null
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=DNS:trainer-$name,DNS:localhost,IP:127.0.0.1" > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$name.crt" -days "$days" -sha256 -extfile "$name.ext" 2>/dev/null
  cat "$name.crt" "$name.key" > "$name.pem"
  chmod 600 "$name.pem"
  rm -f "$name.csr" "$name.ext" "$name.crt" "$name.key"
  echo "made $dir/$name.pem ($(openssl x509 -noout -fingerprint -sha256 -in "$name.pem"))"
}

fingerprint() { openssl x509 -noout -fingerprint -sha256 -in "$1.pem" | cut -d= -f2; }

if [ "${1:-}" = "add" ]; then
  name=${2:-}
  dir=$root/deploy/certs
  operator=false
  for arg in "${@:3}"; do
    case $arg in
      --operator) operator=true ;;
      -*) echo "error: $arg: $usage" >&2; exit 2 ;;
      *) dir=$arg ;;
    esac
  done
  [[ $name =~ ^[A-Za-z0-9][A-Za-z0-9_-]*$ ]] || { echo "error: add NAME: expected a name of letters, digits, - and _ (it becomes NAME.pem); $usage" >&2; exit 2; }
  [ -f "$dir/ca.pem" ] && [ -f "$dir/ca.key" ] || { echo "error: $dir: no CA here (ca.pem and ca.key); make one with $0 $dir" >&2; exit 2; }
  [ ! -e "$dir/$name.pem" ] && [ "$name" != ca ] || { echo "error: $dir/$name.pem exists; choose another NAME" >&2; exit 2; }
  cd "$dir"
  umask 077
  issue "$name"
  if $operator; then
    fingerprint "$name" >> operators
    chmod 644 operators
    echo "added its fingerprint to $dir/operators: silos that read it (--tls-operators) take $name.pem as an operator's once restarted"
  fi
  exit 0
fi

dir=${1:-$root/deploy/certs}
new_ca=false
[ "${2:-}" = "--new-ca" ] && new_ca=true
if [ $# -gt 2 ] || { [ $# -eq 2 ] && ! $new_ca; }; then echo "error: $usage" >&2; exit 2; fi
mkdir -p "$dir"
cd "$dir"
umask 077

if $new_ca || [ ! -f ca.pem ] || [ ! -f ca.key ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days $((days * 3)) \
    -subj "/CN=trainer cluster CA" -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  echo "made the CA: $dir/ca.pem"
fi

issue node
issue job
issue operator
issue prometheus
fingerprint operator > operators
chmod 755 .
chmod 644 ca.pem operators
chmod 600 ca.key
# The compose file's containers (uid 10001) read node.pem and job.pem through a bind mount.
if [ "$(id -u)" = 0 ]; then
  chown "$container_uid" node.pem job.pem
  echo "node.pem and job.pem belong to uid $container_uid, the containers' user (mode 600)"
elif [ "$(id -u)" != "$container_uid" ]; then
  echo "note: for docker-compose, whose containers run as uid $container_uid: sudo chown $container_uid $dir/node.pem $dir/job.pem"
fi
