#!/usr/bin/env bash
# The GPU check, run on the GPU machine from the repository root, after scripts/build_cuda.sh built
# the binaries on a developer machine and packed them into gpu-bundle.tar.xz (carried along):
#
#     bash scripts/gpu_check.sh            # results under $OUT (default ./gpu-out)
#
# Budget: about 10 minutes on an H100/H200 (most of it the benchmark; parity takes about one).
#
# 1. parity: the fixture models on CUDA against the transformers references (f32 must match; bf16
#    and f16 report their share of identical outputs);
# 2. speed: anuvad (f32, bf16, f16) and transformers (fp32, fp16) on the opus-mt-hi-en-shaped random
#    model (built here with transformers, seeded), greedy and beam 4 at batch 1, 32 and 128, tokens/s
#    and GPU memory.
set -uo pipefail
OUT="${OUT:-$PWD/gpu-out}"
mkdir -p "$OUT"
BUNDLE="$PWD/gpu-bundle"
if [ ! -x "$BUNDLE/parity_check" ]; then
    [ -f gpu-bundle.tar.xz ] || { echo "error: no gpu-bundle.tar.xz: run scripts/build_cuda.sh first"; exit 1; }
    mkdir -p "$BUNDLE" && tar -C "$BUNDLE" -xJf gpu-bundle.tar.xz
fi
PYTHON="${PYTHON:-python3}"
exec > >(tee "$OUT/gpu_check.log") 2>&1

nvidia-smi -L | tee "$OUT/device.txt"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee -a "$OUT/device.txt"

# The CUDA libraries the binary links: a CUDA toolkit's, else PyTorch's nvidia wheels'.
for dir in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib \
    $("$PYTHON" -c 'import nvidia, os; [print(os.path.join(p, d, "lib")) for p in nvidia.__path__ for d in os.listdir(p)]' 2>/dev/null); do
    [ -d "$dir" ] && LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$dir"
done
LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$BUNDLE/lib"   # the bundled cuRAND, last resort
export LD_LIBRARY_PATH
if ldd "$BUNDLE/parity_check" | grep "not found"; then
    echo "error: libraries above are missing (install the CUDA 13 toolkit or put them on LD_LIBRARY_PATH)"
    exit 1
fi

status=0
for dtype in f32 bf16 f16; do
    echo "== parity, cuda $dtype"
    "$BUNDLE/parity_check" cuda "$dtype" . | tee "$OUT/parity_$dtype.jsonl" || { [ "$dtype" = f32 ] && status=1; }
done

echo "== benchmark model"
"$PYTHON" scripts/bench_model.py bench-work >/dev/null || { echo "error: could not build the benchmark model"; exit 1; }

gpu_mem_while() {  # runs "$@", prints the peak GPU memory used meanwhile (MB) on stderr-free stdout last line
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 50 > "$OUT/.mem" &
    local poller=$!
    "$@"
    kill "$poller" 2>/dev/null; wait "$poller" 2>/dev/null
    echo "{\"gpu_used_peak_mb\":$(sort -n "$OUT/.mem" | tail -1)}"
}

for setting in "1 1 16" "1 32 256" "1 128 256" "4 1 16" "4 32 256" "4 128 256"; do
    set -- $setting
    beams=$1 batch=$2 limit=$3
    for dtype in f32 bf16 f16; do
        echo "== anuvad $dtype beams=$beams batch=$batch"
        gpu_mem_while env ANUVAD_DEVICE=cuda ANUVAD_DTYPE=$dtype "$BUNDLE/bench_translate" \
            bench-work/opus-mt-hi-en-shape bench-work/sentences.txt "$beams" "$batch" 36 "$limit" \
            | tee -a "$OUT/bench.jsonl"
    done
    for dtype in fp32 fp16; do
        echo "== transformers $dtype beams=$beams batch=$batch"
        gpu_mem_while "$PYTHON" scripts/bench_gpu.py bench-work "$beams" "$batch" 36 "$limit" "$dtype" \
            | tee -a "$OUT/bench.jsonl"
    done
done
exit $status
