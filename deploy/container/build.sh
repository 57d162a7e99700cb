#!/usr/bin/env bash
# Builds wiselink's image with Debian's podman/buildah and mmdebstrap, without a registry:
#   1. two base images made from Debian packages (once; kept as localhost/wiselink-*-base):
#      the build base (minbase, a C toolchain, libpq's headers) and the runtime base (minbase,
#      libpq5, CA certificates, curl for the health check);
#   2. deploy/container/Containerfile, which compiles in the build base with this host's Rust
#      toolchain and crate cache mounted, and copies the binary into the runtime base.
#
#   deploy/container/build.sh                 # → localhost/wiselink:latest
#   IMAGE=localhost/wiselink:test deploy/container/build.sh
#   REBUILD_BASES=1 deploy/container/build.sh # make the bases again (a Debian point release)
set -euo pipefail
cd "$(dirname "$0")/../.."
image="${IMAGE:-localhost/wiselink:latest}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
for tool in podman mmdebstrap; do
    command -v "$tool" >/dev/null || { echo "$tool is missing: install Debian's $tool package" >&2; exit 1; }
done

base() {
    local name=$1 packages=$2
    if [ "${REBUILD_BASES:-0}" != 1 ] && podman image exists "localhost/$name:bookworm"; then return; fi
    local tar
    tar=$(mktemp --suffix=.tar)
    mmdebstrap --quiet --variant=minbase --include="$packages" \
        --customize-hook='rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*' \
        bookworm "$tar" "$mirror"
    podman import --quiet --change 'CMD ["/bin/bash"]' "$tar" "localhost/$name:bookworm" >/dev/null
    rm -f "$tar"
    echo "made localhost/$name:bookworm from Debian packages"
}
base wiselink-build-base "build-essential,pkg-config,libpq-dev,ca-certificates"
base wiselink-runtime-base "libpq5,ca-certificates,curl"

cargo_home="${CARGO_HOME:-$HOME/.cargo}"
rustup_home="${RUSTUP_HOME:-$HOME/.rustup}"
# chroot isolation: the RUN step needs no OCI runtime (containers here cannot set rlimits).
podman build --format docker --isolation chroot --file deploy/container/Containerfile --tag "$image" \
    --volume "$cargo_home:/opt/cargo" --volume "$rustup_home:/opt/rustup:ro" .
podman image inspect --format '{{.Id}} {{.Size}}' "$image" |
    awk -v image="$image" '{ printf "built %s (%s, %.0f MB)\n", image, substr($1, 1, 12), $2 / 1e6 }'
