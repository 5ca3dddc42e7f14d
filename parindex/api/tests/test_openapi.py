from .conftest import API

WRITES = [
    ("/api/v1/units", "post"),
    ("/api/v1/units/{unit_id}", "patch"),
    ("/api/v1/memberships", "post"),
    ("/api/v1/memberships/{membership_id}/end", "post"),
    ("/api/v1/tokens", "post"),
    ("/api/v1/tokens/{token_id}/revoke", "post"),
]


def test_the_openapi_document_loads_without_signing_in(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["info"]["title"] == "parindex API"
    assert "Chỉ số cải cách hành chính" in doc["info"]["description"]
    assert {"/api/v1/me", "/api/v1/units", "/api/v1/units/tree", "/api/v1/audit-events"} <= set(doc["paths"])


def test_write_endpoints_declare_403_and_422_with_the_error_schema(client):
    doc = client.get(f"{API}/openapi.json").json()
    for path, method in WRITES:
        responses = doc["paths"][path][method]["responses"]
        for status in ("401", "403", "422"):
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (path, method, status)
    assert "409" in doc["paths"]["/api/v1/units/{unit_id}"]["patch"]["responses"]
    assert "404" in doc["paths"]["/api/v1/units/{unit_id}"]["patch"]["responses"]
    error = doc["components"]["schemas"]["ErrorOut"]
    assert set(error["properties"]) == {"detail", "errors", "current"}


def test_every_operation_declares_401_and_those_with_parameters_declare_422(client):
    doc = client.get(f"{API}/openapi.json").json()
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            assert "401" in operation["responses"], (path, method)
            if operation.get("parameters") or operation.get("requestBody"):
                assert "422" in operation["responses"], (path, method)


def test_both_ways_of_signing_in_are_declared(client):
    doc = client.get(f"{API}/openapi.json").json()
    schemes = doc["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}


def test_the_interactive_documentation_uses_the_packaged_swagger_files(client):
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    assert b"/static/ninja/swagger-ui-bundle.js" in response.content
    assert b"cdn" not in response.content.lower()
