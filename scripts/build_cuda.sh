#!/usr/bin/env bash
# Builds anuvad with the `cuda` feature on a machine with no CUDA toolkit and no GPU, from PyPI's
# NVIDIA wheels, for a GPU machine with a CUDA 13 driver (580 or newer).
#
#     scripts/build_cuda.sh            # -> target/cuda/release/anuvad and .../examples/bench_translate
#
# With your own CUDA toolkit you do not need this: `cargo build --release --features cuda`.
#
# Settings (environment):
#   ANUVAD_CUDA_VENV   where the wheels go (default ~/.venvs/anuvad-cuda; reused when present)
#   CUDA_COMPUTE_CAP   GPU architecture the kernels are compiled for (default 90: H100/H200)
#   CUDA_WHEELS        the CUDA minor release of the wheels (default 13.0: the driver must be at least
#                      as new as the compiler, and driver 580 is CUDA 13.0)
#
# What it does: installs nvcc, the CUDA headers and the libraries candle links (cudart, cuBLAS, cuRAND,
# NVRTC) from PyPI into a venv; lays them out as a toolkit (bin/, include/, lib64/) under
# target/cuda-toolkit; adds a link-time stub for the driver library `libcuda.so` (the real one comes
# with the GPU driver, which this machine lacks: the stub only satisfies the linker and is never
# shipped); then runs cargo. The binary needs, at run time on the GPU machine, the driver and
# libcublas.so.13, libcublasLt.so.13, libcurand.so.10, libnvrtc.so.13, libcudart.so.13 on the library
# path (a CUDA 13 toolkit or PyTorch's nvidia wheels have them; scripts/gpu_check.sh finds them).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${ANUVAD_CUDA_VENV:-$HOME/.venvs/anuvad-cuda}"
CAP="${CUDA_COMPUTE_CAP:-90}"
WHEELS="${CUDA_WHEELS:-13.0}"
TOOLKIT="$ROOT/target/cuda-toolkit"

if [ ! -x "$VENV/bin/pip" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet \
    "nvidia-cuda-nvcc==$WHEELS.*" "nvidia-cuda-crt==$WHEELS.*" "nvidia-nvvm==$WHEELS.*" \
    "nvidia-cuda-runtime==$WHEELS.*" "nvidia-cuda-cccl==$WHEELS.*" "nvidia-cuda-nvrtc==$WHEELS.*" \
    "nvidia-cublas==$WHEELS.*" "nvidia-curand"

SITE="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
CU="$SITE/nvidia/cu13"
[ -x "$CU/bin/nvcc" ] || { echo "error: nvcc not found under $CU/bin after installing the wheels" >&2; exit 1; }

# A toolkit-shaped directory: the build scripts of cudarc and candle-kernels look for
# $CUDA_ROOT/{bin,include,lib64}, and the linker wants unversioned library names.
rm -rf "$TOOLKIT"
mkdir -p "$TOOLKIT/lib64" "$TOOLKIT/stubs"
ln -s "$CU/bin" "$TOOLKIT/bin"
ln -s "$CU/include" "$TOOLKIT/include"
[ -d "$CU/nvvm" ] && ln -s "$CU/nvvm" "$TOOLKIT/nvvm"
for lib in "$CU"/lib/lib*.so.*; do
    name="$(basename "$lib")"
    ln -sf "$lib" "$TOOLKIT/lib64/$name"
    ln -sf "$lib" "$TOOLKIT/lib64/${name%%.so.*}.so"
done

# The driver API stub: every `cu*` function cudarc's driver bindings declare, as an empty function
# in a library named like the driver's (soname libcuda.so.1), so the binary records the dependency
# and the real driver provides the functions at run time.
DRIVER_SYS="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/cudarc-0.19.*/src/driver/sys 2>/dev/null | tail -1 || true)"
if [ -z "$DRIVER_SYS" ]; then
    (cd "$ROOT" && cargo fetch --quiet)
    DRIVER_SYS="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/cudarc-0.19.*/src/driver/sys | tail -1)"
fi
grep -rhoE '\bfn cu[A-Za-z0-9_]+' "$DRIVER_SYS" | sed 's/^fn //' | sort -u \
    | sed 's/.*/void &(void) {}/' > "$TOOLKIT/stubs/cuda_stub.c"
cc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$TOOLKIT/stubs/libcuda.so" "$TOOLKIT/stubs/cuda_stub.c"

export CUDA_ROOT="$TOOLKIT" CUDA_PATH="$TOOLKIT" CUDA_TOOLKIT_ROOT_DIR="$TOOLKIT"
export PATH="$TOOLKIT/bin:$PATH"
export CUDA_COMPUTE_CAP="$CAP"
export CUDARC_CUDA_VERSION="${WHEELS%%.*}0${WHEELS#*.}0"   # 13.0 -> 13000
export LIBRARY_PATH="$TOOLKIT/stubs:$TOOLKIT/lib64${LIBRARY_PATH:+:$LIBRARY_PATH}"
export RUSTFLAGS="${RUSTFLAGS:-} -L native=$TOOLKIT/stubs -L native=$TOOLKIT/lib64"

cd "$ROOT"
nvcc --version | tail -2
cargo build --release --features cuda --target-dir target/cuda --bin anuvad --example bench_translate --example parity_check
"$ROOT/scripts/gpu_bundle.sh"
echo "built: target/cuda/release/anuvad and examples (kernels for sm_$CAP), packed into gpu-bundle.tar.xz"
