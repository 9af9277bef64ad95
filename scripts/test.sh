#!/usr/bin/env bash
# Run the whole test suite (sets up the venv and Debian's chromium first if they are missing).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/qa ] || ! .venv/bin/python -c "import qa, pytest, playwright" 2>/dev/null; then
  bash scripts/setup.sh
fi
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False GRADIO_ANALYTICS_ENABLED=False
exec .venv/bin/python -m pytest -q -rs "$@"
