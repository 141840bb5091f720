"""The published OpenAPI document describes the organisation endpoints as they behave."""

import pytest

ORGS_OPERATIONS = {
    ("/api/units", "get"), ("/api/units", "post"), ("/api/units/{unit_id}", "get"),
    ("/api/units/{unit_id}", "patch"), ("/api/units/{unit_id}/move", "post"),
    ("/api/people", "get"), ("/api/people", "post"), ("/api/people/{person_id}", "get"),
    ("/api/people/{person_id}", "patch"), ("/api/people/{person_id}/absences", "post"),
    ("/api/posts", "get"), ("/api/posts", "post"), ("/api/posts/{post_id}", "get"),
    ("/api/posts/{post_id}", "patch"), ("/api/groups", "get"), ("/api/groups/{group_id}", "get"),
}


@pytest.fixture
def schema(cast, login):
    response = login(cast.supervisor).get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_openapi_lists_every_organisation_endpoint(schema):
    listed = {(path, method) for path, methods in schema["paths"].items() for method in methods}
    assert ORGS_OPERATIONS <= listed
    for path, method in ORGS_OPERATIONS:
        operation = schema["paths"][path][method]
        assert "orgs" in operation["tags"]
        assert operation["security"], f"{method} {path} must require authentication"


def test_openapi_documents_the_error_shapes_of_writes(schema):
    update = schema["paths"]["/api/units/{unit_id}"]["patch"]
    assert {"200", "400", "403", "404", "409"} <= set(update["responses"])
    create = schema["paths"]["/api/posts"]["post"]
    assert {"201", "400", "403"} <= set(create["responses"])


def test_request_bodies_forbid_unknown_fields(schema):
    bodies = ["UnitCreateIn", "UnitUpdateIn", "UnitMoveIn", "PersonCreateIn", "PersonUpdateIn", "AbsenceCreateIn",
              "PostCreateIn", "PostUpdateIn"]
    components = schema["components"]["schemas"]
    for name in bodies:
        assert components[name].get("additionalProperties") is False, name
    assert "version" in components["UnitUpdateIn"]["required"]
    assert "version" not in components["UnitCreateIn"]["properties"]
    assert "path" not in components["UnitUpdateIn"]["properties"]


def test_list_endpoints_are_paginated(schema):
    params = {p["name"] for p in schema["paths"]["/api/units"]["get"]["parameters"]}
    assert {"page", "page_size", "parent", "q", "kind"} <= params
    params = {p["name"] for p in schema["paths"]["/api/people"]["get"]["parameters"]}
    assert {"page", "unit", "q"} <= params
