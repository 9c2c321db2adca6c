#!/usr/bin/env python3
"""Regenerate the SentencePiece fixtures: normalization and pieces of hard strings, and adversarial lines.

Run from the repository root with the pinned environment (scripts/requirements.txt), after
scripts/make_fixtures.py (it reads the committed tiny models):

    python scripts/make_sentencepiece_fixtures.py

Deterministic: two runs give byte-identical files. What it writes:

  tests/fixtures/sentencepiece/<model>.jsonl
      for every distinct SentencePiece model in models/ (meta.json names them and the directories that
      use each), one line per string: {"text", "normalized", "pieces"}, what sentencepiece gives with
      `SentencePieceProcessor.normalize(text)` and `encode(text, out_type=str)`. First the hand-written
      cases (HAND_WRITTEN), then GENERATED strings of 1 to 12 atoms drawn from ALPHABET (a seeded
      random choice of a class, then of an atom in it).
  tests/fixtures/reference/<model>/adversarial.jsonl
      for tiny-marian-hi-en and tiny-nllb, our own adversarial Hindi lines (ADVERSARIAL: text pasted from
      web pages, PDFs and old encodings; typed special tokens), each translated alone, greedy and beam 4,
      from the sentencepiece-based ids anuvad gives (scripts/spm_reference.py); transformers' tokenizer ids
      are kept beside them where they differ, with the reason.
"""

import hashlib
import json
import random
import sys
from pathlib import Path

import sentencepiece as spm
import torch
from transformers import M2M100ForConditionalGeneration, MarianMTModel, MarianTokenizer, NllbTokenizer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_fixtures import PINNED, check_versions, generate, write_json, write_jsonl  # noqa: E402
from spm_reference import SentencePieceIds  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
OUT = ROOT / "tests" / "fixtures" / "sentencepiece"
REFERENCE = ROOT / "tests" / "fixtures" / "reference"

GENERATED = 10_000
SEED = 29

# Classes of hard cases; each entry is one atom (a character or a short sequence).
ALPHABET = {
    "spaces": [" ", "  ", "\t", "\n", "\r\n", "\u000b", "\u000c", "\u0085", "\u00a0", "\u1680", "\u2000",
               "\u2002", "\u2003", "\u2007", "\u2008", "\u2009", "\u200a", "\u2028", "\u2029", "\u202f",
               "\u205f", "\u3000", "\u2581", "\u2581\u2581"],
    "format": ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff", "\u00ad", "\u034f",
               "\u061c", "\u202a", "\u202e", "\u2066", "\u2069", "\ufe0e", "\ufe0f", "\U000e0001", "\U000e0041"],
    "marks": ["\u0300", "\u0301", "\u0302", "\u0306", "\u0308", "\u0323", "\u0327", "\u20dd", "\u20e3",
              "\u0901", "\u0902", "\u0903", "\u093c", "\u094d", "\u093e", "\u093f", "\u0940", "\u0947",
              "\u094b", "\u0951", "\u3099", "\u309a", "\u0e49", "\u05b7"],
    "devanagari": ["क", "ख", "ग", "ज", "ड", "ढ", "फ", "य", "र", "ळ", "न", "अ", "आ", "ऋ", "ॐ", "।", "॥",
                   "०", "५", "क्ष", "त्र", "ज्ञ", "राज्य", "सरकार", "नीति", "ने", "की"],
    "nukta": ["क़", "ख़", "ग़", "ज़", "ड़", "ढ़", "फ़", "य़", "ऩ", "ऱ", "ऴ", "\u0958", "\u095b", "\u095e",
              "क\u093c", "ज\u093c", "ड\u093c", "न\u093c", "र\u093c", "ळ\u093c", "फ\u093c", "य\u093c"],
    "latin": ["a", "e", "u", "n", "k", "s", "A", "Z", "ü", "é", "ñ", "ạ", "ế", "ắ", "u\u0308", "e\u0301",
              "a\u0306\u0301", "e\u0302\u0301", "ß", "ı", "İ", "ﬁ", "ﬀ", "ſ", "Ǆ", "ǅ"],
    "compatibility": ["Ａ", "Ｂ", "ｚ", "０", "９", "（", "！", "①", "⑳", "²", "³", "½", "℃", "™", "㎏", "Ⅻ",
                      "ª", "º", "¨", "´", "¸", "¯", "…", "‥", "︰", "﹏", "Ω", "Å", "\u1e9b", "\u2126",
                      "\u212b", "㍻", "ｰ", "〜", "﹩", "₹", "％"],
    "hangul": ["한", "각", "\u1100", "\u1161", "\u11a8", "\u1100\u1161", "\u1100\u1161\u11a8", "ㄱ", "ㅏ",
               "\uffa1", "\uffc2", "\u3164"],
    "kana": ["ｶ", "ｷ", "ﾞ", "ﾟ", "ﾊ", "ｶﾞ", "ﾊﾟ", "カ", "か", "゛", "゜", "か\u3099", "ｱ", "ｧ"],
    "emoji": ["😀", "👍", "👍🏽", "\U0001f3fd", "👨\u200d👩\u200d👧", "🇮🇳", "\U0001f1ee", "1\ufe0f\u20e3",
              "❤", "❤\ufe0f", "🏳\ufe0f\u200d🌈", "©", "™\ufe0f"],
    "controls": ["\u0000", "\u0001", "\u0007", "\u001b", "\u007f", "\u0080", "\u0096", "\u009f"],
    "private_unassigned": ["\ue000", "\uf8ff", "\U000f0000", "\U0010fffd", "\u0378", "\u0984", "\u2fff",
                           "\U0002fffe", "\U000e0080", "\ufdd0", "\ufffe", "\uffff", "\ufffd", "\U0001d15e"],
    "ascii": ["<", ">", "/", "_", ".", ",", "?", "!", "\"", "'", "-", "0", "7", "%", "&"],
    "specials": ["<unk>", "</s>", "<pad>", "<s>", "hin_Deva", "eng_Latn", ">>hin<<", "__hi__", "\uffffunk",
                 "<mask>"],
}

HAND_WRITTEN = [
    "", " ", "   ", "\u00a0", "\u3000\u3000", "\u200b", "\u200b ", " \u200b", "\u00ad", "▁", " ▁ ", "a▁", "▁a",
    # The cases issue 29 names.
    "क \u00a0\u0901 ख", "\u00b3\u0300", "\uff22\u0308", "नई\u2009\u0901 नीति", "न\u093c", "र\u093c", "ळ\u093c",
    "u\u0308\u0301\u0301", "\u1100\u1161\u11a8", "ｶﾞ", "ﾊﾟﾋﾟ", "Tie\u0302\u0301ng Vie\u0323\u0302t",
    "\uffffunk", "\uffff", "unk",
    # Spaces followed by combining marks, and compatibility characters that decompose to a space + mark.
    " \u0301", "a \u0301", "a\u00a0\u0301", "a\u2009\u0308b", "\u00a8", " \u00a8", "a \u00a8 b", "\u00b4x",
    "क\u200d\u094d\u200dष", "क्\u200dष", "क\u200cख",
    # Typed special tokens.
    "<unk> </s> <pad> <s>", "राज्य</s>सरकार", "hin_Deva eng_Latn", ">>hin<< भाषा", "__hi__ नमस्ते",
    # Whitespace of every kind around words.
    "\tटैब\tऔर\nनई पंक्ति\r\n", "a\u000bb\u000cc\u0085d\u2028e\u2029f", "  क्या   आप   तैयार   हैं?   ",
    "ＦＵＬＬＷＩＤＴＨ १२३ ①②③ ﬁ", "😀👍🏽 🇮🇳 1️⃣", "\u0000a\u0000", "\ue000\U0010fffd\u0378",
]

# Our own adversarial lines, one sentence each: what pasting from web pages, PDFs and old encodings gives.
ADVERSARIAL = [
    "राज्य सरकार ने\u00a0नई नीति की घोषणा की।",
    "प्रधानमंत्री ने\u2009कहा कि विकास ही लक्ष्य है।",
    "बैठक में\u202fदोनों देशों के मंत्री शामिल हुए।",
    "किसानों को\u3000राहत मिलेगी।",
    "सरकार ने इस योजना के लिए ५०० करोड़ रुपये दिए।",
    "सरकार ने इस योजना के लिए ５００ करोड़ रुपये दिए।",
    "मौसम विभाग ने भारी बारिश की चेतावनी दी है\u000c",
    "नई दिल्ली\u2028में आज बैठक हुई।",
    "उन्होंने कहा कि यह फ़ैसला अंतिम है।",
    "उन्होंने कहा कि यह फ\u093cैसला अंतिम है।",
    "पुलिस ने ज़िले में धारा 144 लागू की।",
    "पुलिस ने ज\u093cिले में धारा 144 लागू की।",
    "यह ख़बर सुबह आई।",
    "यह ख\u093cबर सुबह आई।",
    "चेन्नई की ऩदी में बाढ़ आई।",
    "चेन्नई की न\u093cदी में बाढ\u093c आई।",
    "तमिल शब्द ऴ और ऱ हिंदी में कम दिखते हैं।",
    "तमिल शब्द ळ\u093c और र\u093c हिंदी में कम दिखते हैं।",
    "मुख्य\u00adमंत्री ने विधान\u00adसभा को संबोधित किया।",
    "प्रधान\u200bमंत्री आज आएंगे।",
    "क्\u200dष और क्\u200cष अलग दिखते हैं।",
    "\ufeffराष्ट्रपति ने भाषण दिया।",
    "मंत्री ने कहा \u201cहम तैयार हैं\u201d और बैठक खत्म हुई।",
    "कीमतें १०% बढ़ीं (पिछले वर्ष ８％ थीं)।",
    "तापमान ४०℃ तक पहुँच गया।",
    "सूचकांक ①, ② और ③ में गिरावट आई।",
    "यह खबर ﬁनल नहीं है।",
    "सियोल में 한국 और 조선 दोनों नाम चलते हैं।",
    "सियोल में \u1112\u1161\u11ab\u1100\u116e\u11a8 नाम चलता है।",
    "टोक्यो के अखबार में ｶﾞｲｼﾞﾝ शब्द छपा।",
    "उन्होंने 👍🏽 भेजा और 🇮🇳 झंडा लगाया।",
    "परिवार 👨\u200d👩\u200d👧 के साथ यात्रा पर गया।",
    "वियतनाम का नाम Vie\u0323\u0302t Nam लिखा गया।",
    "यह बयान \u00a0\u0901 के साथ छपा।",
    "अंक \u00b3\u0300 और \uff22\u0308 अजीब दिखते हैं।",
    "शब्द नई\u2009\u0901 नीति में गड़बड़ी है।",
    "लेख में \ue000 और \U0010fffd चिह्न थे।",
    "लेख में \uffffunk चिह्न था।",
    "तालिका\tमें\tतीन\tस्तंभ हैं।",
    "   शुरुआत और अंत में खाली जगह है।   ",
    "बैठक समाप्त हुई।\u0901",
    "सरकार ने </s> के बाद भी घोषणा जारी रखी।",
    "उन्होंने <unk> लिखा और आगे बढ़ गए।",
    "फ़ॉर्म में <pad> शब्द छपा था।",
    "भाषा कोड hin_Deva और eng_Latn हैं।",
    "दस्तावेज़ में >>hin<< चिह्न और __hi__ लिखा था।",
    "वेबसाइट पर <s>पुराना</s> नया दाम लिखा था।",
    "अंत में </s>",
]

# Model directories whose SentencePiece models are tested, and the file in each.
SPM_FILES = [
    ("tiny-marian-hi-en", "source.spm"),
    ("tiny-marian-hi-en", "target.spm"),
    ("tiny-marian-hi-en-bin", "source.spm"),
    ("tiny-marian-variant", "source.spm"),
    ("tiny-nllb", "sentencepiece.bpe.model"),
    ("tiny-m2m100", "sentencepiece.bpe.model"),
]


def generated_strings():
    rng = random.Random(SEED)
    classes = sorted(ALPHABET)
    strings = []
    while len(strings) < GENERATED:
        atoms = [rng.choice(ALPHABET[rng.choice(classes)]) for _ in range(rng.randint(1, 12))]
        strings.append("".join(atoms))
    return strings


def make_normalization():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.jsonl"):
        old.unlink()
    # One fixture per distinct model file; the same bytes in several directories are tested once.
    distinct = {}
    for directory, file in SPM_FILES:
        blob = (MODELS / directory / file).read_bytes()
        distinct.setdefault(hashlib.sha256(blob).hexdigest(), []).append(f"models/{directory}/{file}")
    strings = HAND_WRITTEN + generated_strings()
    models = {}
    for paths in distinct.values():
        name = Path(paths[0]).parent.name + "-" + Path(paths[0]).stem.replace(".", "-")
        sp = spm.SentencePieceProcessor(model_file=str(ROOT / paths[0]))
        records = [
            {"text": text, "normalized": sp.normalize(text), "pieces": sp.encode(text, out_type=str)}
            for text in strings
        ]
        write_jsonl(OUT / f"{name}.jsonl", records)
        models[name] = paths
        print(f"  {name}: {len(records)} strings ({', '.join(paths)})")
    write_json(
        OUT / "meta.json",
        {
            "versions": {"sentencepiece": spm.__version__},
            "models": models,
            "hand_written": len(HAND_WRITTEN),
            "generated": GENERATED,
            "seed": SEED,
            "alphabet_classes": sorted(ALPHABET),
            "what": "normalized = SentencePieceProcessor.normalize(text); pieces = encode(text, out_type=str)",
        },
    )


def make_adversarial():
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    runs = (("greedy", 1), ("beam4", 4))
    marian_dir, nllb_dir = MODELS / "tiny-marian-hi-en", MODELS / "tiny-nllb"
    nllb_tokenizer = NllbTokenizer.from_pretrained(nllb_dir, src_lang="hin_Deva", tgt_lang="eng_Latn")
    setups = [
        ("tiny-marian-hi-en", MarianMTModel.from_pretrained(marian_dir),
         SentencePieceIds(marian_dir, "marian", MarianTokenizer.from_pretrained(marian_dir)), {}),
        ("tiny-nllb", M2M100ForConditionalGeneration.from_pretrained(nllb_dir),
         SentencePieceIds(nllb_dir, "nllb", nllb_tokenizer, "hin_Deva"),
         {"forced_bos_token_id": nllb_tokenizer.convert_tokens_to_ids("eng_Latn")}),
    ]
    for name, model, expected, kwargs in setups:
        model.eval()
        records = [expected.record(text) for text in ADVERSARIAL]
        for label, beams in runs:
            outputs = generate(model, expected.tokenizer, [r["ids"] for r in records], beams, 1, **kwargs)
            for record, output in zip(records, outputs):
                record[label] = {key: output[key] for key in ("ids", "text", "score")}
        write_jsonl(REFERENCE / name / "adversarial.jsonl", records)
        differ = sum("transformers_ids" in r for r in records)
        print(f"  {name}: {len(records)} adversarial lines, {differ} with other transformers ids")


def main():
    check_versions()
    assert spm.__version__.startswith(PINNED["sentencepiece"])
    make_normalization()
    make_adversarial()


if __name__ == "__main__":
    main()
