#!/usr/bin/env bash
# Set up, build the knowledge base from corpus/ and serve it at http://127.0.0.1:8000
# (the address is printed when the page is ready). Usage: scripts/run.sh [pfkb serve options]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. .venv/bin/activate
echo "知識ベースを作成しています（初回は検索用の埋め込みに数分かかります）…"
pfkb build
exec pfkb serve "$@"
