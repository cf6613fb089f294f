#!/usr/bin/env bash
# Set up, build the knowledge base from corpus/ and serve it at http://127.0.0.1:8000
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. .venv/bin/activate
pfkb build
exec pfkb serve "$@"
