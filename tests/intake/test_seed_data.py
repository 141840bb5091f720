"""The seed speech and its labels are the project's own test data (tests/data/README.md): exact
copies, and nothing in the test suite reaches outside the repository for them."""

import hashlib
import re
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
DATA = TESTS / "data"
SEED = DATA / "000_ad234ba100576d65.txt"
SEED_LABELS = DATA / "000_ad234ba100576d65.labels.json"
README = DATA / "README.md"


def test_the_seed_files_are_the_copies_the_readme_lists_byte_for_byte():
    rows = re.findall(r"^([0-9a-f]{64})  (\S+)$", README.read_text(), re.MULTILINE)
    listed = {name: digest for digest, name in rows}
    assert set(listed) == {SEED.name, SEED_LABELS.name, "000_ad234ba100576d65.labels.md"}
    for name, digest in listed.items():
        assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == digest, name


def test_the_readme_states_where_the_speech_and_the_labels_come_from():
    text = README.read_text()
    assert "向前进" in text and "恩施市" in text and "2017-02-19" in text and "hand labels" in text


def test_no_test_reads_the_seed_from_beside_the_repository():
    pattern = re.compile(r"""parent\s*/\s*["']shared["']|\.\./shared|/work/shared"""
                         r"""|["']shared["']\s*/\s*["']seeds""")
    offenders = [str(p.relative_to(TESTS)) for p in TESTS.rglob("*.py")
                 if p != Path(__file__).resolve() and pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
