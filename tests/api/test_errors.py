"""One error dialect for every router (docs/decisions/0002-api-errors.md): 400 with field-keyed
Chinese messages for bad input, 413 for a file too large, 409 with a code for a conflict, and
``{"detail"}`` for 403 and 404."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import RequestFactory
from ninja.errors import ValidationError as RequestValidationError

from duban.api.api import api
from duban.core.services import ConcurrentEditError, ConflictError
from duban.core.uploads import TOO_LARGE


def _answer(exc):
    response = api.on_exception(RequestFactory().get("/api/x"), exc)
    return response.status_code, json.loads(response.content.decode())


def test_a_malformed_request_is_400_with_chinese_messages_under_the_field_names():
    status, body = _answer(RequestValidationError([
        {"loc": ("body", "payload", "status"), "type": "extra_forbidden", "msg": "Extra inputs are not permitted"},
        {"loc": ("query", "limit"), "type": "less_than_equal", "msg": "Input should be less than or equal to 500"},
        {"loc": ("body", "payload", "title"), "type": "missing", "msg": "Field required"},
        {"loc": ("due_date",), "type": "date_parsing", "msg": "Input should be a valid date"},
    ]))
    assert status == 400
    assert body == {"detail": "提交的数据有误。", "errors": {"status": ["不允许提交该字段。"], "limit": ["取值过大。"],
                                                       "title": ["必填。"], "due_date": ["日期格式应为 YYYY-MM-DD。"]}}


def test_a_service_refusal_is_400_with_the_same_shape():
    status, body = _answer(ValidationError({"lead_unit": ValidationError("单位不存在。", code="invalid")}))
    assert (status, body) == (400, {"detail": "单位不存在。", "errors": {"lead_unit": ["单位不存在。"]}})
    status, body = _answer(ValidationError("已办结的任务不能再修改。"))
    assert (status, body) == (400, {"detail": "已办结的任务不能再修改。", "errors": {"__all__": ["已办结的任务不能再修改。"]}})


def test_a_file_over_the_limit_is_413_in_the_same_shape():
    status, body = _answer(ValidationError({"file": ValidationError("文件“a.pdf”超过 1 MB 的上限。", code=TOO_LARGE)}))
    assert status == 413 and list(body["errors"]) == ["file"] and "上限" in body["detail"]


def test_a_stale_edit_is_409_with_its_code_and_whatever_the_conflict_adds():
    assert _answer(ConcurrentEditError()) == (409, {"detail": "该记录已被他人修改,请刷新后重试。", "code": "stale"})
    status, body = _answer(ConflictError("已有草稿。", code="duplicate_draft", extra={"draft": 7}))
    assert (status, body) == (409, {"detail": "已有草稿。", "code": "duplicate_draft", "draft": 7})


def test_refused_and_missing_objects_answer_with_a_detail_only():
    assert _answer(PermissionDenied("您没有执行此操作的权限。")) == (403, {"detail": "您没有执行此操作的权限。"})
    assert _answer(PermissionDenied()) == (403, {"detail": "您没有执行此操作的权限。"})
    assert _answer(Http404("Task 12 outside scope")) == (404, {"detail": "对象不存在,或不在您的权限范围内。"})


@pytest.mark.django_db
def test_a_real_route_speaks_the_dialect_for_an_unknown_field_and_a_missing_object(cast, login):
    client = login(cast.supervisor)
    response = client.post("/api/units", json.dumps({"name": "新单位", "path": "0001"}), content_type="application/json")
    assert response.status_code == 400 and response.json()["errors"]["path"] == ["不允许提交该字段。"]
    assert "提交的数据有误" in response.content.decode()  # UTF-8 as is, no \u escapes
    missing = client.get("/api/units/999999")
    assert missing.status_code == 404 and missing.json() == {"detail": "对象不存在,或不在您的权限范围内。"}
