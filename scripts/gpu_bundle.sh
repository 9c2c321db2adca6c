#!/usr/bin/env bash
# Puts the CUDA binaries built by scripts/build_cuda.sh, stripped, into gpu-bundle/ (git-ignored), small
# enough to carry to the GPU machine with the working tree.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
rm -rf "$ROOT/gpu-bundle" && mkdir -p "$ROOT/gpu-bundle"
for bin in anuvad examples/bench_translate examples/parity_check; do
    strip -o "$ROOT/gpu-bundle/$(basename "$bin")" "$ROOT/target/cuda/release/$bin"
done
du -sh "$ROOT/gpu-bundle"
