#!/usr/bin/env python3
"""Build the benchmark model: random weights (seeded) in the exact shape of Helsinki-NLP/opus-mt-hi-en
(d_model 512, 6+6 layers, 8 heads, ffn 2048, vocab 61127), in the hub layout, plus a CTranslate2 copy
(float32 and int8) and the workload (Hindi FLORES sentences, one per line).

    python scripts/bench_model.py OUT_DIR                  # opus-mt-hi-en shape
    python scripts/bench_model.py OUT_DIR --nllb-600m      # facebook/nllb-200-distilled-600M shape
    python scripts/bench_model.py OUT_DIR --tc-big         # opus-mt-tc-bible-big-inc-deu_eng_fra_por_spa shape

The tc-big one (the default model's shape: d_model 1024, 6+6 layers, 16 heads, ffn 4096, ReLU, 1024
positions, shared vocabulary 61807 with </s> not 0 and pad = decoder start = the last id; ~1 GB) goes to
OUT_DIR/tc-big-shape and OUT_DIR/ct2-tc-{float32,int8}; its tokenizer is the tiny multi-target fixture's
(target tokens `>>deu<<` ... `>>spa<<`) with the vocabulary padded to 61807 ids before `<pad>`.

The NLLB-shaped one (d_model 1024, 12+12 layers, 16 heads, ffn 4096, vocab 256206; 2.5 GB) goes to
OUT_DIR/nllb-600m-shape (model.safetensors), OUT_DIR/nllb-600m-shape-bin (the same weights as
pytorch_model.bin only) and OUT_DIR/ct2-nllb-{float32,int8}; its tokenizer is the tiny NLLB fixture's with
the vocabulary padded to 256206 ids (language codes moved to the end, as in the real one).

    python scripts/bench_model.py OUT_DIR --indictrans2-dist-200m --indictrans2 PATH   # IndicTrans2 shapes
    python scripts/bench_model.py OUT_DIR --indictrans2-1b --indictrans2 PATH          # (see build_indictrans2)

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


def build_nllb(out):
    from transformers import M2M100Config, M2M100ForConditionalGeneration

    out = Path(out)
    vocab_size = 256206
    model_dir = out / "nllb-600m-shape"
    for d in (model_dir, out / "nllb-600m-shape-bin"):
        if d.exists():
            shutil.rmtree(d)
    model_dir.mkdir(parents=True)
    tiny = ROOT / "models" / "tiny-nllb"
    tokenizer = json.loads((tiny / "tokenizer.json").read_text(encoding="utf-8"))
    base = len(tokenizer["model"]["vocab"])
    top = max(token["id"] for token in tokenizer["added_tokens"])
    shift = vocab_size - 1 - top

    def moved(i):
        return i + shift if i >= base else i

    for filler in range(shift):
        tokenizer["model"]["vocab"][f"\u2581unused{filler}"] = base + filler
    for token in tokenizer["added_tokens"]:
        token["id"] = moved(token["id"])
    for processor in [tokenizer.get("post_processor") or {}] + list((tokenizer.get("post_processor") or {}).get("processors", [])):
        for special in processor.get("special_tokens", {}).values():
            special["ids"] = [moved(i) for i in special["ids"]]
    (model_dir / "tokenizer.json").write_text(json.dumps(tokenizer, ensure_ascii=False), encoding="utf-8")
    tokenizer_config = json.loads((tiny / "tokenizer_config.json").read_text(encoding="utf-8"))
    if "added_tokens_decoder" in tokenizer_config:
        tokenizer_config["added_tokens_decoder"] = {
            str(moved(int(k))): v for k, v in tokenizer_config["added_tokens_decoder"].items()
        }
    (model_dir / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, ensure_ascii=False), encoding="utf-8")
    shutil.copy(tiny / "sentencepiece.bpe.model", model_dir / "sentencepiece.bpe.model")

    config = M2M100Config(
        vocab_size=vocab_size, d_model=1024, encoder_layers=12, decoder_layers=12, encoder_attention_heads=16,
        decoder_attention_heads=16, encoder_ffn_dim=4096, decoder_ffn_dim=4096, activation_function="relu",
        max_position_embeddings=1024, scale_embedding=True, pad_token_id=1, bos_token_id=0, eos_token_id=2,
        decoder_start_token_id=2, tie_word_embeddings=True, architectures=["M2M100ForConditionalGeneration"],
    )
    torch.manual_seed(0)
    model = M2M100ForConditionalGeneration(config)
    model.generation_config = GenerationConfig(
        bos_token_id=0, decoder_start_token_id=2, eos_token_id=2, max_length=200, pad_token_id=1,
    )
    model.save_pretrained(model_dir)
    bin_dir = out / "nllb-600m-shape-bin"
    bin_dir.mkdir()
    # As the hub's older uploads: PyTorch's zip pickle (transformers 5 no longer writes it itself).
    torch.save(model.state_dict(), bin_dir / "pytorch_model.bin")
    for name in ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                 "sentencepiece.bpe.model"):
        shutil.copy(model_dir / name, bin_dir / name)
    del model

    import ctranslate2

    for quantization in ("float32", "int8"):
        target = out / f"ct2-nllb-{quantization}"
        if target.exists():
            shutil.rmtree(target)
        ctranslate2.converters.TransformersConverter(str(model_dir)).convert(
            str(target), quantization=quantization, force=True
        )
    print(f"wrote {model_dir}, {bin_dir}, {out}/ct2-nllb-float32, {out}/ct2-nllb-int8")


# IndicTrans2 shapes (AI4Bharat's model_configs: transformer_base18L for the distilled model,
# transformer_18_18 for the 1B one; vocabularies of the hub's dict.SRC.json / dict.TGT.json).
INDICTRANS2_SHAPES = {
    "indictrans2-dist-200m": dict(encoder_embed_dim=512, decoder_embed_dim=512, encoder_ffn_dim=2048,
                                  decoder_ffn_dim=2048, encoder_attention_heads=8, decoder_attention_heads=8,
                                  layernorm_embedding=True),
    "indictrans2-1b": dict(encoder_embed_dim=1024, decoder_embed_dim=1024, encoder_ffn_dim=8192,
                           decoder_ffn_dim=8192, encoder_attention_heads=16, decoder_attention_heads=16,
                           layernorm_embedding=False),
}


def build_indictrans2(out, shape, indictrans2):
    """A seeded random IndicTrans2 model of `shape` in the hub layout (model.safetensors), its tokenizer files
    the tiny fixture's with the dictionaries padded to the real sizes (122706 source, 32296 target entries).
    Needs transformers 4.53.2 (scripts/requirements-indictrans.txt) and a checkout of AI4Bharat/IndicTrans2
    (`--indictrans2 PATH`, for its modeling code). CTranslate2's converters have no loader for this model
    (`IndicTransConfig` is not among TransformersConverter's; its fairseq converter reads AI4Bharat's fairseq
    checkpoints, not the hub's files), so there is no CTranslate2 copy."""
    import importlib.util
    import subprocess
    import tempfile

    from safetensors.torch import save_file

    out = Path(out)
    model_dir = out / f"{shape}-shape"
    if model_dir.exists():
        shutil.rmtree(model_dir)
    model_dir.mkdir(parents=True)
    tiny = ROOT / "models" / "tiny-indictrans2"
    for name, size in (("dict.SRC.json", 122706), ("dict.TGT.json", 32296)):
        vocab = json.loads((tiny / name).read_text(encoding="utf-8"))
        filler = 0
        while len(vocab) < size:
            vocab[f"madeupword{9000 + filler}"] = len(vocab)
            filler += 1
        (model_dir / name).write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    for name in ("model.SRC", "model.TGT", "tokenizer_config.json", "special_tokens_map.json",
                 "generation_config.json"):
        shutil.copy(tiny / name, model_dir / name)
    with tempfile.TemporaryDirectory() as scratch:
        for name in ("configuration_indictrans.py", "modeling_indictrans.py"):
            path = Path(indictrans2) / "huggingface_interface" / name
            text = path.read_text(encoding="utf-8") if path.exists() else subprocess.run(
                ["git", "--git-dir", str(indictrans2), "show", f"HEAD:huggingface_interface/{name}"],
                check=True, capture_output=True, text=True).stdout
            # Loaded as top-level modules: the modeling file's relative import made absolute.
            text = text.replace("from .configuration_indictrans", "from configuration_indictrans")
            (Path(scratch) / name).write_text(text, encoding="utf-8")
        sys.path.insert(0, scratch)
        from configuration_indictrans import IndicTransConfig
        from modeling_indictrans import IndicTransForConditionalGeneration

        config = IndicTransConfig(
            encoder_vocab_size=122706, decoder_vocab_size=32296, encoder_layers=18, decoder_layers=18,
            max_source_positions=256, max_target_positions=256, activation_function="gelu",
            encoder_normalize_before=True, decoder_normalize_before=True, share_decoder_input_output_embed=False,
            scale_embedding=True, pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=2,
            attn_implementation="eager", **INDICTRANS2_SHAPES[shape],
        )
        torch.manual_seed(0)
        model = IndicTransForConditionalGeneration(config).eval()
        config_dict = config.to_dict()
        config_dict.pop("vocab_size", None)
        config_dict["model_type"] = "IndicTrans"
        config_dict["architectures"] = ["IndicTransForConditionalGeneration"]
        (model_dir / "config.json").write_text(json.dumps(config_dict, indent=2), encoding="utf-8")
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(model_dir / "model.safetensors"),
                  metadata={"format": "pt"})
    sentences = []
    for line in (ROOT / "tests" / "data" / "segmentation" / "flores_dev_hi.jsonl").read_text(encoding="utf-8").splitlines():
        sentences.extend(json.loads(line)["sentences"])
    (out / "sentences.txt").write_text("\n".join(sentences[:256]) + "\n", encoding="utf-8")
    print(f"wrote {model_dir} (no CTranslate2 copy: its converters do not take IndicTrans2's hub files)")


def build_tc_big(out):
    """The shape of Helsinki-NLP/opus-mt-tc-bible-big-inc-deu_eng_fra_por_spa (config.json of the family)."""
    out = Path(out)
    vocab_size = 61807
    model_dir = out / "tc-big-shape"
    if model_dir.exists():
        shutil.rmtree(model_dir)
    model_dir.mkdir(parents=True)
    tiny = ROOT / "models" / "tiny-marian-multi"
    vocab = json.loads((tiny / "vocab.json").read_text(encoding="utf-8"))
    vocab.pop("<pad>")
    filler = 0
    while len(vocab) < vocab_size - 1:
        vocab[f"\u2581unused{filler}"] = len(vocab)
        filler += 1
    vocab["<pad>"] = len(vocab)
    pad, eos = vocab["<pad>"], vocab["</s>"]
    (model_dir / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    for name in ("source.spm", "target.spm", "tokenizer_config.json"):
        shutil.copy(tiny / name, model_dir / name)
    config = MarianConfig(
        vocab_size=vocab_size, decoder_vocab_size=vocab_size, d_model=1024, encoder_layers=6, decoder_layers=6,
        encoder_attention_heads=16, decoder_attention_heads=16, encoder_ffn_dim=4096, decoder_ffn_dim=4096,
        max_position_embeddings=1024, activation_function="relu", scale_embedding=True,
        share_encoder_decoder_embeddings=True, pad_token_id=pad, decoder_start_token_id=pad, eos_token_id=eos,
        bos_token_id=0, architectures=["MarianMTModel"],
    )
    torch.manual_seed(0)
    model = MarianMTModel(config)
    model.generation_config = GenerationConfig(
        bad_words_ids=[[pad]], bos_token_id=0, decoder_start_token_id=pad, eos_token_id=eos,
        forced_eos_token_id=eos, max_length=512, num_beams=4, pad_token_id=pad,
    )
    model.save_pretrained(model_dir)
    del model

    import ctranslate2

    for quantization in ("float32", "int8"):
        target = out / f"ct2-tc-{quantization}"
        if target.exists():
            shutil.rmtree(target)
        ctranslate2.converters.TransformersConverter(str(model_dir)).convert(
            str(target), quantization=quantization, force=True
        )
    write_sentences(out)
    print(f"wrote {model_dir}, {out}/ct2-tc-float32, {out}/ct2-tc-int8")


def write_sentences(out):
    """512 sentences: enough for the memory measurement of a 500-sentence run."""
    sentences = []
    for line in (ROOT / "tests" / "data" / "segmentation" / "flores_dev_hi.jsonl").read_text(encoding="utf-8").splitlines():
        sentences.extend(json.loads(line)["sentences"])
    (Path(out) / "sentences.txt").write_text("\n".join(sentences[:512]) + "\n", encoding="utf-8")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    target = args[0] if args else ROOT / "bench-work"
    shape = next((a.removeprefix("--") for a in sys.argv if a.removeprefix("--") in INDICTRANS2_SHAPES), None)
    if "--nllb-600m" in sys.argv:
        build_nllb(target)
    elif shape:
        # --indictrans2-dist-200m|--indictrans2-1b --indictrans2 PATH
        build_indictrans2(target, shape, sys.argv[sys.argv.index("--indictrans2") + 1])
    elif "--tc-big" in sys.argv:
        build_tc_big(target)
    else:
        main(target)
