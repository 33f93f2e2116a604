#!/usr/bin/env python3
"""Oracle for the advisory documents the running desk serves, not only those its library
writes: starts `cvdesk serve` with an organization key and a CNA id, publishes an advisory
through the staff API (two vulnerabilities, CVSS v3.1 and v4.0, a CVE ID each, affected and
fixed versions, a package URL per product) about a report coordinated with two vendors under
an embargo (one stating four products in four states, approved; one silent), with the
embargo overridden, revises it, publishes an outbound case's write-up, then fetches what a
harvester would and checks each file with its reference validator:

- every CSAF document listed in the trusted provider's index.txt, and the write-up's CSAF
  document (publisher category discoverer), with BSI's @secvisogram/csaf-validator-lib
  (`validateStrict`, the `full` preset without the network and spell-check tests): no
  error, no warning;
- every CVE record linked from the publication with PyPI `cvelib` (the CVE Program's own
  client) against the CVE JSON 5 record schema;
- the OSV entry against ossf/osv-schema's `validation/schema.json`, and the provider
  metadata and the ROLIE feed against the CSAF 2.0 schemas (all vendored in tests/schemas);
- the Atom feed as XML naming the advisory; every CSAF document's .sha256 and .sha512 with
  `sha256sum -c` / `sha512sum -c`, and its .asc with `gpg --verify` and the key the
  provider metadata lists.

Usage: tests/oracle/advisory_served.py --binary target/debug/cvdesk
Prints one line per file and `served advisory documents: N passed, M failed`; exits 1 on
any failure.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import xml.etree.ElementTree as ElementTree
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import referencing
from cvelib.cve_api import CveRecord, CveRecordValidationError

HERE = Path(__file__).resolve().parent
SCHEMAS = HERE.parent / "schemas"
PUBLIC_URL = "https://security.example.org"
CNA_ORG_ID = "b3476cb9-2e3d-41a6-98d0-0f47421a65b6"

CONFIG = f"""
[advisories]
contact = "security@example.org"
cna_org_id = "{CNA_ORG_ID}"
cna_short_name = "example"

[outbound]
researcher_name = "Ada Lovelace"
researcher_email = "ada@research.example"
"""

ADVISORY = {
    "title": "Example Shop: SQL injection in product search",
    "summary": "The search box of Example Shop lets an attacker read the customer database.",
    "description": "The `q` parameter of `/search` is concatenated into an SQL statement.",
    "impact": "Anyone on the internet can read customer names, addresses and orders.",
    "exploitability": "A single crafted request; no account needed.",
    "remediation": "Upgrade Example Shop to 4.2.1 or later.",
    "tlp": "TLP:CLEAR",
    "vulnerabilities": [
        {
            "cwe": "CWE-89",
            "severity": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
            "cves": ["CVE-2026-12345"],
            "products": [{"product_id": 1, "purl": "pkg:generic/example/shop",
                          "affected": ["< 4.2.1"], "fixed": ["4.2.1"]}],
        },
        {
            "cwe": "CWE-79",
            "severity": ["CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
                         "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:L/VI:L/VA:N/SC:L/SI:L/SA:N"],
            "cves": ["CVE-2026-12346"],
            "products": [{"product_id": 1, "purl": "pkg:generic/example/shop",
                          "affected": ["< 4.2.1"], "fixed": ["4.2.1"]}],
        },
    ],
}

CASE = {
    "title": "Remote code execution in the upload handler",
    "product": "Acme Router",
    "versions_tested": ["4.2.1"],
    "vulnerability_type": "Remote Code Execution",
    "severity": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "attack_vector": "An unauthenticated POST to /upload.",
    "ease_of_exploitation": "Trivial: one request.",
    "technical_details": "The uploaded file's name reaches a shell command.",
}


REPORT = {
    "asset": "https://shop.example.org/search",
    "weakness": "CWE-89",
    "title": "SQL injection in product search",
    "summary": "The q parameter is concatenated into SQL.",
    "steps_to_reproduce": "1. GET /search?q='\n2. See the database error",
    "impact": "Full read access to the customer database.",
}

STATUSES = [
    {"product": "Initech Gateway", "status": "affected",
     "statement": "Gateway 2.x embeds the shop's search; a fix is planned."},
    {"product": "Initech Switch", "status": "fixed", "fixed_version": "3.1.4",
     "vulnerability": "CVE-2026-12346", "statement": "Fixed in 3.1.4."},
    {"product": "Initech Hub", "status": "not_affected"},
    {"product": "Initech Modem", "status": "under_investigation"},
]

OVERRIDE = {"reason": "Exploited in the wild; both vendors were told."}


class Desk:
    """`cvdesk serve` on a free loopback port with its own data folder and a staff token."""

    def __init__(self, binary, folder):
        self.binary = binary
        self.data = folder / "data"
        config = folder / "cvdesk.toml"
        config.write_text(CONFIG)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CVDESK_")}
        self.env.update({"CVDESK_INTAKE_CHALLENGE": "off", "CVDESK_RATE_LIMIT_REPORTS": "off"})
        self.process = subprocess.Popen(
            [binary, "serve", "--listen", "127.0.0.1:0", "--data", str(self.data),
             "--public-url", PUBLIC_URL, "--config", str(config)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=self.env, text=True)
        line = self.process.stdout.readline().strip()
        prefix = "cvdesk listening on "
        if not line.startswith(prefix):
            raise RuntimeError(f"unexpected first line {line!r}")
        self.base = line[len(prefix):].rstrip("/")
        self.cli("pgp", "generate", "--name", "Example Security", "--email", "security@example.org")
        self.cli("product", "add", "--name", "Example Shop", "--team", "Web",
                 "--hostname", "shop.example.org")
        self.cli("user", "add", "--email", "lead@example.org", "--role", "admin")
        self.token = self.cli("token", "create", "--email", "lead@example.org").splitlines()[-1].strip()

    def cli(self, *args):
        result = subprocess.run([self.binary, *args, "--data", str(self.data)],
                                capture_output=True, text=True, env=self.env)
        if result.returncode != 0:
            raise RuntimeError(f"cvdesk {' '.join(args)}: {result.stdout}{result.stderr}")
        return result.stdout

    def local(self, url):
        """A URL the desk wrote (under its public URL), fetched from where it listens."""
        return self.base + url[len(PUBLIC_URL):] if url.startswith(PUBLIC_URL) else self.base + url

    def get(self, url):
        with urllib.request.urlopen(self.local(url), timeout=30) as response:
            return response.read()

    def api(self, method, path, body):
        request = urllib.request.Request(
            self.base + path, method=method, data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


class Outcome:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def record(self, name, problems):
        if problems:
            self.failed += 1
            print(f"{name}: FAILED")
            for problem in problems:
                print(f"  {problem}")
        else:
            self.passed += 1
            print(f"{name}: valid")


def csaf_problems(files):
    """{file: problems} from BSI's validator, run once over every file."""
    output = subprocess.run(["node", str(HERE / "csaf_validate.mjs"), *map(str, files)],
                            cwd=HERE, check=True, capture_output=True, text=True).stdout
    found = {}
    for line in output.splitlines():
        result = json.loads(line)
        problems = result["errors"] + result["warnings"]
        if not result["isValid"] and not problems:
            problems = ["not valid"]
        found[result["file"]] = problems
    return found


def schema_problems(schema_file, document):
    """Problems of `document` against a vendored JSON schema; CSAF's schemas refer to each
    other by their published addresses, which resolve to the vendored copies."""
    resources = []
    for path in SCHEMAS.glob("*.json"):
        contents = json.loads(path.read_text())
        if "$id" in contents:
            resources.append((contents["$id"], referencing.Resource.from_contents(contents)))
    registry = referencing.Registry().with_resources(resources)
    schema = json.loads((SCHEMAS / schema_file).read_text())
    validator = jsonschema.validators.validator_for(schema)(schema, registry=registry)
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in validator.iter_errors(document)]


def cve_problems(record):
    try:
        CveRecord.validate(record, schema_path=CveRecord.Schemas.V5_SCHEMA)
        return []
    except CveRecordValidationError as error:
        return [str(problem) for problem in getattr(error, "errors", [error])]


def digest_and_signature_problems(desk, folder, url, key_file):
    """`sha256sum -c`, `sha512sum -c` and `gpg --verify` on one CSAF document as served."""
    name = url.rsplit("/", 1)[1]
    (folder / name).write_bytes(desk.get(url))
    problems = []
    for kind in ["sha256", "sha512"]:
        (folder / f"{name}.{kind}").write_bytes(desk.get(f"{url}.{kind}"))
        check = subprocess.run([f"{kind}sum", "-c", f"{name}.{kind}"], cwd=folder,
                               capture_output=True, text=True)
        if check.returncode != 0:
            problems.append(f"{kind}sum -c: {check.stdout}{check.stderr}")
    (folder / f"{name}.asc").write_bytes(desk.get(f"{url}.asc"))
    if shutil.which("gpg"):
        home = folder / "gnupg"
        home.mkdir(mode=0o700, exist_ok=True)
        gpg = ["gpg", "--homedir", str(home), "--batch", "--quiet"]
        subprocess.run([*gpg, "--import", str(key_file)], check=True, capture_output=True)
        verified = subprocess.run([*gpg, "--verify", str(folder / f"{name}.asc"), str(folder / name)],
                                  capture_output=True, text=True)
        if verified.returncode != 0:
            problems.append(f"gpg --verify: {verified.stderr}")
    else:
        problems.append("gpg is not installed")
    return problems


def main():
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--binary", required=True, help="a built cvdesk binary")
    binary = str(Path(arguments.parse_args().binary).resolve())
    outcome = Outcome()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        desk = Desk(binary, folder)
        try:
            check(desk, folder, outcome)
        finally:
            desk.stop()
    print(f"served advisory documents: {outcome.passed} passed, {outcome.failed} failed")
    return 1 if outcome.failed else 0


def coordinate(desk):
    """A report forwarded to two vendors under an embargo: Initech states its products (each
    approved), Globex never answers. Answers the report's reference."""
    reference = desk.api("POST", "/api/v1/reports", REPORT)["reference"]
    ends_at = (datetime.now(timezone.utc) + timedelta(days=200)).strftime("%Y-%m-%dT16:00:00Z")
    desk.api("PUT", f"/api/v1/reports/{reference}/embargo",
             {"ends_at": ends_at, "time_zone": "Europe/Berlin"})
    for name in ("Initech", "Globex"):
        vendor = desk.api("POST", "/api/v1/vendors", {
            "name": name, "contacts": [{"kind": "email", "value": f"psirt@{name.lower()}.example"}]})
        added = desk.api("POST", f"/api/v1/reports/{reference}/participants",
                         {"vendor_id": vendor["id"], "shared": ["summary"], "tlp": "TLP:AMBER"})
        if name == "Initech":
            token = added["participant_url"].rsplit("/", 1)[1]
            for status in STATUSES:
                desk.api("POST", f"/api/v1/participate/{token}/status", status)
    for participant in desk.api("GET", f"/api/v1/reports/{reference}/participants", None)["items"]:
        for status in participant["statuses"]:
            desk.api("POST", f"/api/v1/reports/{reference}/participants/{participant['id']}"
                     f"/statuses/{status['id']}/approve", None)
    return reference


def check(desk, folder, outcome):
    reference = coordinate(desk)
    advisory = desk.api("POST", "/api/v1/advisories", {**ADVISORY, "reports": [reference]})["id"]
    first = desk.api("POST", f"/api/v1/advisories/{advisory}/publish", {"override_embargo": OVERRIDE})
    desk.api("PATCH", f"/api/v1/advisories/{advisory}",
             {"remediation": "Upgrade Example Shop to 4.2.2, which also escapes the search page."})
    revised = desk.api("POST", f"/api/v1/advisories/{advisory}/publish",
                       {"summary": "4.2.2 also fixes the search page.", "override_embargo": OVERRIDE})
    outcome.record("revision published as version 2",
                   [] if (first["version"], revised["version"]) == (1, 2) else [f"{first} {revised}"])

    # The trusted provider, as a harvester reads it.
    metadata = json.loads(desk.get("/.well-known/csaf/provider-metadata.json"))
    outcome.record("provider-metadata.json (CSAF provider schema)",
                   schema_problems("csaf-provider_json_schema.json", metadata))
    key = metadata["public_openpgp_keys"][0]
    key_file = folder / "provider-key.asc"
    key_file.write_bytes(desk.get(key["url"]))
    feed_url = next(distribution["rolie"]["feeds"][0]["url"]
                    for distribution in metadata["distributions"] if "rolie" in distribution)
    feed = json.loads(desk.get(feed_url))
    outcome.record("ROLIE feed (CSAF ROLIE schema)", schema_problems("csaf-rolie-feed_json_schema.json", feed))
    index = desk.get("/.well-known/csaf/white/index.txt").decode().split()
    changes = desk.get("/.well-known/csaf/white/changes.csv").decode().splitlines()
    outcome.record("index.txt and changes.csv list the document once",
                   [] if len(index) == 1 and len(changes) == 1
                   and changes[0].split(",")[0].strip('"') == index[0] else [f"{index} {changes}"])
    documents = folder / "csaf"
    documents.mkdir()
    csaf_files = []
    for entry in index:
        url = f"/.well-known/csaf/white/{entry}"
        path = documents / entry.replace("/", "_")
        path.write_bytes(desk.get(url))
        csaf_files.append(path)
        outcome.record(f"{entry}: .sha256, .sha512, .asc",
                       digest_and_signature_problems(desk, documents, url, key_file))
        history = json.loads(path.read_text())["document"]["tracking"]["revision_history"]
        outcome.record(f"{entry}: revision history has both versions",
                       [] if [r["number"] for r in history] == ["1", "2"] else [str(history)])
        vulnerability = json.loads(path.read_text())["vulnerabilities"][1]
        states = {state: len(ids) for state, ids in vulnerability["product_status"].items()}
        parties = [(i["status"], i["summary"].split()[0]) for i in vulnerability["involvements"]]
        outcome.record(f"{entry}: the vendors' approved statuses and both involvements",
                       [] if states == {"fixed": 2, "known_affected": 2, "known_not_affected": 1,
                                        "under_investigation": 1}
                       and parties == [("in_progress", "Initech"), ("contact_attempted", "Globex")]
                       else [f"{states} {parties}"])

    # The outbound write-up, as CSAF with publisher category discoverer.
    acme = desk.api("POST", "/api/v1/vendors", {"name": "Acme", "domains": ["acme.example"],
                                                "contacts": [{"kind": "email", "value": "psirt@acme.example"}]})
    case = desk.api("POST", "/api/v1/cases", {**CASE, "vendor_id": acme["id"]})["id"]
    desk.api("POST", f"/api/v1/cases/{case}/send", {"confirm_unencrypted": True})
    desk.api("POST", f"/api/v1/cases/{case}/events", {"kind": "fix_released", "version": "4.2.2"})
    desk.api("POST", f"/api/v1/cases/{case}/publish", {"include_communication": True})
    write_up = documents / f"{case.lower()}.json"
    write_up.write_bytes(desk.get(f"/disclosures/{case}/{case.lower()}.json"))
    category = json.loads(write_up.read_text())["document"]["publisher"]["category"]
    outcome.record(f"{case}: publisher category discoverer",
                   [] if category == "discoverer" else [category])
    csaf_files.append(write_up)

    for path, problems in csaf_problems(csaf_files).items():
        outcome.record(f"csaf-validator-lib {Path(path).name}", problems)

    cve_urls = revised["urls"]["cve"]
    outcome.record("a CVE record per CVE ID", [] if len(cve_urls) == 2 else [str(cve_urls)])
    for url in cve_urls:
        outcome.record(f"cvelib {url.rsplit('/', 1)[1]}", cve_problems(json.loads(desk.get(url))))
    osv = json.loads(desk.get(revised["urls"]["osv"]))
    outcome.record("OSV entry (osv-schema)", schema_problems("osv-schema.json", osv))

    atom = ElementTree.fromstring(desk.get("/advisories.atom"))
    ids = [element.text for element in atom.iter("{http://www.w3.org/2005/Atom}id")]
    outcome.record("advisories.atom names the advisory",
                   [] if f"{PUBLIC_URL}/advisories/{advisory}" in ids else [str(ids)])


if __name__ == "__main__":
    sys.exit(main())
