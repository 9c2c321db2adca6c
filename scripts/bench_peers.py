#!/usr/bin/env python3
"""anuvad against CTranslate2 and transformers on the same model, the same sentences and the same
number of generated tokens, on this machine, in one process tree.

    python scripts/bench_peers.py [--work bench-work] [--sentences 64] [--reps 3] [--threads 1,2]
    python scripts/bench_peers.py --shape nllb-600m --settings greedy-32,beam4-32 --threads 2
    INDICTRANS2=PATH INDICTRANS2_TOKENIZER=PATH python scripts/bench_peers.py --shape indictrans2-dist-200m \
        --settings greedy-32,beam4-32 --threads 2      # (and indictrans2-1b)
    python scripts/bench_peers.py --shape tc-big --settings greedy-32,beam4-32 --threads 2   # the default model
    python scripts/bench_peers.py --compare-bin OTHER/target/release/examples/bench_translate \
        --engines anuvad,anuvad-before,ct2-float32     # another build of anuvad side by side
    python scripts/bench_peers.py --isa avx2 --threads 2 --settings greedy-32,beam4-32 \
        --engines anuvad,anuvad-bf16,anuvad-int8,ct2-float32,ct2-int8   # every engine at one ISA level

With --isa, every engine is held to the same instruction-set level: anuvad with ANUVAD_CPU_ISA (and
checked: bench_translate reports the level it ran), CTranslate2 with CT2_FORCE_CPU_ISA for its own
kernels and MKL_ENABLE_INSTRUCTIONS / ONEDNN_MAX_CPU_ISA for the matrix libraries under it (which
CT2_FORCE_CPU_ISA does not reach; checked: MKL's verbose banner names the instruction set it runs),
transformers (torch) with ATEN_CPU_CAPABILITY and the same MKL/oneDNN limits.

IndicTrans2 shapes run in the venv of scripts/requirements-indictrans.txt (transformers 4.53.2) with a checkout
of AI4Bharat/IndicTrans2 (INDICTRANS2, its modeling code) and the hub's tokenization_indictrans.py
(INDICTRANS2_TOKENIZER); `transformers` runs the whole reference pipeline (IndicProcessor, tokenizer,
generate, decode, postprocess) as anuvad does. CTranslate2 has no converter for these models' files, so it
is not among their engines.

It (re)builds the seeded random model with the exact shape of Helsinki-NLP/opus-mt-hi-en and its
CTranslate2 conversions (scripts/bench_model.py) when they are missing, builds anuvad's timing example
(`cargo build --release --example bench_translate`), then runs every engine in its own process, the
engines alternating within each repetition, for greedy and beam 4 at batch 32 and batch 1, for each
thread count. Every engine generates exactly --new-tokens tokens per sentence (EOS suppressed until
then, stopped there), so all do the same work. Printed: medians over the repetitions of sentences/s,
tokens/s, peak RSS (VmHWM of the process), model load time and first-sentence latency, and anuvad's
ratio to each peer. Batch-1 rows use a quarter of the sentences (they are slow for every engine).

Needs the Python packages of scripts/requirements.txt plus ctranslate2 and psutil (not needed by tests).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ("anuvad", "anuvad-bf16", "anuvad-int8", "ct2-float32", "ct2-int8", "transformers")
# Per model shape: the hub-layout directory, the CTranslate2 directory prefix, target language prefix,
# text put before every source sentence (a multi-target Marian model's target token; anuvad adds it
# itself, as its default target `eng`).
SHAPES = {
    "opus": ("opus-mt-hi-en-shape", "ct2-", None, ""),
    "nllb-600m": ("nllb-600m-shape", "ct2-nllb-", "eng_Latn", ""),
    "tc-big": ("tc-big-shape", "ct2-tc-", None, ">>eng<< "),
    "indictrans2-dist-200m": ("indictrans2-dist-200m-shape", None, None, ""),
    "indictrans2-1b": ("indictrans2-1b-shape", None, None, ""),
}


def indictrans2_worker_parts(model_dir):
    """The reference pipeline's pieces for an IndicTrans2 shape: model, tokenizer, IndicProcessor."""
    import importlib
    import subprocess
    import tempfile

    from transformers.models.auto.auto_factory import add_generation_mixin_to_remote_model

    code, tokenizer_file = os.environ["INDICTRANS2"], os.environ["INDICTRANS2_TOKENIZER"]
    scratch = tempfile.mkdtemp()
    for name in ("configuration_indictrans.py", "modeling_indictrans.py"):
        path = Path(code) / "huggingface_interface" / name
        text = path.read_text(encoding="utf-8") if path.exists() else subprocess.run(
            ["git", "--git-dir", code, "show", f"HEAD:huggingface_interface/{name}"], check=True,
            capture_output=True, text=True).stdout
        (Path(scratch) / name).write_text(text.replace("from .configuration", "from configuration"), encoding="utf-8")
    Path(scratch, "tokenization_indictrans.py").write_text(Path(tokenizer_file).read_text(encoding="utf-8"))
    sys.path.insert(0, scratch)
    modeling = importlib.import_module("modeling_indictrans")
    tokenization = importlib.import_module("tokenization_indictrans")
    from IndicTransToolkit.processor import IndicProcessor

    model_class = add_generation_mixin_to_remote_model(modeling.IndicTransForConditionalGeneration)
    tokenizer = tokenization.IndicTransTokenizer(
        src_vocab_fp=str(model_dir / "dict.SRC.json"), tgt_vocab_fp=str(model_dir / "dict.TGT.json"),
        src_spm_fp=str(model_dir / "model.SRC"), tgt_spm_fp=str(model_dir / "model.TGT"))
    return model_class, tokenizer, IndicProcessor(inference=True)


def peak_rss_mb():
    """Peak resident memory of this process (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def read_sentences(work, limit):
    lines = [l for l in (work / "sentences.txt").read_text(encoding="utf-8").splitlines() if l.strip()]
    return lines[:limit]


def worker(args):
    """Runs one Python engine once and prints one JSON line (the parent parses it)."""
    work = Path(args.work)
    sentences = read_sentences(work, args.limit)
    threads = args.threads_one
    model_name, ct2_prefix, target_language, source_prefix = SHAPES[args.shape]
    sentences = [source_prefix + s for s in sentences]
    model_dir = work / model_name
    if args.shape.startswith("indictrans2"):
        import torch

        torch.set_num_threads(threads)
        started = time.perf_counter()
        model_class, tokenizer, processor = indictrans2_worker_parts(model_dir)
        model = model_class.from_pretrained(str(model_dir)).eval()
        # transformers 4.53.2's beam search reads config.vocab_size, which IndicTransConfig does not have
        # (the output width is decoder_vocab_size; the fixture generator does the same).
        model.config.vocab_size = model.config.decoder_vocab_size
        load = time.perf_counter() - started
        source = sentences

        def run(batch):
            produced = 0
            for start in range(0, len(batch), args.batch):
                prepared = processor.preprocess_batch(batch[start:start + args.batch], src_lang="hin_Deva",
                                                      tgt_lang="eng_Latn")
                encoded = tokenizer(prepared, truncation=True, padding="longest", return_tensors="pt")
                with torch.inference_mode():
                    out = model.generate(**encoded, num_beams=args.beams, min_new_tokens=args.new_tokens,
                                         max_new_tokens=args.new_tokens, do_sample=False)
                texts = tokenizer.batch_decode(out, skip_special_tokens=True, clean_up_tokenization_spaces=True)
                processor.postprocess_batch(texts, lang="eng_Latn")
                produced += out.shape[0] * (out.shape[1] - 1)
            return produced
    elif args.worker.startswith("ct2-"):
        import ctranslate2
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(model_dir), **({"src_lang": "hin_Deva"} if target_language else {}))
        source = [tokenizer.convert_ids_to_tokens(tokenizer(s)["input_ids"]) for s in sentences]
        started = time.perf_counter()
        translator = ctranslate2.Translator(
            str(work / (ct2_prefix + args.worker.removeprefix("ct2-"))), device="cpu", inter_threads=1,
            intra_threads=threads,
        )
        load = time.perf_counter() - started

        def run(batch):
            prefix = [[target_language]] * len(batch) if target_language else None
            results = translator.translate_batch(
                batch, target_prefix=prefix, beam_size=args.beams, max_batch_size=args.batch,
                min_decoding_length=args.new_tokens, max_decoding_length=args.new_tokens, return_end_token=True,
            )
            return sum(len(r.hypotheses[0]) for r in results)
    else:
        import torch
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(model_dir), **({"src_lang": "hin_Deva"} if target_language else {}))

        torch.set_num_threads(threads)
        started = time.perf_counter()
        model = AutoModelForSeq2SeqLM.from_pretrained(str(model_dir)).eval()
        load = time.perf_counter() - started
        source = sentences
        extra = {"forced_bos_token_id": tokenizer.convert_tokens_to_ids(target_language)} if target_language else {}

        def run(batch):
            produced = 0
            for start in range(0, len(batch), args.batch):
                encoded = tokenizer(batch[start:start + args.batch], return_tensors="pt", padding=True)
                with torch.inference_mode():
                    out = model.generate(
                        **encoded, num_beams=args.beams, min_new_tokens=args.new_tokens,
                        max_new_tokens=args.new_tokens, do_sample=False, **extra,
                    )
                produced += out.shape[0] * (out.shape[1] - 1)
            return produced

    started = time.perf_counter()
    run(source[:1])
    first = time.perf_counter() - started
    started = time.perf_counter()
    tokens = run(source)
    seconds = time.perf_counter() - started
    print(json.dumps({
        "engine": args.worker, "sentences": len(source), "tokens": tokens, "seconds": seconds,
        "load_seconds": load, "first_sentence_seconds": first, "peak_rss_mb": peak_rss_mb(),
    }))


# Per --isa level: anuvad's ANUVAD_CPU_ISA, CTranslate2's CT2_FORCE_CPU_ISA, MKL_ENABLE_INSTRUCTIONS
# (AVX512 is Skylake-SP's AVX-512; _E1 adds VNNI, _E4 AMX), oneDNN's ONEDNN_MAX_CPU_ISA, torch's
# ATEN_CPU_CAPABILITY.
ISA_LEVELS = {
    "avx2": ("avx2", "AVX2", "AVX2", "AVX2", "avx2"),
    "avx512": ("avx512", "AVX512", "AVX512", "AVX512_CORE", "avx512"),
    "avx512vnni": ("avx512vnni", "AVX512", "AVX512_E1", "AVX512_CORE_VNNI", "avx512"),
    "amx": ("amx", "AVX512", "AVX512_E4", "AVX512_CORE_AMX", "avx512"),
}


def isa_environment(engine, isa):
    """The variables that hold `engine` to the instruction-set level `isa` (none without --isa)."""
    if not isa:
        return {}
    anuvad, ct2, mkl, onednn, aten = ISA_LEVELS[isa]
    if engine.startswith("anuvad"):
        return {"ANUVAD_CPU_ISA": anuvad}
    limits = {"MKL_ENABLE_INSTRUCTIONS": mkl, "ONEDNN_MAX_CPU_ISA": onednn}
    if engine.startswith("ct2-"):
        return dict(limits, CT2_FORCE_CPU_ISA=ct2)
    return dict(limits, ATEN_CPU_CAPABILITY=aten)


def mkl_banner(work, shape, isa):
    """MKL's own account of the instruction set it runs under --isa's limits (its verbose banner, from
    one short CTranslate2 translation)."""
    env = dict(os.environ, MKL_VERBOSE="1", **isa_environment("ct2-float32", isa))
    command = [
        sys.executable, __file__, "--worker", "ct2-float32", "--work", str(work), "--beams", "1", "--batch", "1",
        "--limit", "1", "--threads-one", "1", "--new-tokens", "2", "--shape", shape,
    ]
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    banner = next((l for l in out.splitlines() if l.startswith("MKL_VERBOSE oneMKL")), "no MKL banner")
    return banner.split(" for Intel(R) 64 architecture ")[-1].split(", Lnx")[0]


def run_engine(engine, work, shape, beams, batch, limit, threads, new_tokens, compare_bin=None, isa=None):
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    env.update(isa_environment(engine, isa))
    if engine == "anuvad-bf16":
        # anuvad with `--dtype bf16`: bf16-packed weights, f32 arithmetic (outputs can differ from f32).
        env["ANUVAD_DTYPE"] = "bf16"
    if engine == "anuvad-int8":
        # anuvad with `--quantize int8` (int8 products; outputs can differ from f32).
        env["ANUVAD_DTYPE"] = "int8"
    if engine.startswith("anuvad"):
        binary = ROOT / "target" / "release" / "examples" / "bench_translate"
        if engine.startswith("anuvad-before"):
            # Another build of anuvad (e.g. before a change), f32 or with the suffix's precision.
            binary = Path(compare_bin)
            if engine != "anuvad-before":
                env["ANUVAD_DTYPE"] = engine.removeprefix("anuvad-before-")
        command = [
            str(binary), str(work / SHAPES[shape][0]),
            str(work / "sentences.txt"), str(beams), str(batch), str(new_tokens), str(limit),
        ]
    else:
        command = [
            sys.executable, __file__, "--worker", engine, "--work", str(work), "--beams", str(beams),
            "--batch", str(batch), "--limit", str(limit), "--threads-one", str(threads),
            "--new-tokens", str(new_tokens), "--shape", shape,
        ]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{engine} failed ({done.returncode}): {' '.join(command)}\n{done.stderr}")
    out = done.stdout
    result = json.loads(out.strip().splitlines()[-1])
    expected = limit * new_tokens
    if result["tokens"] != expected:
        raise SystemExit(f"{engine} generated {result['tokens']} tokens, expected {expected}: lengths not forced")
    if isa and engine.startswith("anuvad") and result.get("isa") != ISA_LEVELS[isa][0]:
        raise SystemExit(f"{engine} ran at level {result.get('isa')}, not {isa}: this CPU lacks it")
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", default=str(ROOT / "bench-work"))
    parser.add_argument("--sentences", type=int, default=64)
    parser.add_argument("--new-tokens", type=int, default=36, help="tokens generated per sentence (mean source length)")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--settings", default="greedy-32,beam4-32,greedy-1,beam4-1")
    parser.add_argument("--shape", default="opus", choices=sorted(SHAPES))
    parser.add_argument("--isa", choices=sorted(ISA_LEVELS), help="hold every engine to this instruction-set level")
    parser.add_argument("--compare-bin", help="bench_translate of another anuvad build: engines anuvad-before, "
                        "anuvad-before-bf16, anuvad-before-int8")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--beams", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--threads-one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)

    work = Path(args.work)
    model_name, ct2_prefix, _, _ = SHAPES[args.shape]
    if args.shape.startswith("indictrans2"):
        # No CTranslate2 engines: its converters do not take these models (see bench_model.py).
        args.engines = ",".join(e for e in args.engines.split(",") if not e.startswith("ct2-"))
        if not (work / model_name / "model.safetensors").exists():
            subprocess.run([sys.executable, str(ROOT / "scripts" / "bench_model.py"), str(work), f"--{args.shape}",
                            "--indictrans2", os.environ["INDICTRANS2"]], check=True)
    elif not (work / (ct2_prefix + "int8")).exists():
        flags = {"nllb-600m": ["--nllb-600m"], "tc-big": ["--tc-big"]}.get(args.shape, [])
        subprocess.run([sys.executable, str(ROOT / "scripts" / "bench_model.py"), str(work)] + flags, check=True)
    subprocess.run(["cargo", "build", "--release", "--example", "bench_translate"], cwd=ROOT, check=True)
    engines = args.engines.split(",")
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), "unknown CPU")
    print(f"# {args.shape} shape; {cpu}, {os.cpu_count()} cores; {args.sentences} sentences (batch 1: {max(1, args.sentences // 4)}), "
          f"{args.new_tokens} new tokens each; medians of {args.reps}")
    if args.isa:
        anuvad, ct2, mkl, onednn, aten = ISA_LEVELS[args.isa]
        print(f"# level {args.isa}: ANUVAD_CPU_ISA={anuvad}; CT2_FORCE_CPU_ISA={ct2}, MKL_ENABLE_INSTRUCTIONS={mkl}, "
              f"ONEDNN_MAX_CPU_ISA={onednn} (torch also ATEN_CPU_CAPABILITY={aten}); MKL runs: "
              f"{mkl_banner(work, args.shape, args.isa)}")
    rows = []
    for threads in [int(t) for t in args.threads.split(",")]:
        for setting in args.settings.split(","):
            decoding, batch = setting.split("-")
            beams = 1 if decoding == "greedy" else int(decoding.removeprefix("beam"))
            batch = int(batch)
            limit = args.sentences if batch > 1 else max(1, args.sentences // 4)
            runs = {engine: [] for engine in engines}
            for rep in range(args.reps):
                # Alternate the engines' order each repetition so drift in the machine hits all alike.
                order = engines if rep % 2 == 0 else list(reversed(engines))
                for engine in order:
                    runs[engine].append(
                        run_engine(engine, work, args.shape, beams, batch, limit, threads, args.new_tokens,
                                   args.compare_bin, args.isa)
                    )
            summary = {}
            for engine, results in runs.items():
                summary[engine] = {
                    "sent_s": statistics.median(r["sentences"] / r["seconds"] for r in results),
                    "tok_s": statistics.median(r["tokens"] / r["seconds"] for r in results),
                    "rss": max(r["peak_rss_mb"] or 0 for r in results),
                    "load": statistics.median(r["load_seconds"] for r in results),
                    "first": statistics.median(r["first_sentence_seconds"] for r in results),
                }
            rows.append((threads, setting, summary))
            print_rows([rows[-1]], engines)
    print()
    print("| threads | setting | engine | sent/s | tok/s | peak RSS MB | load s | first sentence s "
          "| anuvad f32 ratio | anuvad bf16 ratio | anuvad int8 ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print_rows(rows, engines)


def print_rows(rows, engines):
    for threads, setting, summary in rows:
        def ratio(ours, s):
            return "" if ours is None or ours is s else f"{ours['sent_s'] / s['sent_s']:.2f}x"

        for engine in engines:
            s = summary[engine]
            ratios = [
                "" if engine.startswith("anuvad") and not engine.startswith("anuvad-before") else ratio(summary.get(ours), s)
                for ours in ("anuvad", "anuvad-bf16", "anuvad-int8")
            ]
            print(f"| {threads} | {setting} | {engine} | {s['sent_s']:.2f} | {s['tok_s']:.0f} | {s['rss']:.0f} | "
                  f"{s['load']:.2f} | {s['first']:.3f} | {' | '.join(ratios)} |", flush=True)


if __name__ == "__main__":
    main()
