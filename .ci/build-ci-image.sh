#!/usr/bin/env bash
# The CI recipes' image, built where no image registry is reachable (and gitlab-ci-local's helper
# image). Two steps, as a user of examples/ci/Containerfile would, then the helper:
#   1. a base: a minimal Debian rootfs with python3, venv and git, made with debootstrap from a
#      Debian mirror and imported (stands in for docker.io/library/python:3.11-slim-bookworm);
#   2. examples/ci/Containerfile on that base, cmqinfra installed from a wheel of this checkout.
# Run as root: .ci/build-ci-image.sh [WHEEL]; tests/gitops/test_recipe_gitlab_ci_local.py uses
# them. Podman flags that work on this kind of host: --runtime runc, --cgroup-manager cgroupfs, --network=host, and a containers.conf whose
# [containers] section sets default_ulimits = [] (CONTAINERS_CONF points at .ci/containers.conf).
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=localhost/cmqinfra-ci-base:bookworm
IMAGE=localhost/cmqinfra-ci:dev
HELPER=localhost/cmqinfra-ci-helper:dev
export CONTAINERS_CONF="$PWD/.ci/containers.conf"
PODMAN=(podman --runtime runc --cgroup-manager cgroupfs)
if ! "${PODMAN[@]}" image exists "$BASE"; then
  command -v debootstrap >/dev/null || { echo "debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
  ROOTFS=$(mktemp -d "${TMPDIR:-/var/tmp}/cmqinfra-ci-rootfs.XXXXXX")
  trap 'rm -rf "$ROOTFS"' EXIT
  debootstrap --variant=minbase --include=python3,python3-venv,git,ca-certificates bookworm "$ROOTFS" \
    http://deb.debian.org/debian
  rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
  tar -C "$ROOTFS" -c . | "${PODMAN[@]}" import --change 'CMD ["/bin/bash"]' - "$BASE"
fi
if [ $# -ge 1 ]; then
  WHEEL=$(realpath "$1")
else  # a wheel of this checkout, built afresh
  rm -rf dist/ci && python3 -m pip wheel --quiet --no-deps -w dist/ci .
  WHEEL=$(realpath dist/ci/cmqinfra-*.whl)
fi
# cmqinfra's dependencies as wheels, fetched by the host's pip (its index and certificates): the
# build then needs no network of its own for Python packages.
python3 -m pip download --quiet --dest "$(dirname "$WHEEL")/deps" "$WHEEL"
"${PODMAN[@]}" build --no-cache --network=host --build-arg BASE="$BASE" \
  --build-arg CMQINFRA_PACKAGE="/wheel/$(basename "$WHEEL")" \
  --build-arg PIP_NO_INDEX=1 --build-arg PIP_FIND_LINKS=/wheel/deps \
  -v "$(dirname "$WHEEL"):/wheel:ro" -f examples/ci/Containerfile -t "$IMAGE" examples/ci
echo "built $IMAGE"
# gitlab-ci-local's helper image (it copies files and artifacts with rsync): Docker Hub's cannot be
# pulled here, so the same base with rsync added.
if ! "${PODMAN[@]}" image exists "$HELPER"; then
  printf 'FROM %s\nRUN apt-get update && apt-get install -y --no-install-recommends rsync && rm -rf /var/lib/apt/lists/*\n' \
    "$BASE" | "${PODMAN[@]}" build --network=host -t "$HELPER" -f - .ci
fi
echo "built $HELPER"
