"""立即校验: anyone who may see a task re-hashes one of its evidence files on demand."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from duban.core import ledger
from duban.core.models import Outcome
from duban.tasks import evidence as evidence_files
from duban.tasks.models import Evidence
from duban.tasks.services.reports import evidence_integrity_failure


@dataclass(frozen=True)
class EvidenceCheck:
    ok: bool
    expected: str
    actual: str | None  # the digest of what is stored now; None when the file is missing
    missing: bool = False


def evidence_verify(*, actor, evidence: Evidence) -> EvidenceCheck:
    """Read the stored file through ``evidence.read_verified`` (the download's own check) and
    record the result as one ``evidence_verified`` entry (success or failure). A mismatch also
    takes the download's path for a bad file: ``integrity_failure`` in the ledger and the alert
    to the 督查室 (services.evidence_integrity_failure). Fetch ``evidence`` with
    selectors.evidence_get_for_user, which scopes it to the tasks the actor may see."""
    try:
        evidence_files.read_verified(evidence)
        check = EvidenceCheck(ok=True, expected=evidence.sha256, actual=evidence.sha256)
    except evidence_files.EvidenceIntegrityError as exc:
        check = EvidenceCheck(ok=False, expected=evidence.sha256, actual=exc.actual, missing=exc.missing)
        evidence_integrity_failure(actor=actor, evidence=evidence, actual=exc.actual, missing=exc.missing)
    with transaction.atomic():
        ledger.append(event="evidence_verified", obj=evidence, object_type="tasks.evidence", actor=actor,
                      outcome=Outcome.SUCCESS if check.ok else Outcome.FAILURE,
                      data={"task": evidence.task_id, "sha256": evidence.sha256, "actual": check.actual,
                            "ok": check.ok, "missing": check.missing})
    return check
