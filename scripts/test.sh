#!/usr/bin/env bash
# Set up and run the whole test suite (unit, corpus, PDF, browser, evaluation).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
. .venv/bin/activate
exec python -m pytest -q "$@"
