#!/usr/bin/env python3
"""Oracle for the security.txt cvdesk serves: starts the desk with two host names, fetches
/.well-known/security.txt as each, and requires the reference checker `sectxt` (PyPI) and
cvdesk's own linter to accept both, each with a Canonical naming its own host. When the
desk has an OpenPGP key the file is cleartext-signed: `gpg --verify` must accept it with
the key served at /pgp-key.txt, and refuse it once one byte of the signed text changes.

Usage: tests/oracle/securitytxt_served.py --binary target/debug/cvdesk
Prints `served security.txt: N passed, M failed` and exits non-zero on any failure.
"""

import argparse
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from sectxt import Parser

HOSTS = ["security.example.org", "www.example.org"]

CONFIG = """
security_txt_hosts = ["www.example.org"]

[policy]
introduction = "Example Organization welcomes reports."
contact_channels = ["mailto:security@example.org"]
languages = ["en", "de"]
hiring_url = "https://example.org/jobs"
"""


class Desk:
    """`cvdesk serve` on a free loopback port with its own data folder."""

    def __init__(self, binary, folder, extra_env):
        config = folder / "cvdesk.toml"
        config.write_text(CONFIG)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CVDESK_")}
        env.update(extra_env)
        self.process = subprocess.Popen(
            [binary, "serve", "--listen", "127.0.0.1:0", "--data", str(folder / "data"),
             "--public-url", "https://security.example.org", "--config", str(config)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
        line = self.process.stdout.readline().strip()
        prefix = "cvdesk listening on http://"
        if not line.startswith(prefix):
            raise RuntimeError(f"unexpected first line {line!r}")
        self.address = line[len(prefix):]

    def get(self, path, host):
        host_name, port = self.address.rsplit(":", 1)
        connection = http.client.HTTPConnection(host_name, int(port), timeout=10)
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        return response.status, response.read()

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def cvdesk_lint(binary, text):
    result = subprocess.run([binary, "securitytxt", "lint", "-"], input=text,
                            capture_output=True)
    return result.returncode == 0, result.stdout.decode(errors="replace")


def gpg(home, *args, data=None):
    return subprocess.run(["gpg", "--homedir", str(home), "--batch", "--quiet", *args],
                          input=data, capture_output=True)


def main():
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--binary", required=True, help="a built cvdesk binary")
    binary = str(Path(arguments.parse_args().binary).resolve())
    passed, failed = 0, []

    def check(ok, what):
        nonlocal passed
        if ok:
            passed += 1
        else:
            failed.append(what)

    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        desk = Desk(binary, folder, {})
        try:
            for host in HOSTS:
                status, body = desk.get("/.well-known/security.txt", host)
                check(status == 200, f"{host}: status {status}")
                parser = Parser(body)
                check(parser.is_valid(), f"{host}: sectxt refused it: {parser.errors}\n{body.decode()}")
                ours, report = cvdesk_lint(binary, body)
                check(ours, f"{host}: cvdesk's linter refused it:\n{report}")
                canonical = f"Canonical: https://{host}/.well-known/security.txt"
                check(canonical in body.decode(), f"{host}: no {canonical!r}")
            status, _ = desk.get("/security.txt", HOSTS[0])
            check(status in (301, 308), f"/security.txt answered {status}, not a redirect")
            status, _ = desk.get("/pgp-key.txt", HOSTS[0])
            check(status == 404, f"/pgp-key.txt without a key answered {status}")
        finally:
            desk.stop()

        if shutil.which("gpg") is None:
            failed.append("gpg is not installed: the signed file was not checked")
        else:
            generate = subprocess.run(
                [binary, "pgp", "generate", "--name", "Example Security",
                 "--email", "security@example.org", "--data", str(folder / "data")],
                capture_output=True, text=True)
            check(generate.returncode == 0, f"cvdesk pgp generate failed: {generate.stderr}")
            desk = Desk(binary, folder, {})
            try:
                status, key = desk.get("/pgp-key.txt", HOSTS[1])
                check(status == 200, f"/pgp-key.txt answered {status}")
                home = folder / "gnupg"
                home.mkdir(mode=0o700)
                check(gpg(home, "--import", data=key).returncode == 0, "gpg could not import the served key")
                for host in HOSTS:
                    status, signed = desk.get("/.well-known/security.txt", host)
                    check(signed.startswith(b"-----BEGIN PGP SIGNED MESSAGE-----"),
                          f"{host}: not cleartext-signed")
                    check(Parser(signed).is_valid(), f"{host}: sectxt refused the signed file")
                    check(cvdesk_lint(binary, signed)[0], f"{host}: cvdesk's linter refused the signed file")
                    verified = gpg(home, "--verify", data=signed)
                    check(verified.returncode == 0,
                          f"{host}: gpg --verify refused it: {verified.stderr.decode(errors='replace')}")
                    position = signed.index(b"Contact: ") + len(b"Contact: ")
                    tampered = signed[:position] + b"X" + signed[position + 1:]
                    check(gpg(home, "--verify", data=tampered).returncode != 0,
                          f"{host}: gpg --verify accepted a changed file")
            finally:
                desk.stop()

    for failure in failed:
        print(f"FAILED {failure}", file=sys.stderr)
    print(f"served security.txt: {passed} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
