"""``python3 -m training all``: the first leg of the run behind the shipped model (version 1), stage by stage.
Later legs resume it with ``train --resume`` (training/README.md lists them)."""
from __future__ import annotations

from pathlib import Path


def run_all(args, models_dir: Path) -> None:
    from .__main__ import main

    common = ["--data-dir", args.data_dir, "--work-dir", args.work_dir]
    out = models_dir / "en-hi" / args.version
    work = Path(args.work_dir)
    # A fresh run retrains the tokenizer and overwrites best.pt/last.pt from its first evaluation:
    # never over a run in progress, nor over a shipped version.
    if (work / "last.pt").exists():
        raise SystemExit(f"{work} already holds a training run (last.pt): continue it with `train --resume` "
                         "(training/README.md), or start another with --work-dir <an empty folder>")
    if out.exists():
        raise SystemExit(f"{out} exists: choose another --version")
    main(["tokenizer", *common])
    main(["train", *common, "--max-minutes", str(args.max_minutes), "--cooldown-minutes", str(args.cooldown_minutes),
          "--eval-every", "400", "--warmup", "400", "--quiet"])
    main(["export", *common, "--checkpoint", str(work / "best.pt"), "--out", str(out)])
    main(["evaluate", *common, "--model-dir", str(out), "--checkpoint", str(work / "best.pt")])
    main(["package", *common, "--model-dir", str(out)])
