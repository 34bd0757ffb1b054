"""docs/openapi.json itself: well-formed OpenAPI 3.1 whose schemas are valid JSON Schema
2020-12 and whose $refs all resolve; every route the server registers (rg_serve_route_add in
cli/serve*.c and cli/hooks*.c) is a path of the file and every path of the file is served;
and the checker the other tests use (tests/support/openapi_check.py) refuses what the
contract refuses.

meson runs: python3 test_openapi_contract.py path/to/relgate
"""

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "support"))
import jsonschema  # noqa: E402

import openapi_check  # noqa: E402
from harness import NOW, REPO, case, main  # noqa: E402

DOC = openapi_check.document
METHODS = openapi_check.HTTP_METHODS


def walk(node, parts=()):
    """(pointer parts, node) for every dict in NODE."""
    if isinstance(node, dict):
        yield parts, node
        for k, v in node.items():
            yield from walk(v, parts + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, parts + (i,))


def resolve(ref, base_file):
    """The node REF points at (relative to BASE_FILE), or raise KeyError."""
    target, _, frag = ref.partition("#")
    if target:
        if re.match(r"^[a-z]+:", target):
            uri_docs = openapi_check.resources()
            if target not in uri_docs:
                raise KeyError("%s is not a schema of the repository" % target)
            doc = uri_docs[target]
        else:
            path = (base_file.parent / target).resolve()
            doc = json.loads(path.read_text())
    else:
        doc = json.loads(base_file.read_text())
    node = doc
    for p in [p for p in frag.split("/") if p]:
        p = p.replace("~1", "/").replace("~0", "~")
        node = node[int(p)] if isinstance(node, list) else node[p]
    return node


@case("docs/openapi.json is OpenAPI 3.1 with info, paths and the JSON Schema 2020-12 dialect")
def _(t):
    doc = DOC()
    t.check(re.match(r"^3\.1\.\d+$", doc.get("openapi", "")), "openapi is not 3.1.x", actual=doc.get("openapi"))
    t.check(doc.get("info", {}).get("title") and doc["info"].get("version"), "info needs title and version")
    t.eq(doc.get("jsonSchemaDialect"), "https://json-schema.org/draft/2020-12/schema", "jsonSchemaDialect")
    t.check(doc.get("paths"), "no paths")
    for path in doc["paths"]:
        t.check(path.startswith("/"), "path %r does not start with /" % path)


@case("every $ref of docs/openapi.json resolves, into the file or schema/*.json")
def _(t):
    bad = []
    for parts, node in walk(DOC()):
        ref = node.get("$ref")
        if not isinstance(ref, str):
            continue
        try:
            resolve(ref, openapi_check.OPENAPI_PATH)
        except (KeyError, IndexError, OSError, ValueError) as e:
            bad.append("%s: %s (%s)" % ("/".join(map(str, parts)), ref, e))
    t.check(not bad, "unresolved $refs", actual=bad)


@case("every schema of docs/openapi.json is a valid JSON Schema 2020-12 schema")
def _(t):
    bad = []
    schemas = [("components/schemas/" + k, v) for k, v in DOC()["components"]["schemas"].items()]
    for parts, node in walk(DOC()["paths"]):
        if "schema" in node and isinstance(node["schema"], dict):
            schemas.append(("paths/" + "/".join(map(str, parts)), node["schema"]))
    for where, s in schemas:
        try:
            jsonschema.Draft202012Validator.check_schema(s)
        except jsonschema.SchemaError as e:
            bad.append("%s: %s" % (where, e.message))
    t.check(not bad, "invalid schemas", actual=bad)
    t.check(len(schemas) > 10, "fewer schemas than expected were found: the walk is broken", actual=len(schemas))


@case("every operation has an operationId of its own and responses; path parameters are declared both ways")
def _(t):
    ids, bad = {}, []
    for path, item in DOC()["paths"].items():
        in_path = set(re.findall(r"\{([^}]+)\}", path))
        for m in METHODS:
            op = item.get(m)
            if op is None:
                continue
            oid = op.get("operationId")
            if not oid or oid in ids:
                bad.append("%s %s: operationId %r missing or repeated" % (m, path, oid))
            ids[oid] = path
            if not op.get("responses"):
                bad.append("%s %s: no responses" % (m, path))
            declared = set()
            for p in op.get("parameters", []) + item.get("parameters", []):
                p, _ = openapi_check.deref(p, [])
                if p.get("in") == "path":
                    declared.add(p["name"])
                    if not p.get("required"):
                        bad.append("%s %s: path parameter %s not required" % (m, path, p["name"]))
            if declared != in_path:
                bad.append("%s %s: path parameters %s, declared %s" % (m, path, sorted(in_path), sorted(declared)))
    t.check(not bad, "operations", actual=bad)


def registered_routes():
    """(method, prefix, flags text, file) of every rg_serve_route_add call in the server's sources."""
    found = []
    sources = sorted(REPO.glob("cli/serve*.c")) + sorted(REPO.glob("cli/hooks*.c"))
    for src in sources:
        text = src.read_text()
        for m in re.finditer(r'rg_serve_route_add\s*\(\s*\w+\s*,\s*"([A-Z*]+)"\s*,\s*"([^"]*)"\s*,\s*([^,]*),',
                             text):
            found.append((m.group(1), m.group(2), m.group(3), src.name))
    return sources, found


def served_by(method, template, routes):
    """Whether a registered route serves METHOD TEMPLATE (the longest prefix wins)."""
    literal = re.split(r"\{", template, maxsplit=1)[0]
    best = None
    for rm, prefix, flags, _src in routes:
        exact = "RG_ROUTE_EXACT" in flags
        if exact and template != prefix:
            continue
        if not exact and not (template.startswith(prefix) or literal.startswith(prefix)):
            continue
        if best is None or len(prefix) > len(best[1]):
            best = (rm, prefix)
    return best is not None and best[0] in (method, "*")


@case("every route the server registers is a path of docs/openapi.json, and every path of the file is routed")
def _(t):
    sources, routes = registered_routes()
    if not sources:
        t.skip("no server sources (cli/serve*.c) in this tree")
    t.check(routes, "cli/serve*.c has no rg_serve_route_add(srv, \"METHOD\", \"PREFIX\", ...) call this test can read",
            actual=[s.name for s in sources])
    templates = openapi_check.templates()
    missing = []
    for method, prefix, flags, src in routes:
        exact = "RG_ROUTE_EXACT" in flags
        methods = [m.upper() for m in METHODS] if method == "*" else [method]
        if not any(m == tm and (tp == prefix if exact else tp.startswith(prefix.rstrip("/")))
                   for m in methods for tm, tp in templates):
            missing.append("%s %s (%s) is routed in %s but not in docs/openapi.json" % (method, prefix, flags.strip(), src))
    unrouted = ["%s %s" % (m, p) for m, p in templates if not served_by(m, p, routes)]
    t.check(not missing, "routes missing from the OpenAPI file", actual=missing)
    t.check(not unrouted, "paths of the OpenAPI file no route serves", actual=unrouted)
    # Who needs a bearer token: a public route (RG_ROUTE_PUBLIC) says security [{}] only,
    # any other lists the bearer scheme (required when --token-file is given).
    wrong = []
    doc = DOC()
    for m, path in templates:
        owner = max((r for r in routes if r[0] in (m, "*") and
                     (path == r[1] if "RG_ROUTE_EXACT" in r[2] else path.startswith(r[1]) or
                      re.split(r"\{", path, maxsplit=1)[0].startswith(r[1]))),
                    key=lambda r: len(r[1]), default=None)
        if owner is None:
            continue
        security = doc["paths"][path][m.lower()].get("security", doc.get("security"))
        public = "RG_ROUTE_PUBLIC" in owner[2]
        if public and security != [{}]:
            wrong.append("%s %s is public in %s but its security is %s" % (m, path, owner[3], security))
        if not public and {"bearer": []} not in (security or []):
            wrong.append("%s %s needs a token in %s but its security does not list bearer" % (m, path, owner[3]))
    t.check(not wrong, "security of the operations against the routes' flags", actual=wrong)


# ---- the checker refuses what the contract refuses

ERROR = {"decision": "error", "error": {"kind": "context", "message": "bad", "file": None, "line": None, "column": None},
         "evaluated_at": NOW, "engine": {"name": "relgate", "version": "0.1.0"}}
JSON = {"Content-Type": "application/json"}


@case("the checker takes an error decision for a 400 and refuses it as a 200, or without a JSON content type")
def _(t):
    body = json.dumps(ERROR).encode()
    t.eq(openapi_check.problems("POST", "/v1/decisions", 400, JSON, body), [], "problems of a 400 error decision")
    t.check(openapi_check.problems("POST", "/v1/decisions", 200, JSON, body), "an error decision passed as a 200")
    t.check(openapi_check.problems("POST", "/v1/decisions", 400, {"Content-Type": "text/html"}, body),
            "a text/html 400 passed")
    t.check(openapi_check.problems("POST", "/v1/decisions", 400, JSON, b"{not json"), "a body that is not JSON passed")


@case("the checker wants a served verdict to carry an id, and a 2xx only on a declared path")
def _(t):
    doc = json.loads(t.run("eval", "--policy", str(REPO / "policies" / "octoacme.lua"), "--context",
                           str(REPO / "examples" / "minor" / "pre-release" / "pass" / "context.json"),
                           "--now", "2025-06-10T14:00:00Z").stdout)
    t.eq(doc["decision"], "allow", "the example's decision")
    t.check(openapi_check.problems("POST", "/v1/decisions", 200, JSON, json.dumps(doc).encode()),
            "a verdict without an id passed")
    doc["id"] = "0123456789abcdef0123456789abcdef"
    t.eq(openapi_check.problems("POST", "/v1/decisions", 200, JSON, json.dumps(doc).encode()), [], "problems")
    t.eq(openapi_check.problems("GET", "/v1/decisions/0123456789abcdef0123456789abcdef", 200, JSON, json.dumps(doc).encode()), [], "problems")
    doc["id"] = "../x"
    t.check(openapi_check.problems("GET", "/v1/decisions/x", 200, JSON, json.dumps(doc).encode()),
            "an id that is not a path segment passed")
    t.check(openapi_check.problems("GET", "/v1/nothing", 200, JSON, b"{}"), "a 2xx on an undeclared path passed")
    t.check(openapi_check.problems("POST", "/v1/decisions", 418, {}, b""), "an undeclared status passed")


@case("the checker wants Retry-After in seconds on a 503")
def _(t):
    body = json.dumps(ERROR).encode()
    t.eq(openapi_check.problems("POST", "/v1/decisions", 503, dict(JSON, **{"Retry-After": "2"}), body), [], "problems")
    t.check(openapi_check.problems("POST", "/v1/decisions", 503, dict(JSON, **{"Retry-After": "soon"}), body),
            "Retry-After: soon passed")


if __name__ == "__main__":
    sys.exit(main())
