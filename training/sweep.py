"""``python3 -m training.sweep``: train several model configurations side by side on one GPU, score each
run's best and checkpoint-averaged weights on the whole dev split, and write the winners' weights.

A lent GPU machine comes for minutes at a time, and a transformer of this size leaves most of a large
GPU idle (each step is bound by kernel launches), so the runs share the card as separate processes.
Selection is by greedy dev chrF (PyTorch) over the full dev split; nothing but train/dev is read.

    python3 -m training.sweep run --data-dir DATA --spm spm.model --out-dir OUT --max-minutes 6.5

writes ``OUT/sweep.json`` (every run's recipe, history and scores) and the weights of the best run
overall and of the best run small enough to ship in fp32, as fp16 state-dict parts of at most 15 MiB
(``<run>-<variant>.partN.pt``) that ``python3 -m training.sweep join`` turns back into a checkpoint.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import sentencepiece as spm
import torch

from .average import average_checkpoints
from .data import read_split
from .export import load_checkpoint
from .model import count_parameters
from .scoring import corpus_bleu, corpus_chrf
from .train import read_checkpoint, save_checkpoint, translate_ids

COMMON = ["--bf16", "--lexicon-max-words", "3", "--max-tokens", "8000", "--lr", "1e-3", "--warmup", "800",
          "--source-weights", "bible=0.35,lexicon=0.5,tatoeba=2,pud=1.5,xquad=1.5,mturk=1.5",
          "--eval-every", "500", "--patience", "1000", "--keep-checkpoints", "5", "--quiet"]
BASE = ["--d-model", "256", "--heads", "4", "--ffn", "1024", "--encoder-layers", "4", "--decoder-layers", "2"]
DEEP = ["--d-model", "256", "--heads", "4", "--ffn", "1024", "--encoder-layers", "6", "--decoder-layers", "3"]
WIDE = ["--d-model", "384", "--heads", "6", "--ffn", "1536", "--encoder-layers", "4", "--decoder-layers", "2"]
MID = ["--d-model", "320", "--heads", "5", "--ffn", "1280", "--encoder-layers", "6", "--decoder-layers", "3"]


def go_on(max_tokens: str, lr: str, dropout: str = "0.3") -> list[str]:
    """A wide model continued from a checkpoint (pass `-- --init-from CKPT`): larger token batches take
    more of the card per step, and a fresh optimizer at a lower peak lr."""
    return [*WIDE, "--dropout", dropout, "--warmup", "300", "--max-tokens", max_tokens, "--lr", lr]


# name -> (train flags, fits the 40 MB package with fp32 weights)
RUNS: dict[str, tuple[list[str], bool]] = {
    "base-do3": ([*BASE, "--dropout", "0.3"], True),
    "base-do2": ([*BASE, "--dropout", "0.2"], True),
    "deep-do3": ([*DEEP, "--dropout", "0.3"], False),
    "deep-do2": ([*DEEP, "--dropout", "0.2"], False),
    "wide-do3": ([*WIDE, "--dropout", "0.3"], False),
    "mid-do3": ([*MID, "--dropout", "0.3"], False),
    "wide-go16k": (go_on("16000", "5e-4"), False),
    "wide-go16k-lr8": (go_on("16000", "8e-4"), False),
    "wide-go32k": (go_on("32000", "7e-4"), False),
    "wide-go16k-do2": (go_on("16000", "5e-4", dropout="0.2"), False),
}
PART_BYTES = 15 * 2**20


def score_run(run_dir: Path, data_dir: Path, spm_path: Path, device: str, dev_limit: int | None = None) -> dict:
    """Averages the kept checkpoints, then scores best.pt and the average on the whole dev split."""
    steps = sorted(run_dir.glob("step-*.pt"))
    if len(steps) >= 2:
        average_checkpoints(steps, run_dir / "averaged.pt")
    sp = spm.SentencePieceProcessor(model_file=str(spm_path))
    eos_id = sp.piece_to_id("</s>")
    dev_en, dev_hi, _ = read_split(data_dir, "dev", dev_limit)
    sources = [ids + [eos_id] for ids in sp.encode(dev_en)]
    scores = {}
    for variant in ("best", "averaged"):
        path = run_dir / f"{variant}.pt"
        if not path.exists():
            continue
        model, ckpt = load_checkpoint(path)
        model.to(device).eval()
        hyps = [sp.decode(ids) for ids in translate_ids(model, sources, batch_size=128)]
        scores[variant] = {"chrf": round(corpus_chrf(hyps, dev_hi), 2), "bleu": round(corpus_bleu(hyps, dev_hi), 2),
                           "step": ckpt["state"]["step"], "params": count_parameters(model)}
    (run_dir / "score.json").write_text(json.dumps(scores, indent=2) + "\n")
    return scores


def write_parts(state_dict: dict, out_dir: Path, stem: str) -> list[str]:
    """fp16 copies of the weights in parts of at most PART_BYTES (the GPU tool returns files ≤ 16 MiB)."""
    parts, current, size = [], {}, 0
    for key, tensor in state_dict.items():
        t = tensor.to(torch.float16) if tensor.is_floating_point() else tensor
        n = t.numel() * t.element_size()
        if n > PART_BYTES:
            raise ValueError(f"{key} alone takes {n} bytes, more than a part may ({PART_BYTES})")
        if current and size + n > PART_BYTES:
            parts.append(current)
            current, size = {}, 0
        current[key] = t
        size += n
    parts.append(current)
    names = []
    for i, part in enumerate(parts):
        names.append(f"{stem}.part{i}.pt")
        torch.save(part, out_dir / names[-1])
    return names


def join(parts: list[Path], config_json: Path, out: Path, spm_path: str | None = None, step_offset: int = 0) -> None:
    """Reassembles ``write_parts`` output into a checkpoint that export/evaluate load (weights as fp32).
    ``spm_path`` replaces the tokenizer path recorded on the GPU machine (export copies the tokenizer
    files from its folder); ``step_offset`` adds the steps of earlier legs to the recorded step."""
    meta = json.loads(config_json.read_text())
    if spm_path is not None:
        meta["spm"] = spm_path
    meta["state"]["step"] = meta["state"].get("step", 0) + step_offset
    state_dict = {}
    for part in parts:
        state_dict.update({k: v.float() if v.is_floating_point() else v
                           for k, v in torch.load(part, map_location="cpu").items()})
    save_checkpoint(out, model=state_dict, config=meta["config"], state=meta["state"], args=meta["args"],
                    spm=meta.get("spm", ""), sweep=meta["sweep"])


def sweep(args) -> dict:
    out_dir, runs_dir = Path(args.out_dir), Path(args.runs_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    procs, train_flags = {}, {}
    for name, (flags, _) in RUNS.items():
        if args.only and name not in args.only.split(","):
            continue
        run_dir = runs_dir / name
        if run_dir.exists() and any(run_dir.iterdir()):
            # old checkpoints would be pruned in place of new ones and averaged with them
            raise SystemExit(f"{run_dir} already holds a run: choose another --runs-dir")
        run_dir.mkdir(parents=True, exist_ok=True)
        train_flags[name] = [*COMMON, *flags, *args.extra]
        cmd = [sys.executable, "-m", "training", "train", "--data-dir", args.data_dir, "--work-dir", str(run_dir),
               "--spm", args.spm, "--device", args.device, "--threads", "2",
               "--max-minutes", str(args.max_minutes), "--cooldown-minutes", str(args.cooldown_minutes),
               *train_flags[name]]
        env = {**os.environ, "LOG_DIR": str(run_dir), "PYTHONUNBUFFERED": "1"}
        procs[name] = subprocess.Popen(cmd, env=env, stdout=open(run_dir / "train.out", "w"),
                                       stderr=subprocess.STDOUT)
        print(f"started {name}: {' '.join(flags)}", flush=True)
    for name, proc in procs.items():
        print(f"{name}: exit {proc.wait()}", flush=True)
    # scoring each run in its own process keeps them side by side on the GPU too
    scorers = {name: subprocess.Popen([sys.executable, "-m", "training.sweep", "score", str(runs_dir / name),
                                       "--data-dir", args.data_dir, "--spm", args.spm, "--device", args.device,
                                       *(["--dev-limit", str(args.dev_limit)] if args.dev_limit else [])])
               for name in procs}
    results = {}
    for name, proc in scorers.items():
        proc.wait()
        run_dir = runs_dir / name
        summary_path, score_path = run_dir / "train_summary.json", run_dir / "score.json"
        results[name] = {
            "flags": RUNS[name][0], "fits_fp32": RUNS[name][1],
            "train_flags": train_flags[name],
            "summary": json.loads(summary_path.read_text()) if summary_path.exists() else None,
            "scores": json.loads(score_path.read_text()) if score_path.exists() else {},
            "tail": (run_dir / "train.out").read_text()[-1500:],
        }
    candidates = [(s["chrf"], name, variant, results[name]["fits_fp32"])
                  for name, r in results.items() for variant, s in r["scores"].items()]
    # the best overall and the best that fits in fp32, once each when they are the same
    picks = list(dict.fromkeys(sorted(candidates, reverse=True)[:1] + sorted(c for c in candidates if c[3])[-1:]))
    written = []
    for chrf, name, variant, _ in picks:
        ckpt = read_checkpoint(runs_dir / name / f"{variant}.pt")
        stem = f"{name}-{variant}"
        written += write_parts(ckpt["model"], out_dir, stem)
        meta = {"config": ckpt["config"], "state": ckpt["state"], "args": ckpt["args"], "spm": ckpt.get("spm", ""),
                "sweep": {"run": name, "variant": variant, "dev_chrf_full_pytorch": chrf,
                          "hardware": (results[name]["summary"] or {}).get("hardware")}}
        results[name].setdefault("exported", []).append(variant)
        (out_dir / f"{stem}.json").write_text(json.dumps(meta, indent=1) + "\n")
    report = {"runs": results, "picks": [list(p) for p in picks], "files": written,
              "max_minutes": args.max_minutes, "cooldown_minutes": args.cooldown_minutes}
    (out_dir / "sweep.json").write_text(json.dumps(report, indent=1) + "\n")
    for chrf, name, variant, fits in sorted(candidates, reverse=True):
        print(f"{chrf:6.2f}  {name:10s} {variant:9s} {'fp32-fit' if fits else ''}")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m training.sweep", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="train every configuration, score, write the winners")
    run.add_argument("--data-dir", required=True)
    run.add_argument("--spm", required=True)
    run.add_argument("--out-dir", required=True)
    run.add_argument("--runs-dir", default="training/work/sweep")
    run.add_argument("--device", default="cuda")
    run.add_argument("--max-minutes", type=float, default=6.5)
    run.add_argument("--cooldown-minutes", type=float, default=2.5)
    run.add_argument("--only", default="", help="comma-separated run names")
    run.add_argument("--dev-limit", type=int, default=None, help="score only the first N dev lines (smoke tests)")
    run.add_argument("extra", nargs="*", help="more train flags (after --)")
    sc = sub.add_parser("score", help="average and score one run folder")
    sc.add_argument("run_dir")
    sc.add_argument("--data-dir", required=True)
    sc.add_argument("--spm", required=True)
    sc.add_argument("--device", default="cuda")
    sc.add_argument("--dev-limit", type=int, default=None)
    jn = sub.add_parser("join", help="fp16 parts + meta json -> checkpoint for export")
    jn.add_argument("meta")
    jn.add_argument("parts", nargs="+")
    jn.add_argument("--out", required=True)
    jn.add_argument("--spm", default=None, help="tokenizer path to record instead of the GPU machine's")
    jn.add_argument("--step-offset", type=int, default=0, help="steps of earlier legs, added to the recorded step")
    args = parser.parse_args(argv)
    if args.command == "run":
        started = time.time()
        sweep(args)
        print(f"sweep took {time.time() - started:.0f} s")
    elif args.command == "score":
        print(score_run(Path(args.run_dir), Path(args.data_dir), Path(args.spm), args.device, args.dev_limit))
    elif args.command == "join":
        join([Path(p) for p in args.parts], Path(args.meta), Path(args.out), args.spm, args.step_offset)
    return 0


if __name__ == "__main__":
    sys.exit(main())
