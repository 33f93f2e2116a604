#!/usr/bin/env python3
"""Oracle for cvdesk's security.txt linter: the reference checker `sectxt` (PyPI) must
reach the same verdict, valid or invalid, on every file of securitytxt-corpus/.

Both judge expiry against the real current time. Files named `differs-*` are
deliberate differences, each explained in DELIBERATE below; for those the two verdicts
must be exactly the documented ones.

Usage: tests/oracle/securitytxt_oracle.py [--linter PATH]
(without --linter the example binary is built with cargo). Needs `pip install sectxt`.
Prints `securitytxt oracle: N passed, M failed` and exits non-zero on any failure.
"""

import argparse
import json
import subprocess
import sys
import warnings
from pathlib import Path

from sectxt import Parser

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "securitytxt-corpus"
REPO = HERE.parent.parent

# file name -> (cvdesk valid, sectxt valid, why we differ on purpose)
DELIBERATE = {
    "differs-signed-no-blank-after-hash.txt": (
        False,
        True,
        "RFC 4880 §7 requires an empty line after the Hash header; without it OpenPGP "
        "tools read the first field as an armor header. sectxt's armor regex skips it.",
    ),
    "differs-signed-no-checksum.txt": (
        True,
        False,
        "RFC 9580 §6.1 makes the armor checksum optional (and modern tools omit it); "
        "cvdesk warns, sectxt's PGP library requires it.",
    ),
    "differs-signed-checksum-mismatch.txt": (
        False,
        True,
        "a checksum that does not match means the signature block was damaged; "
        "sectxt's PGP library only warns.",
    ),
    "differs-language-underscore.txt": (
        False,
        True,
        "RFC 5646 tags are joined with hyphens; sectxt's langcodes silently rewrites "
        "en_US to en-US.",
    ),
    "differs-signed-non-latin1.txt": (
        True,
        False,
        "RFC 9116 files are UTF-8; sectxt encodes signed files as Latin-1 before "
        "parsing the signature and fails on other characters.",
    ),
    "differs-signed-unescaped-dash.txt": (
        False,
        True,
        "RFC 4880 §7.1 requires signed lines starting with '-' to be dash-escaped; "
        "sectxt reads such a line as a field.",
    ),
}


def build_linter():
    command = [
        "cargo", "build", "--quiet", "-p", "cvdesk-formats",
        "--example", "securitytxt_lint", "--message-format=json",
    ]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"building the linter failed:\n{result.stderr}")
    for line in result.stdout.splitlines():
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and message.get("executable"):
            if message["target"]["name"] == "securitytxt_lint":
                return message["executable"]
    sys.exit("cargo did not report the securitytxt_lint executable")


def cvdesk_verdicts(linter, files):
    result = subprocess.run(
        [linter, *map(str, files)], capture_output=True, text=True
    )
    if result.returncode not in (0, 1):
        sys.exit(f"the linter failed:\n{result.stderr}")
    verdicts = {}
    for line in result.stdout.splitlines():
        report = json.loads(line)
        verdicts[Path(report["file"]).name] = report
    return verdicts


def sectxt_verdict(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parser = Parser(path.read_bytes())
        except Exception as error:  # sectxt crashes on some inputs; that is a refusal
            return False, [f"sectxt raised {type(error).__name__}: {error}"]
    return parser.is_valid(), [f"line {e['line']}: {e['code']}" for e in parser.errors]


def main():
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--linter", help="path to a built securitytxt_lint example")
    options = arguments.parse_args()
    linter = options.linter or build_linter()

    files = sorted(CORPUS.glob("*.txt"))
    ours = cvdesk_verdicts(linter, files)
    passed = failed = 0
    for path in files:
        report = ours[path.name]
        cvdesk_valid = report["valid"]
        sectxt_valid, sectxt_errors = sectxt_verdict(path)
        expected = DELIBERATE.get(path.name)
        if expected:
            ok = (cvdesk_valid, sectxt_valid) == expected[:2]
        else:
            ok = cvdesk_valid == sectxt_valid
        if ok:
            passed += 1
            continue
        failed += 1
        our_errors = [
            f"line {f['line']}: {f['code']}"
            for f in report["findings"]
            if f["severity"] == "error"
        ]
        print(f"DISAGREE {path.name}: cvdesk valid={cvdesk_valid} {our_errors}; "
              f"sectxt valid={sectxt_valid} {sectxt_errors}")
    print(f"securitytxt oracle: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
