"""/openapi.json describes every endpoint: an example each, and the credential it needs."""

from __future__ import annotations

from typing import Any

from api.main import create_app
from voice.core.config import Settings


def _has_example(obj: Any, schemas: dict[str, Any], seen: set[str]) -> bool:
    if isinstance(obj, dict):
        if "example" in obj or "examples" in obj:
            return True
        if "$ref" in obj:
            name = obj["$ref"].rsplit("/", 1)[1]
            if name in seen:
                return False
            seen.add(name)
            return _has_example(schemas[name], schemas, seen)
        return any(_has_example(v, schemas, seen) for v in obj.values())
    if isinstance(obj, list):
        return any(_has_example(v, schemas, seen) for v in obj)
    return False


def test_every_operation_has_an_example_and_a_credential(tmp_path: Any) -> None:
    spec = create_app(Settings(data_dir=tmp_path)).openapi()
    schemas = spec["components"]["schemas"]
    assert spec["components"]["securitySchemes"]["apiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key from `voice keys create`, sent as `Authorization: Bearer vk_...`",
    }
    operations = [(path, method, op) for path, ops in spec["paths"].items() for method, op in ops.items()]
    assert len(operations) >= 15
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        assert op.get("summary") and op.get("description"), where
        parts = [op.get("requestBody", {}), op.get("parameters", []), op.get("responses", {})]
        assert _has_example(parts, schemas, set()), f"{where} has no example"
        if path != "/healthz":  # the edge check (api/edge.py) can refuse any request with 422
            assert "422" in op["responses"], where
        if path == "/healthz":
            assert "security" not in op
        elif path.startswith("/v1/integrations/twilio"):
            assert any(p["name"] == "X-Twilio-Signature" for p in op["parameters"]), where
        else:
            assert op.get("security") == [{"apiKey": []}], where


def test_every_reference_in_the_spec_resolves(tmp_path: Any) -> None:
    """A $ref to a schema that is not in components breaks generated clients (POST /v1/voicemails had one)."""
    import json
    import re

    spec = create_app(Settings(data_dir=tmp_path)).openapi()
    text = json.dumps(spec)
    components = set(re.findall(r'"#/components/schemas/([^"]+)"', text))
    assert components and components <= set(spec["components"]["schemas"]), components - set(
        spec["components"]["schemas"]
    )
    body = spec["paths"]["/v1/voicemails"]["post"]["requestBody"]["content"]
    inline = body["application/json"]["schema"]
    assert "audio_url" in inline["properties"]
    assert set(re.findall(r'"#/\$defs/([^"]+)"', json.dumps(inline))) <= set(inline.get("$defs", {}))
    assert "language" in body["multipart/form-data"]["schema"]["properties"]
