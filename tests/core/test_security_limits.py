"""IP-07 request size and parser limits: too many form fields or files is a 400, a JSON body over
the limit a 413, and JSON nested 10 000 deep a 4xx — never a 500."""

import json

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from castlib import PASSWORD

pytestmark = pytest.mark.django_db


def test_more_form_fields_than_the_limit_is_a_400(cast):
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS == 1000
    fields = {f"f{i}": "x" for i in range(1001)}
    response = Client().post("/accounts/login/", {"username": "u", "password": "p", **fields})
    assert response.status_code == 400


def test_more_files_than_the_limit_in_one_request_is_a_400(cast, login):
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES == 100
    client = login(cast.supervisor)
    files = {f"file{i}": SimpleUploadedFile(f"{i}.txt", b"x") for i in range(101)}
    response = client.post("/tasks/sources/new/", files)
    assert response.status_code == 400


def _token(cast):
    client = Client()
    key = client.post("/api/auth/token", {"username": cast.supervisor.username, "password": PASSWORD},
                      content_type="application/json").json()["token"]
    return client, {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_a_json_body_over_the_limit_is_a_413(cast):
    client, auth = _token(cast)
    body = json.dumps({"title": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})
    response = client.post("/api/sources", body, content_type="application/json", **auth)
    assert response.status_code == 413


def test_json_nested_ten_thousand_deep_is_a_4xx_not_a_500(cast):
    client, auth = _token(cast)
    body = "[" * 10_000 + "]" * 10_000
    response = client.post("/api/sources", body, content_type="application/json", **auth)
    assert 400 <= response.status_code < 500
    deep_object = '{"a":' * 10_000 + "1" + "}" * 10_000
    response = client.post("/api/sources", deep_object, content_type="application/json", **auth)
    assert 400 <= response.status_code < 500
