#!/usr/bin/env bash
# Packs the CUDA binaries built by scripts/build_cuda.sh, stripped, into gpu-bundle.tar.xz (git-ignored):
# ~60 MB with cuRAND, small enough to carry to the GPU machine with the working tree (the binaries hold the CUDA
# kernels as PTX text, 55 MB each unpacked). scripts/gpu_check.sh unpacks it there.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
rm -rf "$ROOT/gpu-bundle" && mkdir -p "$ROOT/gpu-bundle"
for bin in anuvad examples/bench_translate examples/parity_check; do
    strip -o "$ROOT/gpu-bundle/$(basename "$bin")" "$ROOT/target/cuda/release/$bin"
done
# cuRAND, which candle links but PyTorch's wheels no longer bring: a fallback for GPU machines without
# a CUDA toolkit (gpu_check.sh puts it last on the library path).
CURAND="$(ls "${ANUVAD_CUDA_VENV:-$HOME/.venvs/anuvad-cuda}"/lib/python3*/site-packages/nvidia/cu13/lib/libcurand.so.10 2>/dev/null | head -1)"
if [ -n "$CURAND" ]; then
    mkdir -p "$ROOT/gpu-bundle/lib" && cp "$CURAND" "$ROOT/gpu-bundle/lib/"
fi
tar -C "$ROOT/gpu-bundle" -cf - . | xz -T0 -9 > "$ROOT/gpu-bundle.tar.xz"
ls -la "$ROOT/gpu-bundle.tar.xz"
