"""The orgs app's shape: the Excel package only reads and writes bytes, its public names are
re-exported, and no module is over 800 lines."""

import ast
from pathlib import Path

import duban.orgs
from duban.orgs import excel

ORGS = Path(duban.orgs.__file__).parent
WRITES = {"duban.orgs.services", "duban.core.ledger", "django.db.transaction"}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_no_orgs_module_is_over_800_lines():
    sizes = {str(p.relative_to(ORGS)): len(p.read_text(encoding="utf-8").splitlines())
             for p in ORGS.rglob("*.py") if "migrations" not in p.parts}
    assert sizes and not {name: n for name, n in sizes.items() if n > 800}


def test_the_excel_package_imports_nothing_that_writes():
    for path in (ORGS / "excel").glob("*.py"):
        imported = _imports(path)
        assert not imported & WRITES, (path.name, imported & WRITES)
        assert not any(name.startswith("duban.orgs.services") for name in imported), path.name


def test_the_excel_package_re_exports_its_public_names():
    for name in ("COLUMNS", "DATA_SHEETS", "ImportRejected", "ImportResult", "Issue", "Validator", "build_template",
                 "build_workbook", "check_archive", "read_workbook", "neutralise", "issues_by_sheet"):
        assert hasattr(excel, name), name
    assert set(excel.__all__) <= set(dir(excel))
