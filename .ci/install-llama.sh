#!/usr/bin/env bash
# Install llama-cpp-python into the current Python without ever compiling it twice.
#
# The first run builds a wheel (5+ minutes on 2 cores) into the wheel cache; every
# later run installs that wheel. Usage: PYTHON=.venv/bin/python .ci/install-llama.sh
#   PYTHON              interpreter to install into (default: python)
#   LLAMA_CPP_VERSION   llama-cpp-python version (default below)
#   RELAY_GIT_WHEELS    wheel cache (default: ${XDG_CACHE_HOME:-~/.cache}/relay-git/wheels)
set -euo pipefail

PYTHON=${PYTHON:-python}
LLAMA_CPP_VERSION=${LLAMA_CPP_VERSION:-0.3.36}
RELAY_GIT_WHEELS=${RELAY_GIT_WHEELS:-${XDG_CACHE_HOME:-$HOME/.cache}/relay-git/wheels}
# A native build (-march=native) dies with "Illegal instruction" on some CI hosts:
# build for a portable AVX2/FMA/F16C baseline instead.
LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DLLAVA_BUILD=OFF"

install_cached() {
    "$PYTHON" -m pip install --quiet --no-index --no-deps \
        --find-links "$RELAY_GIT_WHEELS" "llama-cpp-python==$LLAMA_CPP_VERSION"
}

mkdir -p "$RELAY_GIT_WHEELS"
if install_cached 2>/dev/null; then
    echo "llama-cpp-python $LLAMA_CPP_VERSION installed from the wheel cache $RELAY_GIT_WHEELS"
    exit 0
fi
echo "no cached llama-cpp-python $LLAMA_CPP_VERSION wheel: building one (takes minutes)"
CMAKE_ARGS="$LLAMA_CMAKE_ARGS" FORCE_CMAKE=1 "$PYTHON" -m pip wheel --no-deps \
    --no-binary llama-cpp-python -w "$RELAY_GIT_WHEELS" "llama-cpp-python==$LLAMA_CPP_VERSION"
install_cached
echo "llama-cpp-python $LLAMA_CPP_VERSION built into $RELAY_GIT_WHEELS and installed"
