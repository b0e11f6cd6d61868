#!/usr/bin/env bash
# Installs the npm ONVIF client the conformance tests drive (exact versions
# from conformance/node/package-lock.json). Does nothing when present.
set -euo pipefail
cd "$(dirname "$0")/../conformance/node"
if [ -d node_modules/onvif ] && cmp -s package-lock.json node_modules/.package-lock.json 2>/dev/null; then
  exit 0
fi
npm ci --silent --no-audit --no-fund
