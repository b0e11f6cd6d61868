#!/usr/bin/env bash
# Creates .venv with the Python ONVIF clients the tests drive (Home
# Assistant's onvif-zeep-async, WSDiscovery) and the schema validator
# (xmlschema). Does nothing when .venv already has them.
set -euo pipefail
cd "$(dirname "$0")/.."
requirements="conformance/python/requirements.txt"
stamp=".venv/.requirements"
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && cmp -s "$requirements" "$stamp"; then
  exit 0
fi
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r "$requirements"
cp "$requirements" "$stamp"
