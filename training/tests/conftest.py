from pathlib import Path

import pytest

from training.paths import DATA_DIR, REPO_ROOT

# the version `npm start` serves: the highest integer version folder
SHIPPED_MODEL = max((p for p in (REPO_ROOT / "models" / "en-hi").iterdir() if p.name.isdigit()), key=lambda p: int(p.name))
TINY_MODEL = REPO_ROOT / "test" / "fixtures" / "models" / "tiny" / "1"
TINY_CHECKPOINT = REPO_ROOT / "test" / "fixtures" / "checkpoints" / "tiny.pt"


@pytest.fixture(scope="session")
def dev_lines() -> dict[str, list[str]]:
    return {lang: (DATA_DIR / f"dev.{lang}").read_text(encoding="utf-8").splitlines() for lang in ("en", "hi")}


@pytest.fixture(autouse=True)
def isolated_training_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests must not append to the real logs/training.log."""
    monkeypatch.setenv("LOG_DIR", str(tmp_path / "logs"))
