#!/usr/bin/env bash
# Set up, index seeds/, and open the chat UI at http://127.0.0.1:${PORT:-7860}.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export QA_INDEX_DIR=${QA_INDEX_DIR:-.sourced-index}
.venv/bin/qa ingest seeds/
.venv/bin/qa ask "How many US troops are in Agadez?"
