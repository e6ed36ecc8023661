"""JSON-lines training events (the seed's ``log_training_event``)."""
import json
import os
import time
from pathlib import Path

from .paths import LOG_DIR


def log_training_event(event: str, **fields) -> dict:
    """Append one event to ``$LOG_DIR/training.log`` (default ``logs/``) and return it."""
    log_dir = Path(os.environ.get("LOG_DIR", LOG_DIR))
    log_dir.mkdir(parents=True, exist_ok=True)
    record = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()), "event": event, **fields}
    with open(log_dir / "training.log", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return record
