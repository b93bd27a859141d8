#!/usr/bin/env bash
# Builds the real inference engine — llama.cpp's llama-server and
# ggml-rpc-server — offline from the llama.cpp source that the node-llama-cpp
# npm package ships (a git bundle of a pinned llama.cpp release). The binaries
# are cached outside the repo, keyed by the pinned version, so only the first
# run on a machine pays the build (about 10 minutes on 2 cores).
#
# Prints the directory holding the two binaries on its last line.
set -euo pipefail

PINNED_PACKAGE="node-llama-cpp@3.21.1"
cache_root="${OUTPOST_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/outpost/engine}"
target="$cache_root/${PINNED_PACKAGE//[@\/]/-}"
bin="$target/bin"

if [ -x "$bin/llama-server" ] && [ -x "$bin/ggml-rpc-server" ]; then
  echo "$bin"
  exit 0
fi

for tool in cmake g++ git; do
  command -v "$tool" >/dev/null 2>&1 || { echo "install-engine: $tool is missing (apt-get install -y cmake g++ git)" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
echo "install-engine: fetching $PINNED_PACKAGE's llama.cpp source bundle from the npm registry" >&2
tarball=$(npm pack "$PINNED_PACKAGE" --silent)
tar xzf "$tarball" package/llama/gitRelease.bundle package/llama/llama.cpp.info.json
git clone -q package/llama/gitRelease.bundle llama.cpp
echo "install-engine: building llama-server and ggml-rpc-server (static, AVX2, RPC backend on)" >&2
# LLAMA_USE_PREBUILT_UI=OFF: otherwise the build tries to download the web UI and waits 300 s.
cmake -S llama.cpp -B llama.cpp/build -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DGGML_NATIVE=OFF \
  -DGGML_RPC=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
  -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF >/dev/null
# Progress as cmake's percentages, one line each, so a 10-minute build is visibly alive.
# A failed build is caught by the check below, which says what to do.
(cmake --build llama.cpp/build --target llama-server ggml-rpc-server -j"$(nproc)" 2>&1 || true) \
  | (grep --line-buffered -oE '^\[ *[0-9]+%\]' || true) | uniq | sed -u 's/^/install-engine: building /' >&2
[ -x llama.cpp/build/bin/llama-server ] && [ -x llama.cpp/build/bin/ggml-rpc-server ] \
  || { echo "install-engine: the build failed; rerun with: cmake --build <src>/build --target llama-server ggml-rpc-server" >&2; exit 1; }

staging="$target.partial-$$"
mkdir -p "$staging/bin"
cp llama.cpp/build/bin/llama-server llama.cpp/build/bin/ggml-rpc-server "$staging/bin/"
cp package/llama/llama.cpp.info.json "$staging/"
# Vocab-only GGUFs (real tokenizers) come with the source; keep the llama one for test models.
cp llama.cpp/models/ggml-vocab-llama-spm.gguf "$staging/" 2>/dev/null || true
rm -rf "$target"
mv "$staging" "$target"
echo "$bin"
