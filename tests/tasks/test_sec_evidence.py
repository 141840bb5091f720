"""Issue 11 findings on evidence: every download, through the page or the API, is one
``evidence_downloaded`` ledger entry written by the one authorising service (AU-01, AC-09)."""

import json

from django.urls import reverse

from duban.core.models import AuditEntry
from duban.tasks.models import Evidence

from .helpers import pdf_bytes


def _downloads(evidence):
    return AuditEntry.objects.filter(event="evidence_downloaded", object_type="tasks.evidence",
                                     object_id=str(evidence.pk))


def test_a_download_from_the_task_page_is_one_ledger_entry(build, login):
    task = build.completion_requested()
    evidence = Evidence.objects.get(task=task)
    client = login(build.cast.supervisor)
    response = client.get(reverse("tasks:evidence_download", args=[evidence.pk]))
    assert response.status_code == 200 and response.content == pdf_bytes()
    entry = _downloads(evidence).get()
    assert entry.actor == build.cast.supervisor and entry.data["task"] == task.pk
    assert entry.data["sha256"] == evidence.sha256


def test_a_download_through_the_api_is_one_ledger_entry(build, client):
    c = build.cast
    task = build.completion_requested()
    evidence = Evidence.objects.get(task=task)
    token = client.post("/api/auth/token", json.dumps({"username": "bajiao", "password": c.password}),
                        content_type="application/json").json()["token"]
    response = client.get(f"/api/evidence/{evidence.pk}/download", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert _downloads(evidence).get().actor == c.bajiao_liaison


def test_a_refused_download_writes_no_download_entry(build, login):
    task = build.completion_requested()
    evidence = Evidence.objects.get(task=task)
    assert login(build.cast.baiguo_liaison).get(
        reverse("tasks:evidence_download", args=[evidence.pk])).status_code == 404
    assert not _downloads(evidence).exists()
