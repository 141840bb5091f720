"""The layer order is enforced: the import-linter contract in pyproject.toml holds for the tree,
and it does fail when a lower layer imports a higher one — even inside a function
(docs/decisions/0001-layers.md)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(cwd: Path, src: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([str(LINT), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def _copy_of_the_package(tmp_path: Path) -> Path:
    """The Python modules of duban, alone, in a fresh folder (no templates, static or data)."""
    src = tmp_path / "src"

    def ignore(folder, names):
        return [n for n in names if not n.endswith(".py") and not (Path(folder) / n).is_dir()
                or n in ("__pycache__", "static", "staticfiles", "templates", "locale", "var", "data")]

    shutil.copytree(ROOT / "src" / "duban", src / "duban", ignore=ignore)
    return src


def test_the_tree_keeps_the_layer_contract():
    result = _lint(ROOT, ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(("module", "upward"), [
    ("core/ledger.py", "duban.accounts.models"),  # core may not know accounts
    ("orgs/selectors.py", "duban.tasks.models"),  # orgs may not know tasks
    ("accounts/services.py", "duban.api.errors"),  # nothing below the API imports it
])
def test_an_upward_import_even_inside_a_function_breaks_the_contract(tmp_path, module, upward):
    src = _copy_of_the_package(tmp_path)
    assert _lint(tmp_path, src).returncode == 0  # the copy itself is clean
    target = src / "duban" / module
    target.write_text(target.read_text() + f"\n\ndef _sneaky():\n    import {upward}  # noqa\n")
    result = _lint(tmp_path, src)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and upward in result.stdout
