from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
SEED = SHARED / "seeds" / "000_ad234ba100576d65.txt"
SEED_LABELS = SHARED / "seeds" / "000_ad234ba100576d65.labels.json"


@pytest.fixture(scope="session")
def seed_path() -> Path:
    # CI lays shared/ beside the clone: a missing seed is a failure, not a skip
    assert SEED.is_file(), f"seed missing: {SEED} (shared/ must sit beside the repository)"
    assert SEED_LABELS.is_file(), f"labels missing: {SEED_LABELS}"
    return SEED


@pytest.fixture(scope="session")
def seed_draft(seed_path):
    from duban.intake.engine import analyse

    return analyse(seed_path.read_bytes(), filename=seed_path.name)


@pytest.fixture(scope="session")
def seed_labels(seed_path):
    from duban.intake.engine.score import load_labels

    return load_labels(SEED_LABELS)
