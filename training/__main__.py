"""Command line: ``/usr/bin/python3 -m training {tokenizer,train,average,export,evaluate,package,all}``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .paths import DATA_DIR, MODELS_DIR, WORK_DIR

# Dev lines scored during training (evenly spaced): they pick the checkpoint, so evaluate scores the rest apart.
SELECTION_LINES = 400


def add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", default=str(DATA_DIR), help="folder with train/dev .en/.hi/.source")
    p.add_argument("--work-dir", default=str(WORK_DIR), help="checkpoints and SentencePiece files")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python3 -m training", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    tok = sub.add_parser("tokenizer", help="train the joint SentencePiece vocabulary and write tokenizer.json")
    add_common(tok)
    tok.add_argument("--vocab-size", type=int, default=8000)
    tok.add_argument("--train-limit", type=int, default=None, help="use only the first N lines of each side")

    tr = sub.add_parser("train", help="train the transformer (resumable)")
    add_common(tr)
    tr.add_argument("--spm", default=None, help="SentencePiece model (default: WORK_DIR/spm.model)")
    tr.add_argument("--d-model", type=int, default=256)
    tr.add_argument("--heads", type=int, default=4)
    tr.add_argument("--ffn", type=int, default=1024)
    tr.add_argument("--encoder-layers", type=int, default=4)
    tr.add_argument("--decoder-layers", type=int, default=2)
    tr.add_argument("--dropout", type=float, default=0.1)
    tr.add_argument("--max-tokens", type=int, default=3000, help="padded tokens per batch (longer side)")
    tr.add_argument("--max-len", type=int, default=128, help="drop pairs with more tokens on either side")
    tr.add_argument("--lr", type=float, default=1e-3, help="peak learning rate")
    tr.add_argument("--warmup", type=int, default=500)
    tr.add_argument("--label-smoothing", type=float, default=0.1)
    tr.add_argument("--clip", type=float, default=1.0)
    tr.add_argument("--source-weights", default="bible=0.35",
                    help="tag=weight list, e.g. 'bible=0.35,l10n-*=1' (expected copies per epoch)")
    tr.add_argument("--lexicon-max-words", type=int, default=0,
                    help="also train on the FreeDict lexicon entries whose Hindi gloss has at most N words "
                         "(tag 'lexicon', weighted like any tag; 0 = not used)")
    tr.add_argument("--max-steps", type=int, default=0)
    tr.add_argument("--max-epochs", type=int, default=0)
    tr.add_argument("--max-minutes", type=float, default=0, help="stop after this much training time")
    tr.add_argument("--cooldown-minutes", type=float, default=0,
                    help="decay the learning rate linearly to zero over the last N minutes of --max-minutes")
    tr.add_argument("--eval-every", type=int, default=500)
    tr.add_argument("--eval-lines", type=int, default=SELECTION_LINES, help="dev lines scored during training")
    tr.add_argument("--patience", type=int, default=4, help="evaluations without dev chrF gain before stopping")
    tr.add_argument("--log-every", type=int, default=50)
    tr.add_argument("--train-limit", type=int, default=None)
    tr.add_argument("--threads", type=int, default=2, help="CPU threads for torch")
    tr.add_argument("--device", default="cpu", help="cpu or cuda (a GPU machine)")
    tr.add_argument("--bf16", action="store_true",
                    help="bfloat16 autocast for the forward pass (2.6x the tokens/s in training on this AVX512-BF16 CPU)")
    tr.add_argument("--seed", type=int, default=1)
    tr.add_argument("--resume", action="store_true", help="continue from WORK_DIR/last.pt")
    tr.add_argument("--init-from", default=None,
                    help="start from this checkpoint's weights (same configuration) with a fresh optimizer and schedule")
    tr.add_argument("--keep-checkpoints", type=int, default=0,
                    help="keep the checkpoints of the last N evaluations (WORK_DIR/step-NNNNNN.pt) for `average`")
    tr.add_argument("--quiet", action="store_true", help="no progress bar")

    av = sub.add_parser("average", help="average the weights of checkpoints (e.g. the last evaluations of a run)")
    add_common(av)
    av.add_argument("checkpoints", nargs="+", help="checkpoints of one model, oldest first")
    av.add_argument("--out", default=None, help="default: WORK_DIR/averaged.pt")
    av.add_argument("--score", nargs="*", default=None, metavar="CHECKPOINT",
                    help="also score the result and these checkpoints on the training run's dev subset")
    av.add_argument("--spm", default=None, help="SentencePiece model (default: WORK_DIR/spm.model)")
    av.add_argument("--eval-lines", type=int, default=SELECTION_LINES)

    ex = sub.add_parser("export", help="export a checkpoint to the Optimum Marian ONNX layout")
    add_common(ex)
    ex.add_argument("--checkpoint", default=None, help="default: WORK_DIR/best.pt")
    ex.add_argument("--out", required=True, help="version folder, e.g. models/en-hi/7")
    ex.add_argument("--opset", type=int, default=17)
    ex.add_argument("--num-beams", type=int, default=4)
    ex.add_argument("--max-new-tokens", type=int, default=256)
    ex.add_argument("--length-penalty", type=float, default=1.0)
    ex.add_argument("--weights-dtype", choices=("float32", "float16"), default="float32",
                    help="float16 rounds the weights and stores them at half the size (computation stays float32)")

    ev = sub.add_parser("evaluate", help="BLEU/chrF through the exported ONNX files + PyTorch/ORT parity")
    add_common(ev)
    ev.add_argument("--model-dir", required=True, help="exported version folder")
    ev.add_argument("--checkpoint", default=None, help="PyTorch checkpoint for the parity check")
    ev.add_argument("--limit", type=int, default=None, help="score only the first N dev lines")
    ev.add_argument("--parity-lines", type=int, default=50)
    ev.add_argument("--beams", default="1,4")
    ev.add_argument("--selection-lines", type=int, default=SELECTION_LINES,
                    help="size of the dev subset training scored to pick checkpoints; the rest is also scored apart")

    pk = sub.add_parser("package", help="drift profile, model card, checksums for an exported version")
    add_common(pk)
    pk.add_argument("--model-dir", required=True)
    pk.add_argument("--name", default="en-hi")

    tf = sub.add_parser("tiny-fixture", help="rebuild test/fixtures/models/tiny/1 and its checkpoint")
    add_common(tf)

    al = sub.add_parser("all", help="tokenizer → train → export → evaluate → package into models/en-hi/<version>")
    add_common(al)
    al.add_argument("--version", default="1")
    al.add_argument("--max-minutes", type=float, default=133)
    al.add_argument("--cooldown-minutes", type=float, default=45)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    work = Path(args.work_dir)
    if args.command == "tokenizer":
        from .tokenizer import train_sentencepiece, write_hf_tokenizer
        data = Path(args.data_dir)
        model = train_sentencepiece([data / "train.en", data / "train.hi"], work / "spm", args.vocab_size,
                                    args.train_limit)
        write_hf_tokenizer(model, work)
        print(f"wrote {model} and {work / 'tokenizer.json'}")
    elif args.command == "train":
        from .train import train
        args.spm = args.spm or str(work / "spm.model")
        print(train(args))
    elif args.command == "average":
        from .average import average_checkpoints, score_checkpoints
        out = average_checkpoints([Path(p) for p in args.checkpoints], Path(args.out or work / "averaged.pt"))
        print(f"wrote {out}")
        if args.score is not None:
            scores = score_checkpoints([out, *map(Path, args.score)], Path(args.data_dir),
                                       Path(args.spm or work / "spm.model"), args.eval_lines)
            for path, chrf in scores.items():
                print(f"dev chrF {chrf:6.2f}  {path}")
    elif args.command == "export":
        from .export import export_package
        export_package(Path(args.checkpoint or work / "best.pt"), Path(args.out), args)
    elif args.command == "evaluate":
        from .evaluate import evaluate
        print(evaluate(args))
    elif args.command == "package":
        from .package import package
        package(Path(args.model_dir), Path(args.data_dir), args.name)
    elif args.command == "tiny-fixture":
        from .fixture import build_tiny_fixture
        build_tiny_fixture(args)
    elif args.command == "all":
        from .pipeline import run_all
        run_all(args, MODELS_DIR)
    return 0


if __name__ == "__main__":
    sys.exit(main())
