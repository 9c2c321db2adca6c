#!/usr/bin/env python3
"""transformers on a GPU, for scripts/gpu_check.sh: the opus-mt-hi-en-shaped benchmark model, the same
sentences and forced output lengths as anuvad's bench_translate example. Prints one JSON line.

    python scripts/bench_gpu.py WORK_DIR BEAMS BATCH NEW_TOKENS LIMIT fp32|fp16
"""
import json
import sys
import time
from pathlib import Path

import torch
from transformers import MarianMTModel, MarianTokenizer


def main(work, beams, batch, new_tokens, limit, dtype):
    work = Path(work)
    lines = [l for l in (work / "sentences.txt").read_text(encoding="utf-8").splitlines() if l.strip()][:limit]
    tokenizer = MarianTokenizer.from_pretrained(str(work / "opus-mt-hi-en-shape"))
    started = time.perf_counter()
    model = MarianMTModel.from_pretrained(str(work / "opus-mt-hi-en-shape"))
    model = model.to("cuda", dtype=torch.float16 if dtype == "fp16" else torch.float32).eval()
    torch.cuda.synchronize()
    load = time.perf_counter() - started

    def run(sentences):
        produced = 0
        for start in range(0, len(sentences), batch):
            encoded = tokenizer(sentences[start:start + batch], return_tensors="pt", padding=True).to("cuda")
            with torch.inference_mode():
                out = model.generate(**encoded, num_beams=beams, min_new_tokens=new_tokens,
                                     max_new_tokens=new_tokens, do_sample=False)
            produced += out.shape[0] * (out.shape[1] - 1)
        torch.cuda.synchronize()
        return produced

    run(lines[:batch])  # warm-up (kernels, allocator)
    torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    tokens = run(lines)
    seconds = time.perf_counter() - started
    print(json.dumps({
        "engine": f"transformers-{dtype}", "sentences": len(lines), "tokens": tokens, "seconds": seconds,
        "load_seconds": load, "gpu_peak_mb": torch.cuda.max_memory_allocated() / 2**20,
        "device": torch.cuda.get_device_name(0),
    }))


if __name__ == "__main__":
    a = sys.argv[1:]
    main(a[0], int(a[1]), int(a[2]), int(a[3]), int(a[4]), a[5])
