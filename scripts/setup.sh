#!/usr/bin/env bash
# Set up a virtual environment with everything Sourced needs (CPU torch first, from local disk).
# Re-running it is quick: it does nothing while pyproject.toml is unchanged since the last set-up.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
stamp=.venv/.sourced-setup
want=$(sha1sum pyproject.toml | cut -d' ' -f1)
if [ -x .venv/bin/qa ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "set up: .venv is current"
  exit 0
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
log=.venv/setup.log
: >"$log"
quietly() {  # run one install step; its output (pip's notes, setuptools' warnings) is shown only if it fails
  if ! "$@" >>"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "set up failed: $*" >&2
    exit 1
  fi
}
echo "set up: installing into .venv (a few minutes the first time; pip's output in $log)"
quietly .venv/bin/python -m pip install -q --upgrade pip
# A plain `torch` requirement would pull a multi-GB CUDA build: install the CPU 2.13.0 first.
quietly .venv/bin/python -m pip install -q torch==2.13.0
quietly .venv/bin/python -m pip install -q -e ".[dev]"
echo "$want" > "$stamp"
echo "set up: .venv (activate with: source .venv/bin/activate)"
