#!/usr/bin/env python3
"""Build the benchmark model: random weights (seeded) in the exact shape of Helsinki-NLP/opus-mt-hi-en
(d_model 512, 6+6 layers, 8 heads, ffn 2048, vocab 61127), in the hub layout, plus a CTranslate2 copy
(float32 and int8) and the workload (Hindi FLORES sentences, one per line).

    python scripts/bench_model.py OUT_DIR

The tokenizer files are the tiny fixture model's, with the vocabulary padded to 61127 entries by pieces
that never occur, so token counts are realistic. Nothing here is committed; rerunning rebuilds it.
"""
import json
import shutil
import sys
from pathlib import Path

import torch
from transformers import GenerationConfig, MarianConfig, MarianMTModel

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "models" / "tiny-marian-hi-en"
VOCAB_SIZE = 61127


def main(out):
    out = Path(out)
    model_dir = out / "opus-mt-hi-en-shape"
    if model_dir.exists():
        shutil.rmtree(model_dir)
    model_dir.mkdir(parents=True)
    vocab = json.loads((TINY / "vocab.json").read_text(encoding="utf-8"))
    pad = vocab.pop("<pad>")
    filler = 0
    while len(vocab) < VOCAB_SIZE - 1:
        vocab[f"\u2581unused{filler}"] = len(vocab)
        filler += 1
    vocab["<pad>"] = len(vocab)
    pad = vocab["<pad>"]
    (model_dir / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    for name in ("source.spm", "target.spm", "tokenizer_config.json"):
        shutil.copy(TINY / name, model_dir / name)
    config = MarianConfig(
        vocab_size=VOCAB_SIZE, decoder_vocab_size=VOCAB_SIZE, d_model=512, encoder_layers=6, decoder_layers=6,
        encoder_attention_heads=8, decoder_attention_heads=8, encoder_ffn_dim=2048, decoder_ffn_dim=2048,
        max_position_embeddings=512, activation_function="swish", scale_embedding=True,
        share_encoder_decoder_embeddings=True, pad_token_id=pad, decoder_start_token_id=pad, eos_token_id=0,
        bos_token_id=0, forced_eos_token_id=0, architectures=["MarianMTModel"],
    )
    torch.manual_seed(0)
    model = MarianMTModel(config)
    model.generation_config = GenerationConfig(
        bad_words_ids=[[pad]], bos_token_id=0, decoder_start_token_id=pad, eos_token_id=0, forced_eos_token_id=0,
        max_length=512, num_beams=4, pad_token_id=pad,
    )
    model.save_pretrained(model_dir)

    try:
        import ctranslate2
    except ImportError:
        print("ctranslate2 is not installed: no CTranslate2 copies (the GPU check does not need them)")
        ctranslate2 = None
    for quantization in () if ctranslate2 is None else ("float32", "int8"):
        target = out / f"ct2-{quantization}"
        if target.exists():
            shutil.rmtree(target)
        converter = ctranslate2.converters.TransformersConverter(str(model_dir))
        converter.convert(str(target), quantization=quantization, force=True)

    sentences = []
    for line in (ROOT / "tests" / "data" / "segmentation" / "flores_dev_hi.jsonl").read_text(encoding="utf-8").splitlines():
        sentences.extend(json.loads(line)["sentences"])
    (out / "sentences.txt").write_text("\n".join(sentences[:256]) + "\n", encoding="utf-8")
    print(f"wrote {model_dir}, {out}/ct2-float32, {out}/ct2-int8, {out}/sentences.txt")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ROOT / "bench-work")
