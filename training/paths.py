"""Where things live. Every path can be overridden on the command line."""
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# $DATA_DIR, as for the Node tests, where the corpus is not beside the checkout (CI runners)
DATA_DIR = Path(os.environ.get("DATA_DIR") or REPO_ROOT.parent / "shared" / "data" / "en-hi")
WORK_DIR = REPO_ROOT / "training" / "work"          # ignored by git: checkpoints, spm files
LOG_DIR = REPO_ROOT / "logs"
MODELS_DIR = REPO_ROOT / "models"
