#!/usr/bin/env bash
# Builds deploy/docker/Dockerfile into a local image where no container registry is reachable.
#
#   deploy/build-image.sh [--with-fashion-mnist] [--without-openblas] [--tag NAME] [--no-cache] [--rebuild-bases]
#
# The Dockerfile's base images are build arguments; this script makes both bases locally instead of
# pulling them, then runs `buildah bud --isolation chroot` with them:
#   RUNTIME_BASE  localhost/trainer-base:bookworm           `debootstrap --variant=minbase bookworm`,
#                                                           slimmed the way debian:bookworm-slim is
#   BUILD_BASE    localhost/trainer-base:bookworm-sdk-VER   that base with the host's .NET SDK VER
#                                                           copied in (the SDK image stands in for
#                                                           mcr.microsoft.com/dotnet/sdk)
# Needs root (debootstrap, buildah's storage), the Debian mirror and the NuGet feed the host
# restores from. debootstrap and buildah are installed with apt-get when missing.
#
# The debootstrapped root file system is cached as a tar file in TRAINER_IMAGE_BASES (default
# /var/tmp/trainer-image-bases) and both bases stay in buildah's storage, so a second build starts
# at the Dockerfile; `--layers` then reuses the restore and publish layers when their inputs are
# unchanged. --no-cache runs every Dockerfile step again on the cached bases; --rebuild-bases makes
# the bases again too. The replaced layers stay in buildah's storage: `buildah rmi --prune` frees them.
#
# Run the image with buildah (podman and docker need a container runtime this host may not allow):
#   c=$(buildah from --pull=never trainer:latest)
#   buildah run --isolation chroot --network host "$c" -- silo --cluster localhost
#   buildah rm "$c"
# docs/deploy.md, "Building the image without a registry", has a silo and a training job.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bases=${TRAINER_IMAGE_BASES:-/var/tmp/trainer-image-bases}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
started=$SECONDS
suite=bookworm # the Dockerfile's default RUNTIME_BASE is debian:bookworm-slim
runtime_base=localhost/trainer-base:$suite

die() { echo "error: $*" >&2; exit 2; }
elapsed() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }
step() { echo "==> [$(elapsed $((SECONDS - started)))] $*"; }
usage() { sed -n '4p' "$0" | sed 's/^#  */usage: /'; }

tag=trainer:latest
with_fashion_mnist=false
with_openblas=true
rebuild_bases=false
no_cache=()
while [ $# -gt 0 ]; do
  case $1 in
    --with-fashion-mnist) with_fashion_mnist=true ;;
    --without-openblas) with_openblas=false ;;
    --rebuild-bases) rebuild_bases=true ;;
    --no-cache) no_cache=(--no-cache) ;;
    --tag) [ $# -ge 2 ] || die "--tag needs an image name, e.g. --tag trainer:fashion"; tag=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option '$1' ($(usage))" ;;
  esac
  shift
done

[ "$(id -u)" = 0 ] || die "run as root: debootstrap and buildah's chroot isolation need it"

# --- tools -------------------------------------------------------------------------------------
missing=()
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v buildah >/dev/null || missing+=(buildah)
if [ ${#missing[@]} -gt 0 ]; then
  step "installing ${missing[*]} with apt-get"
  command -v apt-get >/dev/null || die "${missing[*]} missing and no apt-get to install them with"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
    >/tmp/trainer-build-image-apt.log 2>&1 || die "apt-get install ${missing[*]} failed (see /tmp/trainer-build-image-apt.log)"
fi
command -v dotnet >/dev/null || die "no dotnet on PATH: the build base is made from the host's .NET SDK"
sdk_version=$(cd / && dotnet --version) || die "'dotnet --version' failed"
[ "${sdk_version%%.*}" -ge 10 ] 2>/dev/null || die "the host's .NET SDK is $sdk_version; the projects target net10.0"
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
[ -d "$dotnet_root/sdk/$sdk_version" ] || die "SDK $sdk_version is not under $dotnet_root (from 'dotnet' on PATH)"
build_base=localhost/trainer-base:$suite-sdk-$sdk_version

have_image() { buildah inspect --type image "$1" >/dev/null 2>&1; }

# Unmounts whatever debootstrap left mounted under a folder, then removes the folder without
# crossing into another file system (a stray /proc or /dev bind must never be deleted through).
remove_tree() {
  local dir=$1 mount
  [ -e "$dir" ] || return 0
  while read -r mount; do umount -l "$mount" 2>/dev/null || true; done \
    < <(awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r)
  rm -rf --one-file-system "$dir"
}

# --- the runtime base: debootstrap, slimmed, cached as a tar file --------------------------------
rootfs_tar=$bases/$suite-minbase.tar
mkdir -p "$bases"
if $rebuild_bases; then
  rm -f "$rootfs_tar"
  for image in "$runtime_base" "$build_base"; do
    if have_image "$image"; then buildah rmi "$image" >/dev/null || die "could not remove $image (a working container still uses it?)"; fi
  done
fi
if [ ! -f "$rootfs_tar" ]; then
  work=$bases/$suite.rootfs
  trap 'remove_tree "$work"' EXIT
  remove_tree "$work"
  step "debootstrap --variant=minbase $suite from $mirror (log: $bases/debootstrap.log)"
  debootstrap --variant=minbase "$suite" "$work" "$mirror" >"$bases/debootstrap.log" 2>&1 \
    || die "debootstrap failed; the end of $bases/debootstrap.log: $(tail -1 "$bases/debootstrap.log")"
  # What debian:bookworm-slim does (debuerreotype-slimify, docker's apt settings): no manuals,
  # documentation or translations, now or in packages installed later; no package caches.
  cat >"$work/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  cat >"$work/etc/apt/apt.conf.d/slim" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
Acquire::Languages "none";
EOF
  find "$work/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$work/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$work"/usr/share/{man,groff,info,lintian,linda}/*
  find "$work/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  # the suites debian:bookworm-slim lists, so that apt-get in the Dockerfile sees security fixes
  rm -f "$work/etc/apt/sources.list"
  cat >"$work/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security_mirror
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  rm -rf "$work"/var/cache/apt/archives/*.deb "$work"/var/cache/apt/*.bin "$work"/var/lib/apt/lists/* "$work"/tmp/*
  find "$work/var/log" -type f -exec truncate -s 0 {} +
  : >"$work/etc/machine-id" # a container gets no machine id of its own; every copy would share this one
  tar -C "$work" --numeric-owner -cf "$rootfs_tar.part" . || die "could not write $rootfs_tar"
  mv "$rootfs_tar.part" "$rootfs_tar"
  remove_tree "$work"
  trap - EXIT
  # images made from an older root file system are stale
  for image in "$runtime_base" "$build_base"; do
    if have_image "$image"; then buildah rmi "$image" >/dev/null || die "could not remove the stale $image"; fi
  done
fi

# Working containers made here are removed however the script ends.
containers=()
cleanup() { for c in "${containers[@]}"; do buildah rm "$c" >/dev/null 2>&1 || true; done; }
trap cleanup EXIT
new_container() { # image (or scratch): sets c to a new working container, removed at exit
  c=$(buildah from --pull=never "$1") || die "buildah from $1 failed"
  containers+=("$c")
}
run_in() { buildah run --isolation chroot --network host "$@"; }

if ! have_image "$runtime_base"; then
  step "importing $rootfs_tar as $runtime_base, with $suite's current updates"
  new_container scratch
  buildah add "$c" "$rootfs_tar" / >/dev/null
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd bash \
    --label org.opencontainers.image.description="debootstrap --variant=minbase $suite, slimmed (deploy/build-image.sh)" "$c"
  run_in "$c" -- sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get upgrade -y -qq >/dev/null && rm -rf /var/lib/apt/lists/*' \
    || die "apt-get upgrade in the $suite base failed"
  buildah commit -q --rm "$c" "$runtime_base" >/dev/null
  containers=()
fi

# --- the build base: the runtime base with the host's SDK -----------------------------------------
if ! have_image "$build_base"; then
  step "making $build_base: $runtime_base with the host's SDK from $dotnet_root"
  new_container "$runtime_base"
  # what the SDK itself needs (mcr.microsoft.com/dotnet/sdk has them): TLS, certificates, ICU
  run_in "$c" -- sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ca-certificates libicu72 libssl3 libstdc++6 zlib1g >/dev/null && rm -rf /var/lib/apt/lists/*' \
    || die "apt-get install of the SDK's dependencies failed"
  # The build restores from the feed the host restores from. The host's own trust anchors
  # (/usr/local/share/ca-certificates: a private feed's or a TLS-inspecting proxy's CA) go into the
  # build base only; the runtime image is made from the plain base.
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    buildah copy "$c" /usr/local/share/ca-certificates/ /usr/local/share/ca-certificates/ >/dev/null
    out=$(run_in "$c" -- update-ca-certificates 2>&1) || die "update-ca-certificates in the build base failed: $out"
  fi
  buildah copy "$c" "$dotnet_root" /usr/share/dotnet >/dev/null
  run_in "$c" -- ln -sf /usr/share/dotnet/dotnet /usr/bin/dotnet
  # as in the SDK image; NUGET_CERT_REVOCATION_MODE follows the host, whose package-signature
  # checks may have no revocation server to ask
  buildah config --env DOTNET_SDK_VERSION="$sdk_version" --env DOTNET_RUNNING_IN_CONTAINER=true \
    --env DOTNET_NOLOGO=true --env DOTNET_CLI_TELEMETRY_OPTOUT=1 --env NUGET_XMLDOC_MODE=skip \
    ${NUGET_CERT_REVOCATION_MODE:+--env NUGET_CERT_REVOCATION_MODE=$NUGET_CERT_REVOCATION_MODE} \
    --label org.opencontainers.image.description="$runtime_base with the host's .NET SDK $sdk_version (deploy/build-image.sh)" "$c"
  run_in "$c" -- dotnet --version >/dev/null || die "the SDK copied into $build_base does not run"
  buildah commit -q --rm "$c" "$build_base" >/dev/null
  containers=()
fi

# --- the image ------------------------------------------------------------------------------------
step "buildah bud -f deploy/docker/Dockerfile -t $tag (WITH_FASHION_MNIST=$with_fashion_mnist WITH_OPENBLAS=$with_openblas)"
build_started=$SECONDS
buildah bud --isolation chroot --network host --layers "${no_cache[@]}" --pull=never \
  --build-arg BUILD_BASE="$build_base" --build-arg RUNTIME_BASE="$runtime_base" \
  --build-arg WITH_FASHION_MNIST="$with_fashion_mnist" --build-arg WITH_OPENBLAS="$with_openblas" \
  -f "$root/deploy/docker/Dockerfile" -t "$tag" "$root" \
  || die "buildah bud failed (its output is above)"

size=$(buildah images --format '{{.Size}}' "$tag" | head -1)
echo "built $tag: $size, in $(elapsed $((SECONDS - started))) ($(elapsed $((SECONDS - build_started))) of it the Dockerfile)"
