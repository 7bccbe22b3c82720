#!/usr/bin/env python3
"""Structural sanity checks of docs/openapi.json (standard library only).

    python3 scripts/check_openapi.py [path/to/openapi.json]

Checks: the file is JSON pretty-printed with 2-space indentation; `openapi` is
"3.1.0"; every `$ref` resolves inside the document; every operation has a unique
operationId, a summary and responses; every route of API.md (canonical and the
§5 compatibility ones) is present with exactly its methods; path templates are
declared as required path parameters; unauthenticated operations override
`security` with []; error responses use the Error schema; each route form's body
dialect (strict schemas on /api/tasks, lenient ones on /api/{user_id}/tasks, the
input aliases, the toggle alias, the status aliases). If the optional
`openapi_spec_validator` package is importable it is run too. Exit status 0 on
success, 1 with one line per problem otherwise.
"""

import json
import os
import re
import sys

HTTP_METHODS = ("get", "head", "post", "put", "patch", "delete", "options", "trace")

READ = {"get", "head", "options"}
TASKS = {"get", "head", "post", "delete", "options"}
TASK = {"get", "head", "put", "patch", "delete", "options"}
COMPLETE = {"patch", "options"}

EXPECTED_PATHS = {
    "/api/health": READ,
    "/api/health/live": READ,
    "/api/health/ready": READ,
    "/api/openapi.json": READ,
    "/api/me": READ,
    "/api/tasks": TASKS,
    "/api/tasks/{id}": TASK,
    "/api/tasks/{id}/complete": COMPLETE,
    "/api/{user_id}/tasks": TASKS,
    "/api/{user_id}/tasks/{id}": TASK,
    "/api/{user_id}/tasks/{id}/complete": COMPLETE,
}
PUBLIC_PATHS = {"/api/health", "/api/health/live", "/api/health/ready", "/api/openapi.json"}

ERROR_CODES = {
    "bad_request", "unauthorized", "forbidden", "not_found", "method_not_allowed",
    "precondition_failed", "payload_too_large", "unsupported_media_type", "validation_failed",
    "service_unavailable", "internal_error",
}

# Status codes that some operations must document (API.md §4, §5).
REQUIRED_STATUSES = {
    ("/api/tasks", "post"): {"201", "400", "401", "413", "415", "422"},
    ("/api/tasks", "get"): {"200", "400", "401"},
    ("/api/tasks", "delete"): {"200", "400", "401", "422"},
    ("/api/tasks/{id}", "get"): {"200", "304", "401", "404"},
    ("/api/tasks/{id}", "put"): {"200", "400", "401", "404", "412", "413", "415", "422"},
    ("/api/tasks/{id}", "patch"): {"200", "400", "401", "404", "412", "413", "415", "422"},
    ("/api/tasks/{id}", "delete"): {"204", "401", "404", "412"},
    ("/api/tasks/{id}/complete", "patch"): {"200", "401", "404", "412", "415", "422"},
    ("/api/{user_id}/tasks", "get"): {"200", "401", "403"},
    ("/api/{user_id}/tasks", "post"): {"201", "401", "403", "422"},
    ("/api/{user_id}/tasks", "delete"): {"200", "401", "403", "422"},
    ("/api/{user_id}/tasks/{id}", "get"): {"200", "304", "401", "403", "404"},
    ("/api/{user_id}/tasks/{id}", "delete"): {"204", "401", "403", "404", "412"},
    ("/api/{user_id}/tasks/{id}/complete", "patch"): {"200", "401", "403", "404", "412"},
    ("/api/me", "get"): {"200", "401"},
    ("/api/health", "get"): {"200", "503"},
    ("/api/health/ready", "get"): {"200", "503"},
    ("/api/health/live", "get"): {"200"},
    ("/api/openapi.json", "get"): {"200"},
}

REQUIRED_SCHEMAS = {
    "Task", "TaskCreate", "TaskReplace", "TaskPatch", "CompleteBody", "TaskEnvelope",
    "TaskListEnvelope", "Me", "Health", "Error", "TaskCreateCompat", "TaskUpdateCompat",
    "TaskPatchCompat", "CompleteBodyCompat",
}
# The request-body dialect of each route form (API.md §1, §5): strict schemas on the
# canonical routes, lenient ones (unknown and read-only fields ignored) on
# /api/{user_id}/...; the compatibility PUT requires nothing (it updates what it carries).
BODY_DIALECT = {
    ("/api/tasks", "post"): ("TaskCreate", False),
    ("/api/tasks/{id}", "put"): ("TaskReplace", False),
    ("/api/tasks/{id}", "patch"): ("TaskPatch", False),
    ("/api/tasks/{id}/complete", "patch"): ("CompleteBody", False),
    ("/api/{user_id}/tasks", "post"): ("TaskCreateCompat", True),
    ("/api/{user_id}/tasks/{id}", "put"): ("TaskUpdateCompat", True),
    ("/api/{user_id}/tasks/{id}", "patch"): ("TaskPatchCompat", True),
    ("/api/{user_id}/tasks/{id}/complete", "patch"): ("CompleteBodyCompat", True),
}
# Input aliases every body schema with the field must also declare (API.md §3).
FIELD_ALIASES = {"completed": "is_completed", "due_at": "due_date"}
REQUIRED_RESPONSE_COMPONENTS = {
    "400": "BadRequest", "401": "Unauthorized", "403": "Forbidden", "404": "NotFound",
    "405": "MethodNotAllowed", "412": "PreconditionFailed", "413": "PayloadTooLarge",
    "415": "UnsupportedMediaType", "422": "ValidationFailed", "503": "ServiceUnavailable",
}
REQUIRED_HEADERS = {"ETag", "Location", "X-Request-Id", "X-Total-Count", "Cache-Control",
                    "WWW-Authenticate", "Retry-After", "Allow"}
REQUIRED_QUERY = {"completed", "status", "priority", "tag", "q", "due_before", "due_after",
                  "overdue", "sort", "limit", "offset", "search", "sort_by", "order"}


class Checker:
    def __init__(self, doc):
        self.doc = doc
        self.problems = []
        self.refs = 0

    def fail(self, message):
        self.problems.append(message)

    # -- $ref ----------------------------------------------------------------
    def pointer(self, ref):
        if not ref.startswith("#"):
            return None, "external $ref"
        node = self.doc
        for raw in ref[1:].split("/")[1:]:
            token = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                return None, "does not resolve"
        return node, None

    def deref(self, node):
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 20:
            target, _ = self.pointer(node["$ref"])
            if target is None:
                return {}
            node, seen = target, seen + 1
        return node

    def walk_refs(self, node, where):
        if isinstance(node, dict):
            ref = node.get("$ref")
            # A property literally named "$ref" inside `properties` is not a reference.
            if isinstance(ref, str):
                self.refs += 1
                _, error = self.pointer(ref)
                if error:
                    self.fail(f"{where}: $ref {ref!r} {error}")
            for key, value in node.items():
                self.walk_refs(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                self.walk_refs(value, f"{where}/{i}")

    # -- checks ----------------------------------------------------------------
    def run(self):
        doc = self.doc
        if doc.get("openapi") != "3.1.0":
            self.fail(f"openapi is {doc.get('openapi')!r}, expected '3.1.0'")
        info = doc.get("info", {})
        if info.get("title") != "todo-api" or info.get("version") != "1.0.0":
            self.fail("info.title/info.version must be todo-api/1.0.0")
        if not info.get("description"):
            self.fail("info.description is missing")
        if [s.get("url") for s in doc.get("servers", [])] != ["/"]:
            self.fail("servers must be [{url: '/'}]")
        schemes = doc.get("components", {}).get("securitySchemes", {})
        bearer = [n for n, s in schemes.items() if s.get("type") == "http" and s.get("scheme") == "bearer"]
        if not bearer:
            self.fail("no http bearer security scheme")
        elif doc.get("security") != [{bearer[0]: []}]:
            self.fail("global security must require the bearer scheme")

        self.walk_refs(doc, "#")
        self.check_components()
        self.check_paths()
        self.check_dialects()

    def check_components(self):
        comps = self.doc.get("components", {})
        missing = REQUIRED_SCHEMAS - set(comps.get("schemas", {}))
        if missing:
            self.fail(f"components.schemas missing {sorted(missing)}")
        responses = comps.get("responses", {})
        for status, name in REQUIRED_RESPONSE_COMPONENTS.items():
            if name not in responses:
                self.fail(f"components.responses.{name} ({status}) missing")
        for name, needed in (("Unauthorized", "WWW-Authenticate"), ("ServiceUnavailable", "Retry-After"),
                             ("MethodNotAllowed", "Allow")):
            if needed not in responses.get(name, {}).get("headers", {}):
                self.fail(f"components.responses.{name} lacks the {needed} header")
        missing = REQUIRED_HEADERS - set(comps.get("headers", {}))
        if missing:
            self.fail(f"components.headers missing {sorted(missing)}")
        error = comps.get("schemas", {}).get("Error", {})
        codes = set(error.get("properties", {}).get("code", {}).get("enum", []))
        if codes != ERROR_CODES:
            self.fail(f"Error.code enum differs: extra {sorted(codes - ERROR_CODES)}, "
                      f"missing {sorted(ERROR_CODES - codes)}")
        query = {self.deref(p).get("name") for p in comps.get("parameters", {}).values()
                 if self.deref(p).get("in") == "query"}
        if REQUIRED_QUERY - query:
            self.fail(f"components.parameters missing query parameters {sorted(REQUIRED_QUERY - query)}")
        task = comps.get("schemas", {}).get("Task", {}).get("properties", {})
        for field in ("id", "created_at", "updated_at", "completed_at", "version"):
            if not task.get(field, {}).get("readOnly"):
                self.fail(f"Task.{field} must be readOnly")

    def check_paths(self):
        paths = self.doc.get("paths", {})
        for path in sorted(set(EXPECTED_PATHS) - set(paths)):
            self.fail(f"path {path} missing")
        for path in sorted(set(paths) - set(EXPECTED_PATHS)):
            self.fail(f"unexpected path {path} (aliases belong in x-route-aliases)")
        op_ids = {}
        for path, item in paths.items():
            methods = {m for m in HTTP_METHODS if m in item}
            expected = EXPECTED_PATHS.get(path)
            if expected is not None and methods != expected:
                self.fail(f"{path}: methods {sorted(methods)}, expected {sorted(expected)}")
            path_params = {self.deref(p).get("name") for p in item.get("parameters", [])
                           if self.deref(p).get("in") == "path"}
            templated = set(re.findall(r"\{([^}]+)\}", path))
            for method in sorted(methods):
                op = item[method]
                where = f"{method.upper()} {path}"
                op_id = op.get("operationId")
                if not op_id:
                    self.fail(f"{where}: no operationId")
                elif op_id in op_ids:
                    self.fail(f"{where}: operationId {op_id} also used by {op_ids[op_id]}")
                else:
                    op_ids[op_id] = where
                if not op.get("summary"):
                    self.fail(f"{where}: no summary")
                responses = op.get("responses") or {}
                if not responses:
                    self.fail(f"{where}: no responses")
                for code in responses:
                    if code != "default" and not re.fullmatch(r"[1-5](\d\d|XX)", code):
                        self.fail(f"{where}: bad response key {code}")
                if not any(c.startswith("2") or c == "304" for c in responses):
                    self.fail(f"{where}: no success response")
                for code, response in responses.items():
                    response = self.deref(response)
                    if code[0] in "45":
                        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                        allowed = {"#/components/schemas/Error"}
                        if path.startswith("/api/health") and code == "503":
                            allowed.add("#/components/schemas/Health")  # the health body, by contract
                        if method != "head" and schema.get("$ref") not in allowed:
                            self.fail(f"{where}: {code} does not use the Error schema")
                    if code in ("204", "304") and response.get("content"):
                        self.fail(f"{where}: {code} must have no content")
                needed = REQUIRED_STATUSES.get((path, method), set())
                if needed - set(responses):
                    self.fail(f"{where}: missing responses {sorted(needed - set(responses))}")
                params = {self.deref(p).get("name") for p in op.get("parameters", [])
                          if self.deref(p).get("in") == "path"}
                for name in templated - path_params - params:
                    self.fail(f"{where}: path parameter {{{name}}} not declared")
                public = path in PUBLIC_PATHS or method == "options"
                if public and op.get("security") != []:
                    self.fail(f"{where}: must override security with []")
                if not public and "security" in op:
                    self.fail(f"{where}: must use the global (bearer) security")
                if not public and method != "options" and "401" not in responses:
                    self.fail(f"{where}: authenticated operation without 401")
                if path.startswith("/api/{user_id}/") and method != "options" and "403" not in responses:
                    self.fail(f"{where}: compatibility route without 403")


    def check_dialects(self):
        paths = self.doc.get("paths", {})
        for (path, method), (name, lenient) in sorted(BODY_DIALECT.items()):
            where = f"{method.upper()} {path}"
            body = self.deref(paths.get(path, {}).get(method, {}).get("requestBody", {}))
            for media, content in body.get("content", {}).items():
                ref = content.get("schema", {}).get("$ref")
                if ref != "#/components/schemas/" + name:
                    self.fail(f"{where}: {media} body is {ref}, expected the {name} schema")
            if not body.get("content"):
                self.fail(f"{where}: no request body")
            schema = self.doc.get("components", {}).get("schemas", {}).get(name, {})
            if schema.get("additionalProperties") is not lenient:
                self.fail(f"{name}: additionalProperties must be {lenient} "
                          f"({'ignored' if lenient else '422'} unknown fields)")
            props = schema.get("properties", {})
            for field, alias in FIELD_ALIASES.items():
                if field in props and alias not in props:
                    self.fail(f"{name}: declares {field} but not its input alias {alias}")
        if "required" in self.doc.get("components", {}).get("schemas", {}).get(
                "TaskUpdateCompat", {}):
            self.fail("TaskUpdateCompat: the compatibility PUT requires no field")
        aliases = " ".join(a.get("alias", "") for a in self.doc.get("x-route-aliases", []))
        if "/toggle" not in aliases:
            self.fail("x-route-aliases: PATCH .../{id}/toggle is missing")
        status = self.deref(self.doc.get("components", {}).get("parameters", {}).get("Status", {}))
        if not {"active", "done"} <= set(status.get("schema", {}).get("enum", [])):
            self.fail("the status parameter lacks its aliases active and done")


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "docs", "openapi.json")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        doc = json.loads(text)
    except ValueError as e:
        print(f"{path}: invalid JSON: {e}")
        return 1
    checker = Checker(doc)
    if text != json.dumps(doc, indent=2, ensure_ascii=False) + "\n":
        checker.fail("not pretty-printed as json.dumps(indent=2) plus a final newline")
    checker.run()

    try:
        from openapi_spec_validator import OpenAPIV31SpecValidator  # optional
    except ImportError:
        print("openapi_spec_validator not installed: schema validation against the OAS 3.1 meta-schema skipped")
    else:
        if checker.problems:
            print("openapi_spec_validator: skipped until the structural problems are fixed")
        else:
            try:
                for error in OpenAPIV31SpecValidator(doc).iter_errors():
                    checker.fail(f"openapi-spec-validator: {error.message[:200]}")
            except Exception as e:  # the validator raises on some malformed documents
                checker.fail(f"openapi-spec-validator: {type(e).__name__}: {str(e)[:200]}")
            print("openapi_spec_validator: OAS 3.1 meta-schema validation run")

    for problem in checker.problems:
        print(f"FAIL {problem}")
    ops = sum(1 for item in doc.get("paths", {}).values() for m in HTTP_METHODS if m in item)
    print(f"{path}: {len(doc.get('paths', {}))} paths, {ops} operations, {checker.refs} $refs; "
          f"{len(checker.problems)} problem(s)")
    return 1 if checker.problems else 0


if __name__ == "__main__":
    sys.exit(main())
