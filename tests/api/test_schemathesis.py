"""IP-01: schemathesis against the published OpenAPI schema, in process over WSGI, with one token
per role, positive and negative cases for every operation: no answer is a 5xx, invalid input is
refused with a 4xx (negative_data_rejection), and operations that need a token refuse a request
without one (ignored_auth).

Bounded: a fixed number of cases per operation and mode (derandomized, so every run sends the
same requests), no shrinking, failures collected and reported together. About 2 500 requests (420 per role);
the same cases run on SQLite and on PostgreSQL."""

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from schemathesis import GenerationMode
from schemathesis.checks import ignored_auth, negative_data_rejection, not_a_server_error

from duban.accounts import services as account_services

# Transactional: each request runs in autocommit as in production. Inside one test transaction
# a statement PostgreSQL refuses (and the app answers 400 for) would abort every later request.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]

# One token per role that the API serves, and one administrator (refused everywhere: 403).
ROLES = ["supervisor", "leader", "discipline", "bajiao_liaison", "bajiao_admin", "auditor"]
POSITIVE_CASES = 5
NEGATIVE_CASES = 3


@pytest.fixture
def api_schema(cast):
    from django.core import signals
    from django.db import close_old_connections

    from duban.api.api import api
    from duban.wsgi import application

    # As django.test.Client does: a request must not close the test's connection (and with it
    # the transaction holding the cast).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)

    # The document /api/openapi.json serves (to signed-in users), taken from the API object.
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api"))
    schema.app = application
    yield schema
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# The generated cases, per (mode, count): derandomized, so every role would get exactly the same
# requests; generating them once and replaying them with each role's token sends the same
# requests as generating them per role, without paying Hypothesis's generation six times
# (about 5 s of CPU per role and database on the CI machine).
_CASES: dict = {}


def _cases(schema, mode, cases):
    key = (mode, cases)
    if key not in _CASES:
        collected = []
        for result in schema.get_all_operations():
            operation = result.ok()

            @given(case=operation.as_strategy(generation_mode=mode))
            @hsettings(max_examples=cases, deadline=None, database=None, derandomize=True, phases=[Phase.generate],
                       suppress_health_check=list(HealthCheck))
            def collect(case):
                collected.append(case)

            collect()
        _CASES[key] = collected
    return _CASES[key]


def _fuzz(schema, headers, mode, cases, checks):
    findings = []
    sent = 0
    for case in _cases(schema, mode, cases):
        case.operation.schema.app = schema.app
        response = case.call(headers=headers)
        sent += 1
        if response.status_code >= 500:
            findings.append(f"{case.method.upper()} {case.path} → {response.status_code} "
                            f"({mode.value}): {case.as_curl_command()[:300]}")
            continue
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except Exception as exc:  # noqa: BLE001 - a failed check is collected, not shrunk
            findings.append(f"{case.method.upper()} {case.path} ({mode.value}): "
                            f"{str(exc).splitlines()[0][:200]} — {case.as_curl_command()[:300]}")
    return sent, findings


@pytest.mark.parametrize("role", ROLES)
def test_no_server_error_and_bad_input_refused_for_every_role(api_schema, cast, role):
    user = getattr(cast, role)
    token = account_services.token_issue(actor=user, name=f"fuzz-{role}")
    headers = {"Authorization": f"Bearer {token}"}
    sent, findings = _fuzz(api_schema, headers, GenerationMode.POSITIVE, POSITIVE_CASES,
                           [not_a_server_error] + ([ignored_auth] if role == "supervisor" else []))
    sent_n, findings_n = _fuzz(api_schema, headers, GenerationMode.NEGATIVE, NEGATIVE_CASES,
                               [not_a_server_error, negative_data_rejection])
    operations = len(list(api_schema.get_all_operations()))
    assert operations >= 50
    assert sent + sent_n >= operations * 2, "the fuzzer sent too few requests to mean anything"
    print(f"{role}: {sent} positive and {sent_n} negative requests over {operations} operations")
    assert not findings + findings_n, "\n".join(findings + findings_n)
