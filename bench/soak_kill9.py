#!/usr/bin/env python3
"""Kill -9 soak: the server is killed without warning while clients submit reports, and
started again on the same data, round after round. Afterwards every report that was
answered 201 must be there, the reference numbers must run without a gap, and the outbox
must have sent one acknowledgement for every stored report, to its finder's address (to
the loopback SMTP sink, tests/mail/smtp_sink.py, which keeps every message it accepts).

Once, not more, except where SMTP cannot do better: a kill after the mail server accepted
a mail and before the outbox recorded it sends that mail again when the desk is back. The
copy is the same message (same Message-ID, which mail systems use to drop repeats), and
the sender has one mail in hand at a time, so each kill can repeat at most one mail. The
soak fails on a second distinct message for a report, or on more repeats than kills, and
prints how many kills repeated a mail.

Usage: bench/soak_kill9.py [--binary target/debug/cvdesk] [--rounds 20] [--clients 16]
                           [--load-seconds 1.0] [--seed N]

Everything runs on 127.0.0.1 and stops by itself: each round lets the clients submit for
about --load-seconds, kills the server with SIGKILL and starts it again. Prints the figures
and `soak: 1 passed, 0 failed` (or the problems and `0 passed, 1 failed`).
"""

import argparse
import email
import email.policy
import json
import os
import pathlib
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

REPO = pathlib.Path(__file__).resolve().parent.parent
SINK = REPO / "tests" / "mail" / "smtp_sink.py"
ADMIN = "soak-admin@example.org"
START_TIMEOUT = 30.0
# The outbox may be slow, but it must not stall: a mail held by a killed sender is due
# again when its lease (45 s) ends.
STALL_TIMEOUT = 75.0


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Desk:
    """The server on one data folder and one port, killed and started again."""

    def __init__(self, binary, data, port, smtp_port):
        self.binary = binary
        self.data = data
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("CVDESK_")
        }
        self.env.update(
            {
                "CVDESK_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
                "CVDESK_MAIL_FROM": "desk@example.org",
                # Sixteen clients on one address: the challenge and the per-address
                # limits have their own tests.
                "CVDESK_INTAKE_CHALLENGE": "off",
                "CVDESK_RATE_LIMIT_REPORTS": "off",
                "CVDESK_RATE_LIMIT_TRACKING": "off",
                "CVDESK_RATE_LIMIT_REPLIES": "off",
                "CVDESK_RATE_LIMIT_SIGN_IN": "off",
            }
        )
        self.process = None
        self.log = open(data.parent / "server.log", "ab")

    def cli(self, *args):
        done = subprocess.run(
            [self.binary, *args, "--data", str(self.data)],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    def start(self):
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            self.process = subprocess.Popen(
                [self.binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--data", str(self.data)],
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=self.log,
            )
            if self.wait_healthy(deadline):
                return
            # The port may still be held for a moment by the killed process.
            self.process.kill()
            self.process.wait()
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not come back")

    def wait_healthy(self, deadline):
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                time.sleep(0.1)
                return False
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        return True
            except OSError:
                time.sleep(0.02)
        return False

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Clients:
    """Sixteen finders submitting reports, each with its own e-mail address."""

    def __init__(self, url, count):
        self.url = url
        self.count = count
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.created = {}  # reference -> contact address, for every 201
        self.unanswered = 0  # requests the kill cut off: stored or not, no answer came
        self.refused = []  # any other answer
        self.threads = [threading.Thread(target=self.run, args=(n,), daemon=True) for n in range(count)]

    def start(self):
        for thread in self.threads:
            thread.start()

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def run(self, client):
        sent = 0
        while not self.stop.is_set():
            sent += 1
            address = f"finder-{client}-{sent}@example.org"
            body = json.dumps(
                {
                    "title": f"Soak report {client}-{sent}",
                    "summary": "Submitted while the server is being killed.",
                    "steps_to_reproduce": "1. Submit.\n2. Kill the server.",
                    "impact": "None; this checks durability.",
                    "contact": {"email": address},
                }
            ).encode()
            request = urllib.request.Request(
                f"{self.url}/api/v1/reports",
                data=body,
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    created = json.load(answer)
                    with self.lock:
                        if answer.status == 201:
                            self.created[created["reference"]] = address
                        else:
                            self.refused.append(f"{answer.status} {created}")
            except urllib.error.HTTPError as error:
                with self.lock:
                    self.refused.append(f"{error.code} {error.read()[:200]!r}")
            except (OSError, ValueError):
                # The server went away mid-request (or was not up yet).
                with self.lock:
                    self.unanswered += 1
                time.sleep(0.02)


def stored_references(desk, token):
    """Every report's reference, through the staff API, page by page."""
    references = []
    cursor = ""
    while True:
        request = urllib.request.Request(
            f"{desk.url}/api/v1/reports?state=all&sort=oldest&limit=200&cursor={cursor}",
            headers={"Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            page = json.load(answer)
        references += [item["reference"] for item in page["items"]]
        if not page["next"]:
            return references
        cursor = page["next"]


class Acknowledgements:
    """The acknowledgements the sink accepted, each file read once."""

    def __init__(self, folder):
        self.folder = folder
        self.read = {}

    def all(self):
        """(reference, recipient, Message-ID) of each acknowledgement so far."""
        for path in self.folder.glob("*.eml"):
            if path.name not in self.read:
                self.read[path.name] = self.parse(path)
        return [found for found in self.read.values() if found]

    @staticmethod
    def parse(path):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        subject = str(message["Subject"])
        match = re.match(r"\[([A-Z0-9]+-\d{4}-\d+)\] We received your report", subject)
        if not match:
            return None
        return (match.group(1), str(message["To"]), str(message["Message-ID"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=str(REPO / "target" / "debug" / "cvdesk"))
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--load-seconds", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    # A stop from outside still ends the server and the sink (see `finally`).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    chance = random.Random(seed)

    work = pathlib.Path(tempfile.mkdtemp(prefix="cvdesk-soak-"))
    mail = work / "mail"
    sink = subprocess.Popen(
        [sys.executable, str(SINK), str(mail)], stdout=subprocess.PIPE, text=True
    )
    desk = None
    problems = []
    started = time.monotonic()
    try:
        smtp_port = int(sink.stdout.readline())
        desk = Desk(os.path.abspath(args.binary), work / "data", free_port(), smtp_port)
        # Only serve creates the store; the admin commands then use it.
        desk.start()
        desk.cli("user", "add", "--email", ADMIN, "--role", "admin")
        token = desk.cli("token", "create", "--email", ADMIN).strip().splitlines()[-1]
        clients = Clients(desk.url, args.clients)
        clients.start()
        restarts = []
        for _ in range(args.rounds):
            # Kill at a different moment each round: mid-intake, mid-send, mid-commit.
            time.sleep(args.load_seconds * chance.uniform(0.5, 1.5))
            desk.kill()
            down = time.monotonic()
            desk.start()
            restarts.append(time.monotonic() - down)
        last_restart = time.monotonic()
        time.sleep(args.load_seconds)
        clients.finish()

        references = stored_references(desk, token)
        stored = set(references)
        lost = sorted(set(clients.created) - stored)
        if lost:
            problems.append(f"{len(lost)} reports answered 201 are missing: {lost[:10]}")
        if len(stored) != len(references):
            problems.append("a reference is listed twice")
        sequences = sorted(int(reference.rsplit("-", 1)[1]) for reference in stored)
        if sequences != list(range(1, len(sequences) + 1)):
            gaps = sorted(set(range(1, (sequences or [0])[-1] + 1)) - set(sequences))
            problems.append(f"reference numbers have gaps: {gaps[:20]}")
        if clients.refused:
            problems.append(f"{len(clients.refused)} refused submissions: {clients.refused[:5]}")

        # Wait until every stored report's acknowledgement has arrived, then a little
        # longer for any second copy; give up when nothing new arrives for a while.
        received = Acknowledgements(mail)
        drained_at = None
        seen = 0
        progress_at = time.monotonic()
        while time.monotonic() - progress_at < STALL_TIMEOUT:
            sent = received.all()
            if len(sent) > seen:
                seen = len(sent)
                progress_at = time.monotonic()
            if stored <= {reference for reference, _, _ in sent}:
                drained_at = drained_at or time.monotonic()
                if time.monotonic() - drained_at > 3:
                    break
            time.sleep(0.5)
        drain = (drained_at or time.monotonic()) - last_restart
        acks = received.all()
        per_reference = {}
        for reference, recipient, message_id in acks:
            per_reference.setdefault(reference, []).append((recipient, message_id))
        missing = sorted(stored - set(per_reference))
        if missing:
            problems.append(f"{len(missing)} reports never acknowledged: {missing[:10]}")
        repeated = {ref: sent for ref, sent in per_reference.items() if len(sent) > 1}
        distinct = {ref: sent for ref, sent in repeated.items() if len(set(sent)) > 1}
        if distinct:
            sample = list(distinct.items())[:5]
            problems.append(f"{len(distinct)} reports got two different acknowledgements: {sample}")
        repeats = sum(len(sent) - 1 for sent in repeated.values())
        if repeats > args.rounds:
            problems.append(f"{repeats} repeated acknowledgements from {args.rounds} kills")
        stray = sorted(set(per_reference) - stored)
        if stray:
            problems.append(f"acknowledgements for reports that do not exist: {stray[:10]}")
        misaddressed = [
            ref
            for ref, address in clients.created.items()
            if ref in per_reference and per_reference[ref][0][0] != address
        ]
        if misaddressed:
            problems.append(f"acknowledgements to the wrong address: {misaddressed[:10]}")

        print(f"soak: seed {seed}, {args.rounds} kill -9 rounds, {args.clients} clients")
        print(
            f"soak: {len(clients.created)} answered 201, {clients.unanswered} cut off by a kill, "
            f"{len(stored)} stored (sequence 1..{len(stored)}), {len(acks)} acknowledgements "
            f"for {len(per_reference)} reports ({repeats} repeated by a kill between the "
            f"mail server's acceptance and the outbox's record, of {args.rounds} kills)"
        )
        if restarts:
            restarts.sort()
            print(
                f"soak: back up after a kill in {restarts[len(restarts) // 2] * 1000:.0f} ms "
                f"(median), {restarts[-1] * 1000:.0f} ms (slowest)"
            )
        print(
            f"soak: every acknowledgement sent {drain:.1f} s after the last restart "
            f"({time.monotonic() - started:.0f} s in all)"
        )
    except Exception as error:  # noqa: BLE001 - any failure of the harness fails the soak
        problems.append(f"the soak could not run: {type(error).__name__}: {error}")
    finally:
        if desk:
            desk.stop()
        sink.kill()
        sink.wait()
    for problem in problems:
        print(f"FAIL {problem}")
    if problems:
        print(f"soak: server log and mail kept in {work}")
        print("soak: 0 passed, 1 failed")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print("soak: 1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
