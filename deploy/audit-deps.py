"""`make audit-deps`: known vulnerabilities in the Python and npm dependencies (IP-05).

Runs pip-audit on the installed environment (the PyPI advisory service, then OSV) and
`npm audit --omit=dev` on package-lock.json, and prints one line per ecosystem.

Exit status
  0  both ecosystems were audited and no known vulnerability was found
  1  a known vulnerability was found (the table names package, version, advisory and fix)
  3  NOT AUDITED: an advisory source could not be reached, or it answered for none (or only
     some) of the packages. This is never a pass: pip-audit itself says "No known
     vulnerabilities found" when every package was skipped, which is why this script counts
     what was actually audited. What to do then: docs/security.md, "IP-05".
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TIMEOUT = int(os.environ.get("AUDIT_TIMEOUT", "300"))
OK, VULNERABLE, NOT_AUDITED = 0, 1, 3


def pip_audit(service: str) -> dict:
    exe = BIN / "pip-audit"
    if not exe.exists():
        return {"status": NOT_AUDITED, "detail": "pip-audit is not installed (pip install -e '.[dev]')"}
    argv = [str(exe), "--format", "json", "--progress-spinner", "off", "--skip-editable",
            "--vulnerability-service", service]
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return {"status": NOT_AUDITED, "detail": f"pip-audit ({service}) gave no answer in {TIMEOUT} s"}
    try:
        report = json.loads(result.stdout or "{}")
    except ValueError:
        report = {}
    deps = report.get("dependencies") or []
    if not deps:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        return {"status": NOT_AUDITED, "detail": f"pip-audit ({service}) failed: {tail[0][:200]}"}
    audited = [d for d in deps if not d.get("skip_reason")]
    skipped = [d for d in deps if d.get("skip_reason")]
    vulns = [(d["name"], d["version"], v.get("id"), ",".join(v.get("fix_versions") or []) or "no fix yet")
             for d in audited for v in d.get("vulns") or []]
    if vulns:
        status = VULNERABLE
    elif not audited or skipped:
        status = NOT_AUDITED
    else:
        status = OK
    detail = f"pip-audit ({service}): {len(audited)} of {len(deps)} packages audited"
    if skipped:
        detail += f", {len(skipped)} not answered for (e.g. {skipped[0]['name']}: {skipped[0]['skip_reason'][:80]})"
    return {"status": status, "detail": detail, "vulns": vulns}


def npm_audit() -> dict:
    npm = shutil.which("npm")
    if npm is None:
        return {"status": NOT_AUDITED, "detail": "npm is not installed"}
    try:
        result = subprocess.run([npm, "audit", "--omit=dev", "--json"], cwd=ROOT, capture_output=True, text=True,
                                timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return {"status": NOT_AUDITED, "detail": f"npm audit gave no answer in {TIMEOUT} s"}
    try:
        report = json.loads(result.stdout or "{}")
    except ValueError:
        report = {}
    if "error" in report or "metadata" not in report:
        error = report.get("error") or {}
        lines = [ln for ln in result.stderr.strip().splitlines() if ln and "complete log" not in ln]
        summary = error.get("summary") or (lines or ["no output"])[0]
        return {"status": NOT_AUDITED, "detail": f"npm audit: advisory endpoint unreachable or refused ({summary[:160]})"}
    counts = report["metadata"].get("vulnerabilities") or {}
    found = {k: v for k, v in counts.items() if k != "total" and v}
    vulns = [(name, ",".join(str(r) for r in (info.get("range"),) if r), info.get("severity"),
              "fix available" if info.get("fixAvailable") else "no fix yet")
             for name, info in (report.get("vulnerabilities") or {}).items()]
    deps = report["metadata"].get("dependencies") or {}
    total = deps.get("prod", deps.get("total", "?")) if isinstance(deps, dict) else deps
    detail = f"npm audit: {total} production packages audited, {sum(found.values())} vulnerable {found or ''}"
    return {"status": VULNERABLE if found else OK, "detail": detail.strip(), "vulns": vulns}


def main() -> int:
    python = pip_audit("pypi")
    if python["status"] == NOT_AUDITED:
        fallback = pip_audit("osv")
        if fallback["status"] != NOT_AUDITED:
            python = fallback
        else:
            python["detail"] += f"; then {fallback['detail']}"
    javascript = npm_audit()
    names = {OK: "ok", VULNERABLE: "VULNERABLE", NOT_AUDITED: "NOT AUDITED"}
    for label, result in (("python", python), ("npm", javascript)):
        print(f"{label:7} {names[result['status']]:12} {result['detail']}")
        for vuln in result.get("vulns") or []:
            print("          " + "  ".join(str(x) for x in vuln))
    worst = max(python["status"], javascript["status"])
    if VULNERABLE in (python["status"], javascript["status"]):
        print("\nKnown vulnerabilities: upgrade the named packages (pyproject.toml / package.json), rerun make test "
              "and make audit-deps, and release. See docs/security.md, IP-05.")
        return VULNERABLE
    if worst == NOT_AUDITED:
        print("\nNOT AUDITED: an advisory source was unreachable. This is not a pass. Follow docs/security.md, IP-05 "
              "(audit the frozen requirements on a connected machine and record the result).")
        return NOT_AUDITED
    return OK


if __name__ == "__main__":
    sys.exit(main())
