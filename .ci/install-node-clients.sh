#!/usr/bin/env bash
# Installs what the Node.js client tests need: node and npm (Debian's packages, where missing)
# and the pinned tencentcloud-sdk-nodejs into tests/clients/node/node_modules.
# Where node cannot be had, the tests skip and say why.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        echo "installing node and npm from Debian's packages"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null) \
            || echo "node/npm could not be installed; the Node.js client tests will skip"
    else
        echo "no apt-get: the Node.js client tests will skip"
    fi
fi
if command -v npm >/dev/null 2>&1; then
    npm ci --prefix tests/clients/node --no-audit --no-fund --loglevel=error
fi
