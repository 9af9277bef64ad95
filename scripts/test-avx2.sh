#!/usr/bin/env bash
# The CPU-sensitive real-model tests on an emulated AVX2-only CPU (no AVX-512, no VNNI), for a machine that has
# no such CPU: qemu-user runs the test process as an Intel Haswell (`-cpu Haswell-noTSX`), so onnxruntime picks
# its AVX2 int8 kernels from CPUID, the kernels that make vectors and reader scores differ between CPUs.
#
#   bash scripts/test-avx2.sh                       # the seed, reading, encoder and reader tests (hours)
#   bash scripts/test-avx2.sh tests/test_reading.py # pytest arguments pass through
#
# About 30x slower than native; not part of CI. Tests that start a server or a browser in a child process are
# left out: qemu-user runs only the test process itself emulated. numpy's own AVX2 code is switched off
# (qemu 7.2 crashes in numpy's AVX2 argpartition); numpy's results do not depend on it.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v qemu-x86_64 >/dev/null 2>&1; then
  sudo=$([ "$(id -u)" = 0 ] || echo sudo)
  $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user >/dev/null
fi
[ -x .venv/bin/python ] || bash scripts/setup.sh
[ $# -gt 0 ] || set -- tests/test_seed_qa.py tests/test_reading.py tests/test_onnx_embedder.py tests/test_reader.py
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False GRADIO_ANALYTICS_ENABLED=False
echo "== the emulated CPU: $(qemu-x86_64 -cpu Haswell-noTSX .venv/bin/python -c 'from numpy._core._multiarray_umath \
  import __cpu_features__ as f; print(*(k for k in ("AVX2", "AVX512F") if f.get(k)))' 2>/dev/null)"
export NPY_DISABLE_CPU_FEATURES="X86_V3"
qemu-x86_64 -cpu Haswell-noTSX .venv/bin/python -m pytest -q -rs -p no:cacheprovider --timeout 3600 -m real "$@" 2>&1 \
  | grep --line-buffered -v "TCG doesn't support requested feature"
