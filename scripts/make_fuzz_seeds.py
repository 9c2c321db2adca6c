#!/usr/bin/env python3
"""Writes the seed inputs of the model-file fuzz targets (fuzz/seeds/<target>/), from the fixture models.

    python scripts/make_fuzz_seeds.py          # needs torch and safetensors (scripts/requirements.txt)

Each seed is what its target reads: one selector byte, then the file(s) (see fuzz/fuzz_targets/*.rs).
Weights seeds are small files of the three formats (safetensors, zip .bin, legacy .bin), so that the
fuzzer mutates their structure rather than megabytes of numbers.
"""
import io
import pickle
from pathlib import Path

import torch
from safetensors.torch import save

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
SEEDS = ROOT / "fuzz" / "seeds"


def write(target, name, data):
    path = SEEDS / target / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def main():
    for index, model in enumerate(["tiny-marian-hi-en", "tiny-nllb", "tiny-m2m100"]):
        config = (MODELS / model / "config.json").read_bytes()
        generation = (MODELS / model / "generation_config.json").read_bytes()
        write("configs", f"{model}", bytes([index]) + config + b"\xff" + generation)

    tensors = {"model.shared.weight": torch.arange(12, dtype=torch.float32).reshape(3, 4),
               "final_logits_bias": torch.zeros(1, 3)}
    write("weights", "small.safetensors", b"\x00" + save(tensors))
    buffer = io.BytesIO()
    torch.save(tensors, buffer)  # PyTorch's zip format
    write("weights", "small-zip.bin", b"\x01" + buffer.getvalue())
    buffer = io.BytesIO()
    torch.save(tensors, buffer, _use_new_zipfile_serialization=False, pickle_protocol=2)
    write("weights", "small-legacy.bin", b"\x01" + buffer.getvalue())

    files = [("tiny-marian-hi-en", "vocab.json"), ("tiny-marian-hi-en", "source.spm"),
             ("tiny-nllb", "tokenizer.json"), ("tiny-nllb", "sentencepiece.bpe.model"),
             ("tiny-m2m100", "vocab.json")]
    for index, (model, name) in enumerate(files):
        write("tokenizers", f"{model}-{name}", bytes([index]) + (MODELS / model / name).read_bytes())


if __name__ == "__main__":
    main()
