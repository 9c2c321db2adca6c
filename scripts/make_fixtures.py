#!/usr/bin/env python3
"""Regenerate the tiny fixture models and the `transformers` reference outputs.

Run from the repository root with the pinned environment (scripts/requirements.txt):

    python scripts/make_fixtures.py

Everything written is deterministic: two runs give byte-identical files.

What it writes:
  models/tiny-marian-hi-en/        random MarianMTModel, the file layout of Helsinki-NLP/opus-mt-hi-en
                                   (config.json, generation_config.json, model.safetensors, source.spm,
                                   target.spm, vocab.json, tokenizer_config.json)
  models/tiny-marian-hi-en-bin/    the same weights as pytorch_model.bin only (like the hub's main branch)
  models/tiny-marian-hi-en-legacy/ the same weights as a 2020 hub repo: legacy (non-zip) pytorch_model.bin and
                                   an old-style config.json, no generation_config.json (tokenizer files: copy
                                   those of tiny-marian-hi-en)
  models/tiny-marian-variant/      a second shape: 3+3 layers, gelu, separate decoder embeddings,
                                   no decoder_vocab_size key, other generation settings
  tests/fixtures/reference/<model>/
      meta.json                    versions, generation settings used, the input sentences
      tokenizer.jsonl              the ids anuvad must give for every input (and some hard strings): the
                                   sentencepiece-based ids of scripts/spm_reference.py, with transformers'
                                   tokenizer's ids and the reason beside them where those differ
      greedy_b1.jsonl ...          generate() output ids, decoded text and score per sentence, for greedy and
                                   beam 4 at batch size 1 and 8 (consecutive groups of 8, padded); beam 6
                                   too for tiny-marian-hi-en, whose generation_config.json (as
                                   opus-mt-hi-en's) sets num_beams 6 and renormalize_logits
      logits.safetensors           raw decoder logits of the first 3 greedy steps for 10 sentences

`--only-reference` rewrites the references (and the generation_config.json files) from the committed
models without training them again.

The models are seeded random initialisations trained for 800 steps to copy Hindi sentences (see
`train_to_copy`): unlike purely random weights they end their outputs with EOS, so beam search finishes
hypotheses the way a real model does. Training and generation run on one CPU thread with deterministic
algorithms; the same versions on the same kind of CPU give byte-identical files.
"""

import argparse
import io
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import sentencepiece as spm
import torch
import transformers
from safetensors.torch import save_file
from sentencepiece import sentencepiece_model_pb2 as spm_pb2
from transformers import GenerationConfig, MarianConfig, MarianMTModel, MarianTokenizer

from spm_reference import SentencePieceIds

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "data" / "segmentation"
ARTICLE = ROOT / "models" / "samples" / "article-hi.txt"
MODELS = ROOT / "models"
REFERENCE = ROOT / "tests" / "fixtures" / "reference"

PINNED = {"transformers": "5.24.0", "torch": "2.15.0", "sentencepiece": "0.2.3"}

# Strings that exercise the tokenizer's edges (normalisation, whitespace, unknown characters, text that
# looks like special tokens). Only tokenized, not translated.
TOKENIZER_EDGE_CASES = [
    "",
    " ",
    "   क्या   आप   तैयार   हैं?   ",
    "\tटैब\tऔर\nनई पंक्ति\r\n",
    "☃ अज्ञात ☃☃ वर्ण 🙂",
    "ＦＵＬＬＷＩＤＴＨ १२३ ①②③ ﬁ",
    "किसी\u200dऔर\u200cशब्द",
    "<unk> </s> <pad> <s>",
    ">>hin<< भाषा कोड",
    "Mixed हिंदी and English, 3.5% growth in Q3 2024!",
    "https://example.com/news?id=42 और user@example.com",
    "“उद्धरण” ‘एकल’ \"सीधे\" 'एकल'",
    "डॉ. अनिल शर्मा ने रु. 500 दिए...",
    "ॐ॰ ॥ । | ₹ ऽ",
    "e\u0301 combining à",
]


def read_gold_sentences(name):
    sentences = []
    with open(GOLD / name, encoding="utf-8") as f:
        for line in f:
            sentences.extend(json.loads(line)["sentences"])
    return sentences


def article_sentences():
    """The sample article, split after danda / ? / ! (the reference needs no segmenter)."""
    text = ARTICLE.read_text(encoding="utf-8")
    out = []
    for line in text.splitlines():
        for piece in re.split(r"(?<=[।?!])\s+", line.strip()):
            if piece:
                out.append(piece)
    return out


def train_spm(sentences, vocab_size):
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences),
        model_writer=model,
        vocab_size=vocab_size,
        model_type="unigram",
        normalization_rule_name="nmt_nfkc",
        num_threads=1,
        minloglevel=2,
    )
    return model.getvalue()


def marian_vocab(source_spm, target_spm):
    """Marian's joint vocabulary: </s> = 0, <unk> = 1, the pieces of both models, <pad> last."""
    vocab = {"</s>": 0, "<unk>": 1}
    for blob in (source_spm, target_spm):
        proto = spm_pb2.ModelProto()
        proto.ParseFromString(blob)
        for piece in proto.pieces:
            if piece.type == spm_pb2.ModelProto.SentencePiece.NORMAL and piece.piece not in vocab:
                vocab[piece.piece] = len(vocab)
    vocab["<pad>"] = len(vocab)
    return vocab


def train_to_copy(model, tokenizer, sentences, steps, seed):
    """Seeded random init, then a few hundred steps of learning to copy Hindi sentences.

    A purely random Marian model repeats one token until max_length (every output 511 tokens long, beam
    search never sees an EOS). A model that has begun to learn a copy task attends to its input, ends its
    output with EOS near the input's length and makes input-dependent mistakes, which is what the parity
    tests need. Its "translations" are noisy copies of the Hindi input.
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        # A non-zero final_logits_bias (a buffer, so training does not touch it) proves it is loaded.
        model.final_logits_bias.copy_(0.5 * torch.randn(model.final_logits_bias.shape, generator=gen))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    warmup = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / 100))
    pad = model.config.pad_token_id
    model.eval()  # no dropout: training stays deterministic and fast
    for _ in range(steps):
        picks = torch.randint(0, len(sentences), (32,), generator=gen).tolist()
        batch = tokenizer([sentences[i] for i in picks], return_tensors="pt", padding=True, truncation=True,
                          max_length=128)
        labels = batch["input_ids"].clone()
        labels[labels == pad] = -100
        loss = model(**batch, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        warmup.step()
    print(f"  copy training: {steps} steps, final loss {float(loss):.3f}")
    return model


def write_json(path, data):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, ensure_ascii=False, sort_keys=True)
        f.write("\n")


def write_jsonl(path, records):
    with open(path, "w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")


def save_tokenizer_files(directory, source_spm, target_spm, vocab):
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    (directory / "source.spm").write_bytes(source_spm)
    (directory / "target.spm").write_bytes(target_spm)
    write_json(directory / "vocab.json", vocab)
    # The hub repos carry a small tokenizer_config.json of this shape.
    write_json(directory / "tokenizer_config.json", {"source_lang": "hi", "target_lang": "en"})


def save_model(model, directory, weights, drop_config_keys=()):
    """Save in the hub's layout; weights are 'safetensors' or 'bin'."""
    model.save_pretrained(directory)
    if drop_config_keys:
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
        for key in drop_config_keys:
            config.pop(key, None)
        write_json(directory / "config.json", config)
    if weights == "bin":
        # The hub's old .bin files hold every name, tied copies and positions included (sharing storage).
        (directory / "model.safetensors").unlink()
        torch.save(model.state_dict(), directory / "pytorch_model.bin")


def pad_batch(id_lists, pad):
    """Right-padded input_ids and attention_mask, as MarianTokenizer and NllbTokenizer pad."""
    width = max(len(ids) for ids in id_lists)
    return {
        "input_ids": torch.tensor([ids + [pad] * (width - len(ids)) for ids in id_lists]),
        "attention_mask": torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids in id_lists]),
    }


def generate(model, tokenizer, inputs_ids, num_beams, batch_size, **generate_kwargs):
    """generate() on the given input ids (the sentencepiece-based ids anuvad gives)."""
    records = []
    for start in range(0, len(inputs_ids), batch_size):
        group = inputs_ids[start : start + batch_size]
        inputs = pad_batch(group, tokenizer.pad_token_id)
        with torch.no_grad():
            out = model.generate(
                **inputs,
                num_beams=num_beams,
                do_sample=False,
                output_scores=True,
                return_dict_in_generate=True,
                **generate_kwargs,
            )
        eos = model.generation_config.eos_token_id
        if num_beams == 1:
            logprobs = model.compute_transition_scores(out.sequences, out.scores, normalize_logits=True)
        for row in range(len(group)):
            seq = out.sequences[row].tolist()
            generated = seq[1:]
            if eos in generated:
                generated = generated[: generated.index(eos) + 1]
            if num_beams == 1:
                token_scores = logprobs[row, : len(generated)]
                score = float(token_scores.sum() / len(generated))
            else:
                score = float(out.sequences_scores[row])
            text = tokenizer.decode(seq, skip_special_tokens=True)
            records.append({"index": start + row, "ids": generated, "text": text, "score": score})
    return records


def first_step_logits(model, tokenizer, sentences, count, steps=3, **generate_kwargs):
    tensors = {}
    chosen = []
    for index, sentence in enumerate(sentences):
        if len(chosen) == count:
            break
        inputs = tokenizer([sentence], return_tensors="pt")
        with torch.no_grad():
            out = model.generate(
                **inputs,
                num_beams=1,
                do_sample=False,
                output_logits=True,
                return_dict_in_generate=True,
                **generate_kwargs,
            )
        if len(out.logits) < steps:
            continue
        tensors[f"logits.{index}"] = torch.stack([out.logits[s][0] for s in range(steps)]).contiguous()
        chosen.append(index)
    return tensors, chosen


RUNS = (("greedy_b1", 1, 1), ("greedy_b8", 1, 8), ("beam4_b1", 4, 1), ("beam4_b8", 4, 8))


def make_reference(model_dir, name, sentences, model_class=MarianMTModel, tokenizer=None, kind="marian",
                   source_lang=None, extra_runs=(), **generate_kwargs):
    model = model_class.from_pretrained(model_dir)
    model.eval()
    tokenizer = tokenizer or MarianTokenizer.from_pretrained(model_dir)
    expected = SentencePieceIds(model_dir, kind, tokenizer, source_lang)
    out_dir = REFERENCE / name
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)

    token_records = [expected.record(text) for text in sentences + TOKENIZER_EDGE_CASES]
    write_jsonl(out_dir / "tokenizer.jsonl", token_records)
    # The translated sentences get the same ids from transformers' tokenizer and from sentencepiece, so the
    # references below hold for both.
    assert all("transformers_ids" not in r for r in token_records[: len(sentences)])
    inputs_ids = [r["ids"] for r in token_records[: len(sentences)]]

    runs = {}
    for label, beams, batch in RUNS + tuple(extra_runs):
        records = generate(model, tokenizer, inputs_ids, beams, batch, **generate_kwargs)
        write_jsonl(out_dir / f"{label}.jsonl", records)
        lengths = [len(r["ids"]) for r in records]
        runs[label] = {"num_beams": beams, "batch_size": batch, "mean_output_tokens": sum(lengths) / len(lengths)}
        print(f"  {name} {label}: mean {runs[label]['mean_output_tokens']:.1f} tokens, max {max(lengths)}")

    tensors, chosen = first_step_logits(model, tokenizer, sentences, 10, **generate_kwargs)
    save_file(tensors, str(out_dir / "logits.safetensors"), metadata={"sentences": json.dumps(chosen)})

    write_json(
        out_dir / "meta.json",
        {
            "model": f"models/{name}",
            "versions": {
                "transformers": transformers.__version__,
                "torch": torch.__version__,
                "sentencepiece": spm.__version__,
            },
            "generation_config": model.generation_config.to_diff_dict(),
            "generate_kwargs": generate_kwargs,
            "runs": runs,
            "batches": "consecutive groups of batch_size sentences, right-padded as MarianTokenizer pads",
            "score": "beam: sequences_scores; greedy: mean of log_softmax(processed logits) over generated tokens",
            "sentences": sentences,
        },
    )


def save_legacy_deterministic(state_dict, path):
    """What `torch.save(state_dict, path, _use_new_zipfile_serialization=False)` writes, deterministically.

    The legacy format names each storage `str(storage._cdata)`, a memory address, so two runs differ. We call
    torch's own legacy writer with `str` replaced, in its globals only, by a function that maps those
    addresses to counters in state-dict order.
    """
    import builtins
    import pickle
    import types

    import torch.serialization as serialization

    names = {}
    for tensor in state_dict.values():
        names.setdefault(tensor.untyped_storage()._cdata, str(len(names)))

    def stable_str(value=""):
        if isinstance(value, int) and value in names:
            return names[value]
        return builtins.str(value)

    original = serialization._legacy_save
    legacy_save = types.FunctionType(
        original.__code__, {**original.__globals__, "str": stable_str}, original.__name__, original.__defaults__
    )
    with open(path, "wb") as f:
        legacy_save(state_dict, f, pickle, serialization.DEFAULT_PROTOCOL)
    torch.load(path, weights_only=True)  # a valid legacy file


def make_legacy(main_dir, sentences):
    """The main model as a 2020-era hub repo: legacy (pre-1.6, non-zip) `pytorch_model.bin`, generation
    settings and old keys inside `config.json`, no `generation_config.json`.

    Only `config.json` and `pytorch_model.bin` are committed (the tokenizer files are the main model's; the
    tests copy them in). The reference is what `transformers` generates with its defaults for such a repo.
    """
    model = MarianMTModel.from_pretrained(main_dir)
    config = json.loads((main_dir / "config.json").read_text(encoding="utf-8"))
    pad, vocab_size = config["pad_token_id"], config["vocab_size"]
    legacy_config = {
        "_num_labels": 3, "activation_dropout": 0.0, "activation_function": "swish", "add_bias_logits": False,
        "add_final_layer_norm": False, "architectures": ["MarianMTModel"], "attention_dropout": 0.0,
        "bad_words_ids": [[pad]], "bos_token_id": 0, "classif_dropout": 0.0, "d_model": config["d_model"],
        "decoder_attention_heads": config["decoder_attention_heads"], "decoder_ffn_dim": config["decoder_ffn_dim"],
        "decoder_layerdrop": 0.0, "decoder_layers": config["decoder_layers"], "decoder_start_token_id": pad,
        "dropout": 0.1, "encoder_attention_heads": config["encoder_attention_heads"],
        "encoder_ffn_dim": config["encoder_ffn_dim"], "encoder_layerdrop": 0.0,
        "encoder_layers": config["encoder_layers"], "eos_token_id": 0, "extra_pos_embeddings": vocab_size,
        "id2label": {"0": "LABEL_0", "1": "LABEL_1", "2": "LABEL_2"}, "init_std": 0.02, "is_encoder_decoder": True,
        "label2id": {"LABEL_0": 0, "LABEL_1": 1, "LABEL_2": 2}, "max_length": 512,
        "max_position_embeddings": config["max_position_embeddings"], "model_type": "marian",
        "normalize_before": False, "normalize_embedding": False, "num_beams": 4,
        "num_hidden_layers": config["encoder_layers"], "output_past": True, "pad_token_id": pad,
        "scale_embedding": True, "static_position_embeddings": True, "vocab_size": vocab_size,
    }
    legacy_dir = MODELS / "tiny-marian-hi-en-legacy"
    if legacy_dir.exists():
        shutil.rmtree(legacy_dir)
    legacy_dir.mkdir(parents=True)
    write_json(legacy_dir / "config.json", legacy_config)
    save_legacy_deterministic(model.state_dict(), legacy_dir / "pytorch_model.bin")

    with tempfile.TemporaryDirectory() as scratch:
        assembled = Path(scratch)
        for name in ("config.json", "pytorch_model.bin"):
            shutil.copy(legacy_dir / name, assembled / name)
        for name in ("source.spm", "target.spm", "vocab.json", "tokenizer_config.json"):
            shutil.copy(main_dir / name, assembled / name)
        legacy_model = MarianMTModel.from_pretrained(assembled)
        legacy_model.eval()
        tokenizer = MarianTokenizer.from_pretrained(assembled)
        out_dir = REFERENCE / "tiny-marian-hi-en-legacy"
        if out_dir.exists():
            shutil.rmtree(out_dir)
        out_dir.mkdir(parents=True)
        # `generate()` with no arguments: the settings come from the old config.json.
        inputs_ids = [SentencePieceIds(assembled, "marian", tokenizer).ids(s) for s in sentences]
        records = generate(legacy_model, tokenizer, inputs_ids, legacy_model.generation_config.num_beams, 8)
        write_jsonl(out_dir / "default_b8.jsonl", records)
        write_json(
            out_dir / "meta.json",
            {
                "model": "models/tiny-marian-hi-en-legacy (+ tokenizer files of models/tiny-marian-hi-en)",
                "generation_config": legacy_model.generation_config.to_diff_dict(),
                "sentences": sentences,
            },
        )


def train_to_copy_m2m(model, tokenizer, sentences, steps, seed):
    """As `train_to_copy`, for M2M100-family models: the labels are the input's pieces behind the target
    language code, as a real model's labels are."""
    gen = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    warmup = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / 100))
    model.eval()
    for _ in range(steps):
        picks = torch.randint(0, len(sentences), (32,), generator=gen).tolist()
        texts = [sentences[i] for i in picks]
        batch = tokenizer(texts, text_target=texts, return_tensors="pt", padding=True, truncation=True, max_length=128)
        batch["labels"][batch["labels"] == model.config.pad_token_id] = -100
        loss = model(**batch).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        warmup.step()
    print(f"  copy training: {steps} steps, final loss {float(loss):.3f}")
    return model


def make_m2m_family(hindi, english, sentences, skip_reference):
    """Tiny M2M100-family models in the two hub layouts, and their references.

    models/tiny-nllb/     NLLB-200 layout: tokenizer.json (+ sentencepiece.bpe.model), model.safetensors
    models/tiny-m2m100/   facebook/m2m100 layout: sentencepiece.bpe.model + vocab.json, pytorch_model.bin
    Both share one SentencePiece BPE model trained on the Hindi and English sentences.
    """
    from transformers import M2M100Config, M2M100ForConditionalGeneration, M2M100Tokenizer, NllbTokenizer
    from transformers.models.nllb.tokenization_nllb import FAIRSEQ_LANGUAGE_CODES

    bpe = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(hindi + english),
        model_writer=bpe,
        vocab_size=2000,
        model_type="bpe",
        normalization_rule_name="nmt_nfkc",
        num_threads=1,
        minloglevel=2,
    )

    def config(vocab_size, **shape):
        return M2M100Config(
            vocab_size=vocab_size, max_position_embeddings=256, scale_embedding=True, activation_function="relu",
            pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=2, **shape,
        )

    def generation_config():
        # As the hub repos have it; the target language comes at generate() time (forced_bos_token_id).
        return GenerationConfig(bos_token_id=0, decoder_start_token_id=2, eos_token_id=2, max_length=200, pad_token_id=1)

    # NLLB layout.
    nllb_dir = MODELS / "tiny-nllb"
    if nllb_dir.exists():
        shutil.rmtree(nllb_dir)
    nllb_dir.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as scratch:
        (Path(scratch) / "sentencepiece.bpe.model").write_bytes(bpe.getvalue())
        nllb_tokenizer = NllbTokenizer.from_pretrained(
            scratch, src_lang="hin_Deva", tgt_lang="eng_Latn", extra_special_tokens=list(FAIRSEQ_LANGUAGE_CODES)
        )
    nllb_tokenizer.save_pretrained(nllb_dir)
    (nllb_dir / "sentencepiece.bpe.model").write_bytes(bpe.getvalue())
    assert nllb_tokenizer.convert_tokens_to_ids("hin_Deva") != nllb_tokenizer.unk_token_id
    torch.manual_seed(0)
    nllb = M2M100ForConditionalGeneration(
        config(len(nllb_tokenizer), d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
               decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=96)
    )
    nllb.config.architectures = ["M2M100ForConditionalGeneration"]
    train_to_copy_m2m(nllb, nllb_tokenizer, hindi, steps=1200, seed=5)
    nllb.generation_config = generation_config()
    nllb.save_pretrained(nllb_dir)

    # m2m100 layout.
    m2m_dir = MODELS / "tiny-m2m100"
    if m2m_dir.exists():
        shutil.rmtree(m2m_dir)
    m2m_dir.mkdir(parents=True)
    proto = spm_pb2.ModelProto()
    proto.ParseFromString(bpe.getvalue())
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for piece in proto.pieces:
        if piece.type == spm_pb2.ModelProto.SentencePiece.NORMAL:
            vocab.setdefault(piece.piece, len(vocab))
    (m2m_dir / "sentencepiece.bpe.model").write_bytes(bpe.getvalue())
    write_json(m2m_dir / "vocab.json", vocab)
    m2m_tokenizer = M2M100Tokenizer(
        vocab_file=str(m2m_dir / "vocab.json"), spm_file=str(m2m_dir / "sentencepiece.bpe.model"),
        src_lang="hi", tgt_lang="en",
    )
    write_json(
        m2m_dir / "tokenizer_config.json",
        {"language_codes": "m2m100", "model_max_length": 1024, "src_lang": "hi", "tgt_lang": "en",
         "tokenizer_class": "M2M100Tokenizer", "num_madeup_words": 8,
         # As facebook/m2m100_418M lists them: the language tokens are special (skipped when decoding).
         "additional_special_tokens": list(m2m_tokenizer.lang_token_to_id)},
    )
    torch.manual_seed(0)
    m2m = M2M100ForConditionalGeneration(
        # Language ids come after vocab.json (M2M100Tokenizer), then fairseq's 8 made-up words.
        config(len(vocab) + len(m2m_tokenizer.lang_code_to_id) + 8, d_model=32, encoder_layers=2, decoder_layers=3, encoder_attention_heads=2,
               decoder_attention_heads=4, encoder_ffn_dim=96, decoder_ffn_dim=64)
    )
    m2m.config.architectures = ["M2M100ForConditionalGeneration"]
    train_to_copy_m2m(m2m, m2m_tokenizer, hindi, steps=1200, seed=6)
    m2m.generation_config = generation_config()
    m2m.save_pretrained(m2m_dir)
    # The m2m100 repos' main branch ships pytorch_model.bin.
    (m2m_dir / "model.safetensors").unlink()
    torch.save(m2m.state_dict(), m2m_dir / "pytorch_model.bin")

    if not skip_reference:
        make_m2m_references(sentences)


def make_m2m_references(sentences):
    """The references of the two M2M100-family models (as they are in models/)."""
    from transformers import M2M100ForConditionalGeneration, M2M100Tokenizer, NllbTokenizer

    nllb_dir, m2m_dir = MODELS / "tiny-nllb", MODELS / "tiny-m2m100"
    nllb_tokenizer = NllbTokenizer.from_pretrained(nllb_dir, src_lang="hin_Deva", tgt_lang="eng_Latn")
    make_reference(
        nllb_dir, "tiny-nllb", sentences, M2M100ForConditionalGeneration, nllb_tokenizer, "nllb", "hin_Deva",
        forced_bos_token_id=nllb_tokenizer.convert_tokens_to_ids("eng_Latn"),
    )
    m2m_tokenizer = M2M100Tokenizer.from_pretrained(m2m_dir, src_lang="hi", tgt_lang="en")
    make_reference(
        m2m_dir, "tiny-m2m100", sentences, M2M100ForConditionalGeneration, m2m_tokenizer, "m2m100", "hi",
        forced_bos_token_id=m2m_tokenizer.get_lang_id("en"),
    )


def check_versions():
    found = {"transformers": transformers.__version__, "torch": torch.__version__, "sentencepiece": spm.__version__}
    for package, version in PINNED.items():
        if not found[package].startswith(version):
            sys.exit(f"{package} {found[package]} found, {version} pinned: install scripts/requirements.txt")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-reference", action="store_true", help="write the models only")
    parser.add_argument("--only-legacy", action="store_true", help="only (re)write the legacy-format repo")
    parser.add_argument("--only-m2m", action="store_true", help="only (re)write the M2M100/NLLB models")
    parser.add_argument(
        "--only-reference", action="store_true", help="only rewrite the references of the committed models"
    )
    args = parser.parse_args()
    check_versions()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)

    hindi = read_gold_sentences("flores_dev_hi.jsonl") + read_gold_sentences("hard_cases.jsonl")
    reference_sentences = list(
        dict.fromkeys(article_sentences() + read_gold_sentences("hard_cases.jsonl") + hindi[:220])
    )
    if args.only_legacy:
        make_legacy(MODELS / "tiny-marian-hi-en", reference_sentences[:48])
        return
    if args.only_reference:
        rewrite_generation_configs()
        make_marian_references(reference_sentences)
        make_m2m_references(reference_sentences)
        return
    english = read_gold_sentences("flores_dev_en.jsonl")
    if args.only_m2m:
        make_m2m_family(hindi, english, reference_sentences, args.skip_reference)
        return
    source_spm = train_spm(hindi, 2500)
    target_spm = train_spm(english, 2000)
    vocab = marian_vocab(source_spm, target_spm)
    pad = vocab["<pad>"]

    # Model 1: the shape of opus-mt-hi-en, shrunk.
    config = MarianConfig(
        vocab_size=len(vocab),
        decoder_vocab_size=len(vocab),
        d_model=64,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=4,
        decoder_attention_heads=4,
        encoder_ffn_dim=128,
        decoder_ffn_dim=128,
        max_position_embeddings=512,
        activation_function="swish",
        scale_embedding=True,
        share_encoder_decoder_embeddings=True,
        pad_token_id=pad,
        decoder_start_token_id=pad,
        eos_token_id=0,
        bos_token_id=0,
        forced_eos_token_id=0,
        architectures=["MarianMTModel"],
    )
    main_dir = MODELS / "tiny-marian-hi-en"
    save_tokenizer_files(main_dir, source_spm, target_spm, vocab)
    tokenizer = MarianTokenizer.from_pretrained(main_dir)
    torch.manual_seed(0)
    model = train_to_copy(MarianMTModel(config), tokenizer, hindi, steps=800, seed=1)
    model.generation_config = main_generation_config(pad)
    save_model(model, main_dir, "safetensors")
    bin_dir = MODELS / "tiny-marian-hi-en-bin"
    save_tokenizer_files(bin_dir, source_spm, target_spm, vocab)
    save_model(model, bin_dir, "bin")

    # Model 2: another shape, so nothing is tied to one config.
    variant = MarianConfig(
        vocab_size=len(vocab),
        d_model=32,
        encoder_layers=3,
        decoder_layers=3,
        encoder_attention_heads=2,
        decoder_attention_heads=4,
        encoder_ffn_dim=96,
        decoder_ffn_dim=48,
        max_position_embeddings=256,
        activation_function="gelu",
        scale_embedding=False,
        share_encoder_decoder_embeddings=False,
        pad_token_id=pad,
        decoder_start_token_id=pad,
        eos_token_id=0,
        forced_eos_token_id=None,
        architectures=["MarianMTModel"],
    )
    variant_dir = MODELS / "tiny-marian-variant"
    save_tokenizer_files(variant_dir, source_spm, target_spm, vocab)
    torch.manual_seed(0)
    model2 = train_to_copy(MarianMTModel(variant), tokenizer, hindi, steps=800, seed=2)
    model2.generation_config = variant_generation_config(pad)
    save_model(model2, variant_dir, "safetensors", drop_config_keys=("decoder_vocab_size",))

    if args.skip_reference:
        make_m2m_family(hindi, english, reference_sentences, True)
        return
    make_marian_references(reference_sentences)
    make_m2m_family(hindi, english, reference_sentences, False)


def make_marian_references(sentences):
    main_dir = MODELS / "tiny-marian-hi-en"
    make_reference(main_dir, "tiny-marian-hi-en", sentences, extra_runs=(("beam6_b8", 6, 8),))
    make_reference(MODELS / "tiny-marian-variant", "tiny-marian-variant", sentences)
    make_legacy(main_dir, sentences[:48])


def main_generation_config(pad):
    """opus-mt-hi-en's generation_config.json, with the fixture's pad id."""
    return GenerationConfig(
        bad_words_ids=[[pad]],
        bos_token_id=0,
        decoder_start_token_id=pad,
        eos_token_id=0,
        forced_eos_token_id=0,
        max_length=512,
        num_beams=6,
        pad_token_id=pad,
        renormalize_logits=True,
    )


def variant_generation_config(pad):
    return GenerationConfig(
        bad_words_ids=[[pad]],
        decoder_start_token_id=pad,
        eos_token_id=0,
        max_length=48,
        num_beams=3,
        length_penalty=0.8,
        no_repeat_ngram_size=3,
        repetition_penalty=1.2,
        min_length=3,
        pad_token_id=pad,
    )


def rewrite_generation_configs():
    """The generation_config.json files as the functions above define them (for --only-reference)."""
    pad = json.loads((MODELS / "tiny-marian-hi-en" / "vocab.json").read_text(encoding="utf-8"))["<pad>"]
    for name, config in (
        ("tiny-marian-hi-en", main_generation_config(pad)),
        ("tiny-marian-hi-en-bin", main_generation_config(pad)),
        ("tiny-marian-variant", variant_generation_config(pad)),
    ):
        config.save_pretrained(MODELS / name)


if __name__ == "__main__":
    main()
