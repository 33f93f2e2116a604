#!/usr/bin/env python3
"""Oracle for cvdesk's OpenAPI document: the independent validator
`openapi-spec-validator` (PyPI) must accept it as OpenAPI 3.1.

Reads crates/cvdesk-server/openapi.json, the file the server embeds and serves at
/api/v1/openapi.json, so no running server is needed; `--url` checks a live server
instead. Beyond the validator it checks that every `$ref` resolves and every operation
has an operationId and a 2xx answer, because the validator does not insist on those.

Usage: tests/oracle/openapi_check.py [--file PATH | --url URL]
Needs `pip install openapi-spec-validator`.
Prints `openapi: N passed, M failed` and exits non-zero on any failure.
"""

import argparse
import json
import sys
import urllib.request
from pathlib import Path

from openapi_spec_validator import OpenAPIV31SpecValidator

REPO = Path(__file__).resolve().parent.parent.parent
DOCUMENT = REPO / "crates" / "cvdesk-server" / "openapi.json"
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def load(args):
    if args.url:
        with urllib.request.urlopen(args.url, timeout=10) as response:
            media = response.headers.get_content_type()
            if media != "application/json":
                raise ValueError(f"served as {media}, not application/json")
            return json.load(response)
    with open(args.file, encoding="utf-8") as file:
        return json.load(file)


def refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def resolves(document, ref):
    if not ref.startswith("#/"):
        return False
    node = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def own_checks(document):
    """Problems the validator lets through; each is a sentence."""
    problems = []
    if not str(document.get("openapi", "")).startswith("3.1."):
        problems.append(f"openapi is {document.get('openapi')!r}, not 3.1.x")
    for ref in sorted(set(refs(document))):
        if not resolves(document, ref):
            problems.append(f"$ref {ref} does not resolve")
    for path, item in document.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            problems.append(f"{path} is outside /api/v1")
        for method, operation in item.items():
            if method not in METHODS:
                continue
            where = f"{method.upper()} {path}"
            if not operation.get("operationId"):
                problems.append(f"{where} has no operationId")
            if not any(code.startswith("2") for code in operation.get("responses", {})):
                problems.append(f"{where} documents no 2xx answer")
    return problems


def validator_errors(document):
    errors = []
    try:
        for error in OpenAPIV31SpecValidator(document).iter_errors():
            where = "/".join(map(str, error.path)) or "(root)"
            errors.append(f"openapi-spec-validator: {error.message} at {where}")
    # The validator raises instead of reporting on some faults, e.g. a dangling $ref.
    except Exception as error:  # noqa: BLE001
        reason = str(error).splitlines()[0][:200]
        errors.append(f"openapi-spec-validator stopped: {type(error).__name__}: {reason}")
    return errors


def main():
    parser = argparse.ArgumentParser(
        description="Validates cvdesk's OpenAPI document with openapi-spec-validator."
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--file", default=str(DOCUMENT), help="the document to check")
    source.add_argument("--url", help="fetch the document from a running server")
    args = parser.parse_args()

    failures = []
    try:
        document = load(args)
    except (OSError, ValueError) as error:
        failures.append(f"cannot read the document: {error}")
    else:
        failures += own_checks(document)
        failures += validator_errors(document)
    for failure in failures:
        print(f"FAIL {failure}")
    failed = 1 if failures else 0
    print(f"openapi: {1 - failed} passed, {failed} failed")
    return failed


if __name__ == "__main__":
    sys.exit(main())
