#!/usr/bin/env bash
# A base image for container/Containerfile where no image registry is reachable: a minimal Debian
# rootfs with python3 and its venv module, made with debootstrap from a Debian mirror and imported.
#   sudo container/build-base.sh [IMAGE] [SUITE] [MIRROR]
#   podman build --format docker --build-arg BASE=localhost/cmqinfra-base:bookworm \
#       -f container/Containerfile -t cmqinfra-emulator .
set -euo pipefail
IMAGE=${1:-localhost/cmqinfra-base:bookworm}
SUITE=${2:-bookworm}
MIRROR=${3:-http://deb.debian.org/debian}
command -v debootstrap >/dev/null || { echo "debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
ROOTFS=$(mktemp -d "${TMPDIR:-/tmp}/cmqinfra-rootfs.XXXXXX")
trap 'rm -rf "$ROOTFS"' EXIT
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates "$SUITE" "$ROOTFS" "$MIRROR"
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
tar -C "$ROOTFS" -c . | podman import --change 'CMD ["/bin/bash"]' - "$IMAGE"
echo "built $IMAGE"
