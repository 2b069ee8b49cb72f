#!/usr/bin/env bash
# Installs the Mermaid renderer the graph tests check diagrams with: @mermaid-js/mermaid-cli into
# .ci/tools/mermaid (project-local, ignored by git). Puppeteer's own Chromium is not downloaded:
# the tests render with the system Chromium (PUPPETEER_EXECUTABLE_PATH). Where npm or chromium
# cannot be had, the tests skip and say why.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
    echo "no npm: the Mermaid rendering tests will skip"
    exit 0
fi
mkdir -p .ci/tools/mermaid
PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix .ci/tools/mermaid --no-audit --no-fund --loglevel=error \
    --no-save @mermaid-js/mermaid-cli@11.4.2
