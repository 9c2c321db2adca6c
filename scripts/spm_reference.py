"""The input ids anuvad must give, computed with sentencepiece itself (shared by the fixture scripts).

anuvad encodes everything a user typed as text, with the SentencePiece model the model was trained with,
and places control tokens (end of sentence, language codes) itself:

  Marian:   pieces of source.spm looked up in vocab.json, then </s>
  NLLB:     [source code] pieces of sentencepiece.bpe.model looked up in tokenizer.json's vocabulary, </s>
  M2M100:   [__src__] pieces of sentencepiece.bpe.model looked up in vocab.json, </s>

A piece missing from the vocabulary is <unk>; so is a piece that spells a control token (only a run of
characters the SentencePiece model does not know can). `transformers` differs in two ways, and the
fixtures keep its ids beside ours for those lines: it splits typed special tokens (</s>, <unk>, <pad>,
language codes) out of the text, and for NLLB its fast tokenizer (`tokenizers`) normalizes some text
differently from sentencepiece (huggingface/tokenizers issues 2116, 2334).
"""

import json
from pathlib import Path

import sentencepiece as spm

WHY_SPECIAL = (
    "transformers splits the typed special token out of the text (a typed </s> ends the sentence); anuvad "
    "encodes every typed character as text, as sentencepiece, which the model was trained with, does"
)
WHY_FAST = (
    "transformers' fast tokenizer (tokenizers) differs from sentencepiece on this text; anuvad follows "
    "sentencepiece, which the model was trained with"
)


class SentencePieceIds:
    """Expected ids for one fixture model directory (`kind`: marian, nllb or m2m100)."""

    def __init__(self, model_dir, kind, tokenizer, source_lang=None):
        model_dir = Path(model_dir)
        self.kind = kind
        self.tokenizer = tokenizer
        if kind == "marian":
            self.sp = spm.SentencePieceProcessor(model_file=str(model_dir / "source.spm"))
            vocab = json.loads((model_dir / "vocab.json").read_text(encoding="utf-8"))
            controls = {"</s>", "<unk>", "<pad>"} | {t for t in vocab if t.startswith(">>") and t.endswith("<<")}
            self.before, self.after = [], [vocab["</s>"]]
        elif kind == "nllb":
            self.sp = spm.SentencePieceProcessor(model_file=str(model_dir / "sentencepiece.bpe.model"))
            data = json.loads((model_dir / "tokenizer.json").read_text(encoding="utf-8"))
            vocab = data["model"]["vocab"]
            added = {t["content"]: t["id"] for t in data["added_tokens"]}
            controls = set(added)
            config = json.loads((model_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
            source, eos = added[source_lang], added["</s>"]
            legacy = config.get("legacy_behaviour", False)
            self.before, self.after = ([], [eos, source]) if legacy else ([source], [eos])
        elif kind == "m2m100":
            self.sp = spm.SentencePieceProcessor(model_file=str(model_dir / "sentencepiece.bpe.model"))
            vocab = json.loads((model_dir / "vocab.json").read_text(encoding="utf-8"))
            controls = {"<s>", "<pad>", "</s>", "<unk>"}
            self.before, self.after = [tokenizer.get_lang_id(source_lang)], [vocab["</s>"]]
        else:
            raise ValueError(kind)
        self.unk = vocab["<unk>"]
        self.vocab = {piece: i for piece, i in vocab.items() if piece not in controls}
        # Every control token spelling (typed in text, transformers would split it out).
        self.specials = set(tokenizer.all_special_tokens) | controls

    def ids(self, text):
        pieces = self.sp.encode(text, out_type=str)
        return self.before + [self.vocab.get(p, self.unk) for p in pieces] + self.after

    def record(self, text):
        """{"text", "ids"} plus, where `transformers`' tokenizer gives other ids, those and why."""
        ours = self.ids(text)
        record = {"text": text, "ids": ours}
        theirs = self.tokenizer(text)["input_ids"]
        if theirs != ours:
            record["transformers_ids"] = theirs
            # MarianTokenizer also takes a leading `>>xx<<` as a language code, in its vocabulary or not.
            typed = any(s in text for s in self.specials) or (
                self.kind == "marian" and text.startswith(">>") and "<<" in text
            )
            record["why"] = WHY_SPECIAL if typed else WHY_FAST
            if self.kind != "nllb" and record["why"] == WHY_FAST:
                raise AssertionError(f"{self.kind}: transformers differs from sentencepiece on {text!r}")
        return record
