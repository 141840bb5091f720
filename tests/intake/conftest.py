from pathlib import Path

import pytest

# The project's own copy of the seed speech and its hand labels (tests/data/README.md)
DATA = Path(__file__).resolve().parents[1] / "data"
SEED = DATA / "000_ad234ba100576d65.txt"
SEED_LABELS = DATA / "000_ad234ba100576d65.labels.json"


@pytest.fixture(scope="session")
def seed_path() -> Path:
    # part of the repository: a missing seed is a failure, not a skip
    assert SEED.is_file(), f"seed missing: {SEED} (see tests/data/README.md)"
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
