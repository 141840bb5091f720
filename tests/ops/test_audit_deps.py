"""IP-05: `make audit-deps` passes only when every package was really audited."""

import importlib.util
import json
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "audit-deps.py"


@pytest.fixture
def audit(monkeypatch):
    spec = importlib.util.spec_from_file_location("audit_deps", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    answers = {}

    def fake_run(argv, **kwargs):
        key = "npm" if "npm" in Path(argv[0]).name else argv[argv.index("--vulnerability-service") + 1]
        out = answers[key]
        return subprocess.CompletedProcess(argv, 0, json.dumps(out) if isinstance(out, dict) else "", out
                                           if isinstance(out, str) else "")

    monkeypatch.setattr(module.subprocess, "run", fake_run)
    monkeypatch.setattr(module.shutil, "which", lambda name: "/usr/bin/npm")
    monkeypatch.setattr(module, "BIN", Path(__file__).parent)  # any existing directory ...
    monkeypatch.setattr(Path, "exists", lambda self: True)  # ... with a pip-audit in it
    return module, answers


NPM_CLEAN = {"metadata": {"vulnerabilities": {"low": 0, "moderate": 0, "high": 0, "critical": 0, "total": 0},
                          "dependencies": {"prod": 5}}, "vulnerabilities": {}}
PIP_CLEAN = {"dependencies": [{"name": "django", "version": "5.2.8", "vulns": []}]}


def test_everything_audited_and_clean_passes(audit, capsys):
    module, answers = audit
    answers.update(pypi=PIP_CLEAN, npm=NPM_CLEAN)
    assert module.main() == 0
    assert "1 of 1 packages audited" in capsys.readouterr().out


def test_a_known_vulnerability_fails(audit, capsys):
    module, answers = audit
    answers.update(pypi={"dependencies": [{"name": "django", "version": "5.2.0", "vulns": [
        {"id": "PYSEC-2025-1", "fix_versions": ["5.2.8"]}]}]}, npm=NPM_CLEAN)
    assert module.main() == 1
    assert "PYSEC-2025-1" in capsys.readouterr().out


def test_skipped_packages_or_an_unreachable_source_are_not_a_pass(audit, capsys):
    module, answers = audit
    skipped = {"dependencies": [{"name": "django", "version": "5.2.8",
                                 "skip_reason": "Dependency not found on PyPI and could not be audited"}]}
    answers.update(pypi=skipped, osv="requests.exceptions.ConnectionError: api.osv.dev", npm=NPM_CLEAN)
    assert module.main() == 3
    out = capsys.readouterr().out
    assert "NOT AUDITED" in out and "0 of 1 packages audited" in out
    answers.update(pypi=PIP_CLEAN, npm={"error": {"code": "ENOAUDIT", "summary": "405 Method Not Allowed"}})
    assert module.main() == 3
    assert "405 Method Not Allowed" in capsys.readouterr().out
