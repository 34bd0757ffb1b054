"""Hold an HTTP response of `relgate serve` against docs/openapi.json.

    import openapi_check
    problems = openapi_check.problems("POST", "/v1/decisions", 200, headers, body)
    openapi_check.check("GET", "/health", status, headers, body)   # raises harness.Failure

The path is matched against the file's path templates ({id} matches one segment), the
status against the operation's responses (the exact code, then "4XX"-style ranges, then
"default"); a response that declares content must come with one of its media types, and a
JSON body must be one JSON value that the media type's schema accepts (JSON Schema 2020-12,
the dialect of OpenAPI 3.1, with the file's $refs into schema/*.json resolved locally);
declared response headers that are required must be there.

Works with python3-jsonschema from Debian 12 (4.10: RefResolver) and with later releases
(4.18+: the referencing registry).
"""

import json
import re
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jsonschema

REPO = Path(__file__).resolve().parent.parent.parent
OPENAPI_PATH = REPO / "docs" / "openapi.json"
SCHEMA_FILES = [REPO / "schema" / "decision.schema.json", REPO / "schema" / "context.schema.json"]
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

_doc = None
_resources = None
_validators = {}
# The harness runs cases in threads: what is built once is built under this lock, and
# published only when whole.
_lock = threading.RLock()


def document():
    """docs/openapi.json, parsed once."""
    global _doc
    with _lock:
        if _doc is None:
            with open(OPENAPI_PATH, encoding="utf-8") as f:
                _doc = json.load(f)
        return _doc


def _base_uri():
    return OPENAPI_PATH.as_uri()


def resources():
    """URI -> document for every schema the OpenAPI file may reach: itself, and each
    schema/*.json under its file URI and its $id."""
    global _resources
    with _lock:
        if _resources is None:
            found = {_base_uri(): document()}
            for p in SCHEMA_FILES:
                with open(p, encoding="utf-8") as f:
                    s = json.load(f)
                found[p.as_uri()] = s
                if "$id" in s:
                    found[s["$id"]] = s
            _resources = found
        return _resources


def _pointer(parts):
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _make_validator(pointer):
    """A Draft 2020-12 validator for the schema at POINTER in the OpenAPI file."""
    schema = {"$ref": _base_uri() + "#" + pointer}
    cls = jsonschema.Draft202012Validator
    try:
        import referencing
        import referencing.jsonschema
    except ImportError:  # jsonschema < 4.18 (Debian 12): RefResolver
        resolver = jsonschema.RefResolver(base_uri=_base_uri(), referrer=document(), store=dict(resources()))
        return cls(schema, resolver=resolver)
    spec = referencing.jsonschema.DRAFT202012
    registry = referencing.Registry().with_resources(
        (uri, referencing.Resource.from_contents(doc, default_specification=spec))
        for uri, doc in resources().items())
    return cls(schema, registry=registry)


def validator_at(pointer):
    # One per thread: Debian 12's RefResolver keeps the scope it resolves in on itself,
    # which two threads validating at once would share.
    key = (threading.get_ident(), pointer)
    with _lock:
        if key not in _validators:
            _validators[key] = _make_validator(pointer)
        return _validators[key]


def deref(node, parts):
    """Follow OpenAPI-level $refs (responses, parameters, headers) inside the file;
    returns (node, json-pointer parts of where it lives)."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node and node["$ref"].startswith("#/"):
        ref = node["$ref"][2:]
        parts = [p.replace("~1", "/").replace("~0", "~") for p in ref.split("/")]
        node = document()
        for p in parts:
            node = node[p]
        seen += 1
        if seen > 20:
            raise ValueError("a $ref cycle at %s" % ref)
    return node, list(parts)


def templates():
    """[(method in capitals, path template)] the file declares."""
    out = []
    for path, item in document()["paths"].items():
        for m in HTTP_METHODS:
            if m in item:
                out.append((m.upper(), path))
    return out


def _template_regex(template):
    out = ""
    for piece in re.split(r"(\{[^}/]+\})", template):
        if piece.startswith("{") and piece.endswith("}"):
            out += "[^/]+"
        else:
            out += re.escape(piece)
    return re.compile("^" + out + "$")


def match_path(path):
    """The template PATH (without query) matches: a literal template beats one with
    parameters; None when none does."""
    path = unquote(urlsplit(path).path) if "?" in path or "%" in path else path
    found = [t for t in document()["paths"] if _template_regex(t).match(path)]
    if not found:
        return None
    found.sort(key=lambda t: (t.count("{"), -len(t)))
    return found[0]


def _status_key(responses, status):
    code = str(status)
    if code in responses:
        return code
    rng = code[0] + "XX"
    if rng in responses:
        return rng
    if "default" in responses:
        return "default"
    return None


def _header(headers, name):
    """Case-insensitive lookup in HEADERS (a dict, an http.client.HTTPMessage or a list of pairs)."""
    if headers is None:
        return None
    items = headers.items() if hasattr(headers, "items") else headers
    for k, v in items:
        if k.lower() == name.lower():
            return v
    return None


def problems(method, path, status, headers, body):
    """What is wrong with this response by docs/openapi.json ([] when nothing is).
    BODY is bytes (or str); HEADERS as for _header."""
    out = []
    template = match_path(path)
    if template is None:
        # An unknown path may only be refused; nothing but an error may come back.
        if 200 <= status < 300:
            return ["%s %s answered %d but docs/openapi.json has no such path" % (method, path, status)]
        return _check_error_body(headers, body)
    item = document()["paths"][template]
    op = item.get(method.lower())
    if op is None:
        if 200 <= status < 300 and method.upper() != "HEAD":
            return ["%s %s answered %d but docs/openapi.json has no %s for %s" % (method, path, status, method, template)]
        return _check_error_body(headers, body)
    base = ["paths", template, method.lower()]
    responses = op.get("responses", {})
    key = _status_key(responses, status)
    if key is None:
        return ["%s %s: status %d is not among the responses docs/openapi.json declares (%s)"
                % (method, path, status, ", ".join(sorted(responses)))]
    resp, parts = deref(responses[key], base + ["responses", key])
    for name, h in (resp.get("headers") or {}).items():
        h, _ = deref(h, [])
        if h.get("required") and _header(headers, name) is None:
            out.append("%s %s %d: header %s is missing" % (method, path, status, name))
    retry = _header(headers, "Retry-After")
    if retry is not None and not re.match(r"^[0-9]+$", retry.strip()):
        out.append("Retry-After is not a number of seconds: %r" % retry)
    content = resp.get("content")
    if not content:
        return out
    if method.upper() == "HEAD":
        return out
    ctype = (_header(headers, "Content-Type") or "").split(";")[0].strip().lower()
    if ctype not in {k.lower() for k in content}:
        out.append("%s %s %d: Content-Type %r is not one of %s" % (method, path, status, ctype, sorted(content)))
        return out
    media_key = next(k for k in content if k.lower() == ctype)
    media = content[media_key]
    if "schema" not in media:
        return out
    pointer = _pointer(parts + ["content", media_key, "schema"])
    if ctype == "application/json" or ctype.endswith("+json"):
        try:
            value = json.loads(body.decode("utf-8") if isinstance(body, bytes) else body)
        except (ValueError, UnicodeDecodeError) as e:
            out.append("%s %s %d: the body is not JSON (%s): %r" % (method, path, status, e, body[:200]))
            return out
    else:
        value = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    out += _schema_problems(pointer, value, "%s %s %d" % (method, path, status))
    if template == "/metrics" and status == 200:
        out += metrics_problems(value)
    return out


# One sample line of the Prometheus text format 0.0.4: name{labels} value [timestamp].
_SAMPLE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*",?)*\})?'
                     r' (-?[0-9.eE+-]+|[+-]Inf|NaN)( -?[0-9]+)?$')
# What issue #16 asks /metrics to carry.
METRICS_REQUIRED = ("relgate_decisions_total", "relgate_decision_duration_seconds_bucket",
                    "relgate_store_errors_total", "relgate_policy_info")


def metrics_problems(text):
    """What is wrong with a /metrics body: lines that are not the Prometheus text format,
    a TYPE given twice, a metric the issue asks for missing, a policy_info without digest."""
    out, typed, names = [], set(), set()
    if not text.endswith("\n"):
        out.append("/metrics does not end with a newline")
    for n, line in enumerate(text.splitlines(), 1):
        if not line or line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            parts = line.split()
            if len(parts) != 4 or parts[3] not in ("counter", "gauge", "histogram", "summary", "untyped"):
                out.append("/metrics line %d: bad TYPE line %r" % (n, line))
            elif parts[2] in typed:
                out.append("/metrics line %d: TYPE of %s given twice" % (n, parts[2]))
            typed.add(parts[2] if len(parts) > 2 else "")
            continue
        if line.startswith("#"):
            continue
        if not _SAMPLE.match(line):
            out.append("/metrics line %d is not a sample: %r" % (n, line[:200]))
            continue
        names.add(re.match(r"[^{ ]+", line).group(0))
    for name in METRICS_REQUIRED:
        if name not in names:
            out.append("/metrics has no %s" % name)
    if not re.search(r'^relgate_policy_info\{[^}]*digest="sha256:[0-9a-f]{64}"', text, re.M):
        out.append("/metrics: relgate_policy_info names no policy digest")
    return out


def _check_error_body(headers, body):
    """Any refusal outside the declared operations: an error decision when JSON."""
    ctype = (_header(headers, "Content-Type") or "").split(";")[0].strip().lower()
    if ctype != "application/json":
        return []
    try:
        value = json.loads(body)
    except ValueError as e:
        return ["an error response is not JSON (%s)" % e]
    return _schema_problems("/components/schemas/ServedErrorDecision", value, "an error response")


def _schema_problems(pointer, value, where):
    errs = sorted(validator_at(pointer).iter_errors(value), key=lambda e: list(e.absolute_path))
    out = []
    for e in errs[:10]:
        at = "/".join(str(p) for p in e.absolute_path) or "(root)"
        out.append("%s: %s: %s" % (where, at, e.message[:300]))
        for sub in sorted(e.context or [], key=lambda s: list(s.absolute_path))[:6]:
            sat = "/".join(str(p) for p in sub.absolute_path) or "(root)"
            out.append("    %s: %s" % (sat, sub.message[:200]))
    return out


def check(method, path, status, headers, body):
    """problems(), raised as a harness.Failure when there are any."""
    found = problems(method, path, status, headers, body)
    if found:
        from harness import Failure
        raise Failure("the response does not match docs/openapi.json", expected="a response the contract allows",
                      actual=found[:20])


def schema_of(name):
    """A validator for components/schemas/NAME (for a test that checks a value directly)."""
    return validator_at("/components/schemas/" + name)
