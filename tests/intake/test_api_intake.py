"""The intake API with bearer tokens: upload → draft JSON → confirm."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from test_services_intake import SEED, TEXT, fake_engine  # noqa: F401 - fixture

from duban.intake.models import DraftStatus, IntakeDraft
from duban.tasks.models import Source, Task


@pytest.fixture
def token(client, cast):
    def issue(user):
        response = client.post("/api/auth/token", {"username": user.username, "password": cast.password},
                               content_type="application/json")
        assert response.status_code == 200, response.content
        return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}

    return issue


def upload(client, auth, raw: bytes = TEXT.encode(), name: str = "speech.txt", **data):
    return client.post("/api/intake/drafts", {"file": SimpleUploadedFile(name, raw), **data}, **auth)


def test_posting_a_file_returns_the_draft_json(client, cast, token, fake_engine):  # noqa: F811
    auth = token(cast.supervisor)
    response = upload(client, auth, speech_date="2026-01-10")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["version"] == 1 and body["match"] is None
    assert body["draft"]["meta"]["title"] == "关于2026年重点工作的讲话"
    assert body["tasks_planned"] == 5
    assert fake_engine[0]["speech_date"].isoformat() == "2026-01-10"
    assert Source.objects.count() == 0

    got = client.get(f"/api/intake/drafts/{body['id']}", **auth)
    assert got.status_code == 200 and got.json()["draft"] == body["draft"]
    listed = client.get("/api/intake/drafts?status=draft", **auth).json()
    assert [d["id"] for d in listed] == [body["id"]]


def test_the_seed_file_imports_through_the_api(client, cast, token):
    assert SEED.exists(), f"seed file missing: {SEED}"
    response = upload(client, token(cast.supervisor), SEED.read_bytes(), SEED.name)
    assert response.status_code == 201
    assert response.json()["draft"]["meta"]["speech_date"] == "2017-02-19"


@pytest.mark.parametrize("raw,name,status,message", [
    (b"", "empty.txt", 400, "空的"),
    (b"\x00\xff\x00binary" * 30, "blob.txt", 400, "二进制"),
    (TEXT.encode(), "speech.exe", 400, "不支持"),
])
def test_bad_files_are_refused_and_nothing_is_stored(client, cast, token, raw, name, status, message):
    response = upload(client, token(cast.supervisor), raw, name)
    assert response.status_code == status and message in response.json()["detail"]
    assert IntakeDraft.objects.count() == 0


def test_an_oversized_file_is_413(client, cast, token, settings):
    settings.DUBAN_MAX_IMPORT_BYTES = 50
    response = upload(client, token(cast.supervisor), TEXT.encode() * 5)
    assert response.status_code == 413 and "上限" in response.json()["detail"]
    assert list(response.json()["errors"]) == ["file"]
    assert IntakeDraft.objects.count() == 0


def test_a_bad_date_is_400_naming_the_field(client, cast, token, fake_engine):  # noqa: F811
    response = upload(client, token(cast.supervisor), speech_date="yesterday")
    assert response.status_code == 400 and IntakeDraft.objects.count() == 0
    assert response.json()["errors"] == {"speech_date": ["日期格式应为 YYYY-MM-DD。"]}


def test_the_same_file_again_names_the_open_draft(client, cast, token, fake_engine):  # noqa: F811
    auth = token(cast.supervisor)
    first = upload(client, auth).json()
    again = upload(client, auth)
    assert again.status_code == 409 and again.json() == {"detail": again.json()["detail"], "code": "duplicate_draft",
                                                         "draft": first["id"]}


@pytest.mark.parametrize("role", ["bajiao_liaison", "leader", "discipline"])
def test_other_roles_get_403(client, cast, token, fake_engine, role):  # noqa: F811
    auth = token(getattr(cast, role))
    assert upload(client, auth).status_code == 403
    assert client.get("/api/intake/drafts", **auth).status_code == 403
    assert IntakeDraft.objects.count() == 0


def test_without_a_token_nothing_is_answered(client, cast, fake_engine):  # noqa: F811
    assert client.post("/api/intake/drafts", {"file": SimpleUploadedFile("a.txt", TEXT.encode())}).status_code == 401


def test_confirm_creates_the_tasks(client, cast, token, fake_engine):  # noqa: F811
    auth = token(cast.supervisor)
    draft = upload(client, auth).json()
    stale = client.post(f"/api/intake/drafts/{draft['id']}/confirm", {"version": 7},
                        content_type="application/json", **auth)
    assert stale.status_code == 409 and stale.json()["version"] == 1
    extra = client.post(f"/api/intake/drafts/{draft['id']}/confirm", {"version": 1, "status": "confirmed"},
                        content_type="application/json", **auth)
    assert extra.status_code == 400 and extra.json()["errors"] == {"status": ["不允许提交该字段。"]}
    assert Source.objects.count() == 0
    done = client.post(f"/api/intake/drafts/{draft['id']}/confirm", {"version": 1},
                       content_type="application/json", **auth)
    assert done.status_code == 201, done.content
    body = done.json()
    assert body["tasks"] == 5 and body["draft"]["status"] == DraftStatus.CONFIRMED
    assert Task.objects.filter(source_id=body["source"]).count() == 5
    twice = client.post(f"/api/intake/drafts/{draft['id']}/confirm", {"version": 2},
                        content_type="application/json", **auth)
    assert twice.status_code == 400 and "不能再修改" in twice.json()["detail"]


def test_a_reimport_is_confirmed_as_an_update(client, cast, token, fake_engine):  # noqa: F811
    auth = token(cast.supervisor)
    first = upload(client, auth).json()
    source = client.post(f"/api/intake/drafts/{first['id']}/confirm", {"version": 1},
                         content_type="application/json", **auth).json()["source"]
    again = upload(client, auth).json()
    assert again["match"] == {"source": source, "title": "关于2026年重点工作的讲话", "same_text": True,
                              "added": [], "removed": []}
    plain = client.post(f"/api/intake/drafts/{again['id']}/confirm", {"version": 1},
                        content_type="application/json", **auth)
    assert plain.status_code == 400 and "更新" in plain.json()["detail"]
    wrong = client.post(f"/api/intake/drafts/{again['id']}/confirm", {"version": 1, "update_source": source + 1},
                        content_type="application/json", **auth)
    assert wrong.status_code == 400
    nothing = client.post(f"/api/intake/drafts/{again['id']}/confirm", {"version": 1, "update_source": source},
                          content_type="application/json", **auth)
    assert nothing.status_code == 400 and "没有新增" in nothing.json()["detail"]
    assert Source.objects.count() == 1 and Task.objects.count() == 5


def test_an_unknown_draft_is_404(client, cast, token):
    assert client.get("/api/intake/drafts/12345", **token(cast.supervisor)).status_code == 404
