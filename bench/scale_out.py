#!/usr/bin/env python3
"""Several instances behind a load balancer: cvdesk instances on one PostgreSQL database
behind HAProxy (which passes the client address in X-Forwarded-For, the header the desks
are set to trust from it), finders submitting reports from many addresses and a staff
member writing to them, while one instance is killed with SIGKILL and started again.

Afterwards: every report answered 201 is stored once, reference numbers run without a gap,
every mail in the outbox reached the loopback SMTP sink (tests/mail/smtp_sink.py) once (a
repeat only as the same Message-ID, at most one per kill, as in bench/soak_kill9.py), one
address that reaches every instance in turn gets no more reports through than one shared
limit allows, and each periodic background job ran once per period across the instances
(counted from each instance's /metrics, the killed one's read just before the kill).

With --throughput it instead measures reports a second through HAProxy with 1, 2 and 3
instances (no kill): on a two-core machine the point is that adding instances costs
nothing and loses nothing, not that the rate scales.

Usage: bench/scale_out.py --binary target/debug/cvdesk --postgres-url URL [--psql PSQL]
                          [--seconds 20] [--finders 12] [--throughput]

Run through bench/scale_out.sh, which installs HAProxy and starts PostgreSQL when needed.
Prints `scale-out: 1 passed, 0 failed` (or the problems and `0 passed, 1 failed`).
"""

import argparse
import email
import email.policy
import http.client
import json
import math
import os
import pathlib
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from soak_kill9 import SINK, Desk, free_port  # noqa: E402 - the soak's harness, reused

ADMIN = "scale-admin@example.org"
# One limit for every address, shared through PostgreSQL: a bucket of this many reports
# that refills evenly over a minute.
REPORTS_PER_MINUTE = 20
# Background jobs that run every minute; the others run hourly.
MINUTE_JOBS = {
    "reminders",
    "abuse_state.purge",
    "case_deadlines",
    "coordination_deadlines",
    "dashboards.keep_parts",
}
STALL_TIMEOUT = 75.0


class Instance(Desk):
    """One `cvdesk serve` on the shared database, behind the load balancer."""

    def __init__(self, binary, work, number, database_url, smtp_port):
        super().__init__(binary, work / f"data-{number}", free_port(), smtp_port)
        self.database_url = database_url
        self.metrics_port = free_port()
        self.env.update(
            {
                "CVDESK_DATABASE_URL": database_url,
                "CVDESK_RATE_LIMIT_REPORTS": f"{REPORTS_PER_MINUTE}/minute",
                "CVDESK_CLIENT_ADDRESS_HEADER": "x-forwarded-for",
                "CVDESK_TRUSTED_PROXIES": "127.0.0.1",
                "CVDESK_METRICS_LISTEN": f"127.0.0.1:{self.metrics_port}",
            }
        )
        self.log = open(work / f"server-{number}.log", "ab")

    def cli(self, *args):
        done = subprocess.run(
            [self.binary, *args], env=self.env, capture_output=True, text=True, check=True
        )
        return done.stdout

    def start(self):
        deadline = time.monotonic() + 30
        while True:
            self.process = subprocess.Popen(
                [self.binary, "serve", "--listen", f"127.0.0.1:{self.port}"],
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
                raise RuntimeError("an instance did not come up")

    def job_runs(self):
        """Background job runs of this instance since it started, by kind."""
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as answer:
            text = answer.read().decode()
        pattern = r'^cvdesk_job_runs(?:_total)?\{kind="([^"]+)"\} (\d+)'
        return {kind: int(count) for kind, count in re.findall(pattern, text, re.M)}


class LoadBalancer:
    """HAProxy in front of the instances: round robin, health checks on /healthz, and a
    request whose connection is refused (a killed instance) sent to another one."""

    def __init__(self, work, instances):
        self.port = free_port()
        config = work / "haproxy.cfg"
        servers = "\n".join(
            f"  server desk{n} 127.0.0.1:{instance.port} check"
            for n, instance in enumerate(instances)
        )
        config.write_text(
            f"""global
  maxconn 4096
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  retries 3
  option redispatch
frontend desk
  bind 127.0.0.1:{self.port}
  option forwardfor
  default_backend desks
backend desks
  balance roundrobin
  option httpchk GET /healthz
  default-server inter 200ms fall 1 rise 2
{servers}
"""
        )
        self.process = subprocess.Popen(
            ["haproxy", "-f", str(config), "-db"],
            stdout=subprocess.DEVNULL,
            stderr=open(work / "haproxy.log", "ab"),
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("HAProxy did not answer")

    def stop(self):
        self.process.terminate()
        self.process.wait()


def request(port, method, path, source, body=None, token=None):
    """One request to the load balancer from loopback address `source`; (status, JSON)."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=15, source_address=(source, 0)
    )
    try:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = json.dumps(body) if body is not None else None
        connection.request(method, path, body=payload, headers=headers)
        answer = connection.getresponse()
        data = answer.read()
        try:
            return answer.status, json.loads(data)
        except ValueError:
            return answer.status, data[:200]
    finally:
        connection.close()


class Load:
    """Finders, each sending from a new loopback address every time (so the per-address
    limit never stops them), and one staff member writing to the newest report's finder."""

    def __init__(self, port, finders, token):
        self.port = port
        self.token = token
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.created = {}  # reference -> contact address, for every 201
        self.latencies = []
        self.unanswered = 0  # cut off by the kill: no answer, or HAProxy's 502/503
        self.refused = []
        self.staff_messages = 0
        self.threads = [
            threading.Thread(target=self.finder, args=(n,), daemon=True) for n in range(finders)
        ]
        if token:
            self.threads.append(threading.Thread(target=self.staff, daemon=True))

    def start(self):
        for thread in self.threads:
            thread.start()

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def finder(self, number):
        sent = 0
        while not self.stop.is_set():
            sent += 1
            source = f"127.1.{number}.{sent % 250 + 1}"
            address = f"finder-{number}-{sent}@example.org"
            body = {
                "title": f"Scale-out report {number}-{sent}",
                "summary": "Submitted through the load balancer.",
                "steps_to_reproduce": "1. Submit.\n2. Kill an instance.",
                "impact": "None; this checks several instances.",
                "contact": {"email": address},
            }
            began = time.monotonic()
            try:
                status, answer = request(self.port, "POST", "/api/v1/reports", source, body)
            except OSError:
                with self.lock:
                    self.unanswered += 1
                continue
            with self.lock:
                if status == 201:
                    self.created[answer["reference"]] = address
                    self.latencies.append(time.monotonic() - began)
                elif status in (502, 503):
                    self.unanswered += 1
                else:
                    self.refused.append(f"{status} {answer}")

    def staff(self):
        while not self.stop.is_set():
            try:
                status, page = request(
                    self.port, "GET", "/api/v1/reports?limit=5", "127.3.0.1", token=self.token
                )
                if status == 200 and page["items"]:
                    reference = page["items"][0]["reference"]
                    status, _ = request(
                        self.port,
                        "POST",
                        f"/api/v1/reports/{reference}/messages",
                        "127.3.0.1",
                        {"body": "Thank you, we are looking into it.", "internal": False},
                        self.token,
                    )
                    if status in (200, 201):
                        with self.lock:
                            self.staff_messages += 1
            except OSError:
                pass
            time.sleep(0.1)


def psql(args, database_url, sql):
    done = subprocess.run(
        [args.psql, "-X", "-q", "-At", "-F", "\t", "-d", database_url, "-c", sql],
        capture_output=True,
        text=True,
        check=True,
    )
    return [line.split("\t") for line in done.stdout.splitlines() if line]


def fresh_database(args):
    name = f"cvdesk_scale_{secrets.token_hex(4)}"
    psql(args, args.postgres_url, f"CREATE DATABASE {name}")
    return urllib.parse.urlsplit(args.postgres_url)._replace(path=f"/{name}").geturl()


def received_mail(folder):
    """(To, Subject, Message-ID) of every message the sink accepted."""
    mail = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        mail.append((str(message["To"]), str(message["Subject"]), str(message["Message-ID"])))
    return mail


def check_mail(args, database_url, folder, kills, problems):
    """Waits for the outbox to drain; every mail once, a repeat only as the same message."""
    progress_at = time.monotonic()
    seen = -1
    unsent_sql = "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND given_up_at IS NULL"
    while time.monotonic() - progress_at < STALL_TIMEOUT:
        received = len(received_mail(folder))
        if received != seen:
            seen = received
            progress_at = time.monotonic()
        if psql(args, database_url, unsent_sql)[0][0] == "0":
            # A little longer for a second copy.
            time.sleep(3)
            break
        time.sleep(0.5)
    rows = psql(args, database_url, "SELECT recipient, subject, sent_at IS NOT NULL FROM outbox")
    unsent = [row for row in rows if row[2] != "t"]
    if unsent:
        problems.append(f"{len(unsent)} mails never sent: {unsent[:5]}")
    queued = {}
    for recipient, subject, _ in rows:
        queued[(recipient, subject)] = queued.get((recipient, subject), 0) + 1
    received = received_mail(folder)
    distinct = {}
    for to, subject, message_id in received:
        distinct.setdefault((to, subject), set()).add(message_id)
    wrong = [
        (key, count, len(distinct.get(key, ())))
        for key, count in queued.items()
        if len(distinct.get(key, ())) != count
    ]
    if wrong:
        problems.append(f"{len(wrong)} mails not delivered once (queued, delivered): {wrong[:5]}")
    stray = set(distinct) - set(queued)
    if stray:
        problems.append(f"mail the outbox never held: {sorted(stray)[:5]}")
    repeats = len(received) - sum(len(ids) for ids in distinct.values())
    if repeats > kills:
        problems.append(f"{repeats} repeated mails from {kills} kills")
    return len(rows), repeats


def check_reports(args, database_url, created, problems):
    rows = psql(
        args,
        database_url,
        "SELECT reference_prefix, reference_year, reference_sequence FROM reports",
    )
    references = [f"{prefix}-{year}-{int(sequence):04d}" for prefix, year, sequence in rows]
    stored = set(references)
    if len(stored) != len(references):
        problems.append("a reference number is stored twice")
    lost = sorted(set(created) - stored)
    if lost:
        problems.append(f"{len(lost)} reports answered 201 are missing: {lost[:10]}")
    by_year = {}
    for _, year, sequence in rows:
        by_year.setdefault(year, []).append(int(sequence))
    for year, sequences in by_year.items():
        sequences.sort()
        if sequences != list(range(1, len(sequences) + 1)):
            gaps = sorted(set(range(1, sequences[-1] + 1)) - set(sequences))
            problems.append(f"reference numbers of {year} have gaps: {gaps[:20]}")
    return len(stored)


def check_shared_limit(port, instances, problems):
    """One address sends three buckets' worth as fast as it can; HAProxy hands the requests
    to every instance in turn, and together they let one bucket through."""
    accepted = limited = 0
    began = time.monotonic()
    for n in range(3 * REPORTS_PER_MINUTE):
        body = {
            "title": f"Burst {n}",
            "summary": "One address, every instance.",
            "steps_to_reproduce": "Send again.",
            "impact": "None.",
        }
        status, _ = request(port, "POST", "/api/v1/reports", "127.2.0.1", body)
        accepted += status == 201
        limited += status == 429
    # The bucket refills evenly while the burst runs.
    refill = int((time.monotonic() - began) * REPORTS_PER_MINUTE / 60) + 1
    if not REPORTS_PER_MINUTE <= accepted <= REPORTS_PER_MINUTE + refill:
        problems.append(
            f"one address got {accepted} reports through {instances} instances; one shared "
            f"bucket allows {REPORTS_PER_MINUTE} to {REPORTS_PER_MINUTE + refill}"
        )
    if accepted + limited != 3 * REPORTS_PER_MINUTE:
        problems.append(f"the burst got answers other than 201 and 429: {accepted} + {limited}")
    return accepted, limited


def check_jobs(runs, seconds, problems):
    """Each minute job ran at least once, and every periodic kind at most once a period."""
    for kind, count in sorted(runs.items()):
        period = 60 if kind in MINUTE_JOBS else 3600
        most = int(seconds // period) + 1
        if count > most:
            problems.append(
                f"job {kind} ran {count} times in {seconds:.0f} s across the instances "
                f"(at most {most})"
            )
    missing = MINUTE_JOBS - set(runs)
    if missing:
        problems.append(f"periodic jobs never ran: {sorted(missing)}")


def add_runs(total, runs):
    for kind, count in runs.items():
        total[kind] = total.get(kind, 0) + count


def run_correctness(args, work, sink_port, mail):
    problems = []
    database_url = fresh_database(args)
    instances = [
        Instance(args.binary, work, n, database_url, sink_port) for n in range(args.instances)
    ]
    balancer = None
    job_runs = {}
    try:
        first_start = time.monotonic()
        for instance in instances:
            instance.start()
        instances[0].cli("user", "add", "--email", ADMIN, "--role", "admin")
        token = instances[0].cli("token", "create", "--email", ADMIN).strip().splitlines()[-1]
        balancer = LoadBalancer(work, instances)
        load = Load(balancer.port, args.finders, token)
        load.start()
        time.sleep(args.seconds / 2)
        victim = instances[-1]
        add_runs(job_runs, victim.job_runs())
        victim.kill()
        down = time.monotonic()
        time.sleep(1)
        victim.start()
        back_up = time.monotonic() - down
        time.sleep(args.seconds / 2)
        load.finish()
        if load.refused:
            problems.append(f"{len(load.refused)} refused submissions: {load.refused[:5]}")
        accepted, limited = check_shared_limit(balancer.port, args.instances, problems)
        stored = check_reports(args, database_url, load.created, problems)
        mails, repeats = check_mail(args, database_url, mail, 1, problems)
        for instance in instances:
            add_runs(job_runs, instance.job_runs())
        span = time.monotonic() - first_start
        check_jobs(job_runs, span, problems)
        print(
            f"scale-out: {args.instances} instances behind HAProxy on one PostgreSQL, "
            f"{args.finders} finders and one staff member for {args.seconds:.0f} s; one "
            f"instance killed with SIGKILL and healthy again {back_up:.1f} s later"
        )
        print(
            f"scale-out: {len(load.created)} reports answered 201, {load.unanswered} cut off "
            f"by the kill, {stored} stored with reference numbers without a gap (the burst's "
            f"{accepted} included), {load.staff_messages} staff messages"
        )
        print(f"scale-out: {mails} mails queued, each delivered once ({repeats} repeated)")
        print(
            f"scale-out: one address across {args.instances} instances: {accepted} accepted, "
            f"{limited} refused with 429 (one shared limit of {REPORTS_PER_MINUTE}/minute)"
        )
        print(
            f"scale-out: background job runs in {span:.0f} s, all instances together: "
            f"{dict(sorted(job_runs.items()))}"
        )
    finally:
        if balancer:
            balancer.stop()
        for instance in instances:
            instance.stop()
    return problems


def percentile(values, q):
    """The q-quantile of latencies in seconds, in milliseconds."""
    values = sorted(values)
    if not values:
        return 0.0
    return values[max(0, math.ceil(len(values) * q) - 1)] * 1000


def run_throughput(args, work, sink_port):
    database_url = fresh_database(args)
    instances = [Instance(args.binary, work, n, database_url, sink_port) for n in range(3)]
    rows = []
    try:
        for count in (1, 2, 3):
            instances[count - 1].start()
            balancer = LoadBalancer(work, instances[:count])
            load = Load(balancer.port, args.finders, None)
            began = time.monotonic()
            load.start()
            time.sleep(args.seconds)
            load.finish()
            wall = time.monotonic() - began
            balancer.stop()
            rows.append(
                (
                    count,
                    len(load.created) / wall,
                    percentile(load.latencies, 0.5),
                    percentile(load.latencies, 0.99),
                    len(load.refused),
                )
            )
    finally:
        for instance in instances:
            instance.stop()
    print(f"{'instances':<10} {'reports/s':>10} {'p50':>10} {'p99':>10} {'refused':>8}")
    for count, rate, p50, p99, refused in rows:
        print(f"{count:<10} {rate:>10.0f} {p50:>7.1f} ms {p99:>7.1f} ms {refused:>8}")
    print(
        f"({args.finders} finder threads through HAProxy, {args.seconds:.0f} s each; the "
        "instances, PostgreSQL, HAProxy and the client share the machine's cores)"
    )
    return [f"{refused} refused submissions with {count} instances" for count, *_, refused in rows if refused]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default="target/debug/cvdesk")
    parser.add_argument("--postgres-url", required=True)
    parser.add_argument("--psql", default="psql")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--finders", type=int, default=12)
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--throughput", action="store_true")
    args = parser.parse_args()
    args.binary = os.path.abspath(args.binary)
    # A stop from outside still ends the instances, HAProxy and the sink (see `finally`).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if shutil.which("haproxy") is None:
        print("scale-out: haproxy is not installed (bench/scale_out.sh installs it)")
        print("scale-out: 0 passed, 1 failed")
        return 1
    work = pathlib.Path(tempfile.mkdtemp(prefix="cvdesk-scale-"))
    mail = work / "mail"
    sink = subprocess.Popen([sys.executable, str(SINK), str(mail)], stdout=subprocess.PIPE, text=True)
    try:
        sink_port = int(sink.stdout.readline())
        if args.throughput:
            problems = run_throughput(args, work, sink_port)
        else:
            problems = run_correctness(args, work, sink_port, mail)
    except Exception as error:  # noqa: BLE001 - any failure of the harness fails the run
        problems = [f"the scale-out run could not finish: {type(error).__name__}: {error}"]
    finally:
        sink.kill()
        sink.wait()
    for problem in problems:
        print(f"FAIL {problem}")
    if problems:
        print(f"scale-out: logs and mail kept in {work}")
        print("scale-out: 0 passed, 1 failed")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print("scale-out: 1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
