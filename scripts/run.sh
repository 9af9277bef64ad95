#!/usr/bin/env bash
# Set up, index seeds/, and open the chat UI at http://127.0.0.1:${PORT:-7860} (HOST=0.0.0.0 to listen on all interfaces).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export QA_INDEX_DIR=${QA_INDEX_DIR:-.sourced-index}
export GRADIO_ANALYTICS_ENABLED=False HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/qa ingest seeds/
.venv/bin/qa ask "How many US troops are in Agadez?"
exec .venv/bin/qa serve --host "${HOST:-127.0.0.1}" --port "${PORT:-7860}"
