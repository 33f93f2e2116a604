"""Checks the desk's advisory documents with the reference validators.

Runs the `advisory_documents` example (a sample published advisory with two
vulnerabilities, CVE IDs, CVSS v3.1 and v4.0, version ranges, fixed versions, package URLs,
a CPE and a consented credit) and validates what it writes:

- every CSAF document with BSI's @secvisogram/csaf-validator-lib (`validateStrict`, the
  `full` preset without the network and spell-check tests): no error and no warning;
- every CVE CNA container and every whole CVE record with PyPI `cvelib`'s own schema
  validation (CNA published container, and full record).

Exits 1 on any finding. Usage: advisory_oracle.py --binary target/release/examples/advisory_documents
"""

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

from cvelib.cve_api import CveRecord, CveRecordValidationError

HERE = pathlib.Path(__file__).resolve().parent


def check_csaf(files):
    output = subprocess.run(
        ["node", str(HERE / "csaf_validate.mjs"), *map(str, files)],
        cwd=HERE,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    failures = 0
    for line in output.splitlines():
        result = json.loads(line)
        name = pathlib.Path(result["file"]).name
        problems = result["errors"] + result["warnings"]
        print(f"csaf {name}: {len(result['errors'])} errors, {len(result['warnings'])} warnings, "
              f"{len(result['infos'])} infos")
        for problem in problems:
            print(f"  {problem}")
        failures += bool(problems) or not result["isValid"]
    return failures


def check_cve(files, schema_path, label):
    failures = 0
    for path in files:
        document = json.loads(path.read_text())
        try:
            if schema_path is None:
                CveRecord.validate(document)
            else:
                CveRecord.validate(document, schema_path=schema_path)
            print(f"cvelib {label} {path.name}: valid")
        except CveRecordValidationError as error:
            failures += 1
            print(f"cvelib {label} {path.name}: INVALID")
            for problem in getattr(error, "errors", [error]):
                print(f"  {problem}")
    return failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        out = pathlib.Path(folder)
        subprocess.run([args.binary, str(out)], check=True)
        csaf_files = sorted(p for p in out.glob("*.json") if p.name.startswith("cvd-sa-"))
        containers = sorted(out.glob("cve-cna-*.json"))
        records = sorted(out.glob("cve-record-*.json"))
        if not csaf_files or not containers or not records:
            print("the example wrote no CSAF document or no CVE record")
            return 1
        failures = check_csaf(csaf_files)
        failures += check_cve(containers, None, "cna-published")
        failures += check_cve(records, CveRecord.Schemas.V5_SCHEMA, "full")
    print(f"{len(csaf_files) + len(containers) + len(records) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
