"""DP-01: query strings carry no tokens, passwords, one-time codes or ID/phone numbers — they end up
in access logs, proxies, browser history and Referer headers. Three sweeps: every GET form and link
on every parameterless page for the main roles (plus the pages of a person and a petition), every
query parameter of the OpenAPI schema, every ``request.GET[...]`` the views read; and the token
authentication refuses a token in the query string."""

import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from duban.core.models import AuditEntry
from duban.orgs.models import Person
from duban.petitions import services as petition_services

SRC = Path(__file__).resolve().parents[2] / "src" / "duban"
SENSITIVE_NAME = re.compile(
    r"(^|[_-])(token|access_token|auth_token|api_key|apikey|bearer|password|passwd|pwd|secret|otp|totp|"
    r"otp_token|recovery_code|verification_code|sms_code|id_number|idcard|id_card|id_no|sfz|phone|mobile|tel|"
    r"session|sessionid|csrfmiddlewaretoken)($|[_-])", re.IGNORECASE)
ID_VALUE = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
PHONE_VALUE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
TOKEN_VALUE = re.compile(r"^[A-Za-z0-9_\-]{32,}$")
PHONE = "13812341234"
ID = "11010519491231002X"
ROLES = ("supervisor", "leader", "bajiao_liaison", "bajiao_admin", "discipline", "sysadmin", "secadmin", "auditor")
SKIP = re.compile(r"logout|healthz|readyz|export|download|\.csv|\.xlsx|\.docx|\.pdf|openapi|/docs")


class Forms(HTMLParser):
    def __init__(self):
        super().__init__()
        self.get_forms, self.links, self._form = [], [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = None if (a.get("method") or "get").lower() == "post" else {"action": a.get("action"),
                                                                                      "fields": []}
            if self._form is not None:
                self.get_forms.append(self._form)
        elif tag in ("input", "select", "textarea", "button") and self._form is not None and a.get("name"):
            self._form["fields"].append((a.get("name"), (a.get("type") or "").lower(), a.get("value") or ""))
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag in ("input", "button") and a.get("formmethod", "").lower() == "get" and a.get("name"):
            self.get_forms.append({"action": a.get("formaction"), "fields": [(a["name"], a.get("type", ""), "")]})

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def problems(html: str) -> list[str]:
    parser = Forms()
    parser.feed(html)
    out = []
    for form in parser.get_forms:
        for name, type_, value in form["fields"]:
            if type_ == "password" or SENSITIVE_NAME.search(name):
                out.append(f"GET form {form['action']!r} field {name!r} ({type_})")
            if ID_VALUE.search(value) or PHONE_VALUE.search(value):
                out.append(f"GET form {form['action']!r} field {name!r} carries a number")
    for href in parser.links:
        for key, value in parse_qsl(urlsplit(href).query, keep_blank_values=True):
            if SENSITIVE_NAME.search(key) or ID_VALUE.search(value) or PHONE_VALUE.search(value) or \
                    TOKEN_VALUE.match(value):
                out.append(f"link {href!r} parameter {key!r}")
    return out


def parameterless_paths(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        route = str(p.pattern)
        if isinstance(p, URLResolver):
            if "<" not in route:
                yield from parameterless_paths(p, prefix + route)
        elif isinstance(p, URLPattern) and "<" not in route and not route.startswith("^"):
            yield "/" + prefix + route


def test_the_sweep_finds_what_it_must():
    assert problems('<form><input name="id_number"></form>')
    assert problems('<form method="get"><input type="password" name="p"></form>')
    assert problems(f'<a href="/x/?q={ID}">x</a>') and problems(f'<a href="/x/?q={PHONE}">x</a>')
    assert problems('<a href="/x/?token=abc">x</a>') and problems(f'<a href="/x/?k={"a" * 40}">x</a>')
    assert not problems('<form method="post"><input type="password" name="password"></form>')
    assert not problems('<form method="get"><input name="q"><input name="status"></form><a href="/t/?page=2">2</a>')


@pytest.mark.django_db
def test_no_page_of_any_main_role_puts_secrets_or_numbers_in_a_query_string(cast, login):
    Person.objects.filter(pk=cast.p_bajiao_a.pk).update(phone=PHONE)
    petition = petition_services.petition_register(
        actor=cast.supervisor, received_on=date.today(), channel="visit", place="芭蕉乡", matter_type="征地拆迁",
        matter="补偿", people_count=1, responsible_unit=cast.bajiao,
        petitioners=[{"name": "信访人", "id_number": ID, "phone": "13800001111"}])
    paths = sorted({p for p in parameterless_paths() if not SKIP.search(p)})
    paths += [f"/orgs/people/{cast.p_bajiao_a.pk}/", f"/orgs/people/{cast.p_bajiao_a.pk}/edit/",
              f"/petitions/{petition.pk}/"]
    found, pages = [], 0
    for who in ROLES:
        client = login(getattr(cast, who))
        for path in paths:
            response = client.get(path)
            if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
                pages += 1
                found += [f"{who} {path}: {p}" for p in problems(response.content.decode())]
    assert pages > 100  # the sweep really rendered the roles' pages
    assert found == []
    # the sign-in page too (anonymous): the password and the one-time code go by POST
    from django.test import Client
    assert problems(Client().get("/accounts/login/").content.decode()) == []


def test_no_api_operation_takes_a_secret_or_a_number_as_a_query_parameter(cast, login):
    schema = login(cast.supervisor).get("/api/openapi.json")  # the schema needs a signed-in session (AC-10)
    assert schema.status_code == 200
    bad = [f"{method.upper()} {path} ?{param['name']}" for path, ops in schema.json()["paths"].items()
           for method, op in ops.items() if isinstance(op, dict)
           for param in op.get("parameters", []) if param.get("in") == "query" and SENSITIVE_NAME.search(param["name"])]
    assert len(schema.json()["paths"]) > 20 and bad == []


def test_no_view_reads_a_secret_or_a_number_from_the_query_string():
    reads = re.compile(r"request\.GET(?:\.get\(|\[|\.getlist\()\s*[\"']([^\"']+)[\"']")
    bad = [f"{p.relative_to(SRC)}: {m.group(1)}" for p in SRC.rglob("*.py")
           for m in reads.finditer(p.read_text(encoding="utf-8")) if SENSITIVE_NAME.search(m.group(1))]
    assert bad == []


@pytest.mark.parametrize("param", ["token", "access_token", "api_key", "bearer"])
def test_the_token_authentication_refuses_a_token_in_the_query_string(cast, client, param):
    response = client.post("/api/auth/token", {"username": cast.supervisor.username, "password": cast.password},
                           content_type="application/json")
    token = response.json()["token"]
    assert client.get("/api/people", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    refused = client.get(f"/api/people?{param}={token}")
    assert refused.status_code == 401
    assert token not in refused.content.decode()
    assert not AuditEntry.objects.filter(data__icontains=token).exists()
