#!/usr/bin/env python3
"""Oracle test for cvdesk's CVSS module.

Generates seeded random valid vectors of every version (with temporal, environmental,
threat and supplemental metrics), plus exhaustive sets (every v2.0, v3.x and v4.0 base
vector; every v3.x modified impact and requirement over two bases), and scores
each with three implementations:

  * cvdesk, through the `cvss_score` example of cvdesk-formats (JSON lines);
  * FIRST's own calculators (cvsscalc30.js, cvsscalc31.js, cvss40.js, shipped in the npm
    package @secvisogram/csaf-validator-lib), through cvss_first.mjs;
  * the PyPI package `cvss`.

cvdesk must agree with FIRST on every v3.0, v3.1 and v4.0 score, severity and canonical
vector; FIRST publishes no v2.0 calculator, so v2.0 is checked against PyPI `cvss`, which
implements the v2 guide in exact decimal arithmetic. Where PyPI `cvss` and FIRST disagree,
FIRST wins; such cases are counted and reported. Canonical vectors are fed back to cvdesk
and must come back unchanged with the same scores. Malformed vectors must all be refused
by cvdesk (how many the other two refuse is reported).

Prerequisites: `pip install cvss==3.6` and `npm ci --prefix tests/oracle`.
Usage: python3 tests/oracle/cvss_oracle.py --binary PATH/TO/examples/cvss_score
Exits non-zero on any disagreement; the last line reads `cvss oracle: N passed, M failed`.
"""

import argparse
import itertools
import json
import os
import random
import subprocess
import sys

from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError

HERE = os.path.dirname(os.path.abspath(__file__))

V2_METRICS = [
    ("AV", ["L", "A", "N"], True),
    ("AC", ["H", "M", "L"], True),
    ("Au", ["M", "S", "N"], True),
    ("C", ["N", "P", "C"], True),
    ("I", ["N", "P", "C"], True),
    ("A", ["N", "P", "C"], True),
    ("E", ["ND", "U", "POC", "F", "H"], False),
    ("RL", ["ND", "OF", "TF", "W", "U"], False),
    ("RC", ["ND", "UC", "UR", "C"], False),
    ("CDP", ["ND", "N", "L", "LM", "MH", "H"], False),
    ("TD", ["ND", "N", "L", "M", "H"], False),
    ("CR", ["ND", "L", "M", "H"], False),
    ("IR", ["ND", "L", "M", "H"], False),
    ("AR", ["ND", "L", "M", "H"], False),
]

V3_METRICS = [
    ("AV", ["N", "A", "L", "P"], True),
    ("AC", ["L", "H"], True),
    ("PR", ["N", "L", "H"], True),
    ("UI", ["N", "R"], True),
    ("S", ["U", "C"], True),
    ("C", ["H", "L", "N"], True),
    ("I", ["H", "L", "N"], True),
    ("A", ["H", "L", "N"], True),
    ("E", ["X", "U", "P", "F", "H"], False),
    ("RL", ["X", "O", "T", "W", "U"], False),
    ("RC", ["X", "U", "R", "C"], False),
    ("CR", ["X", "L", "M", "H"], False),
    ("IR", ["X", "L", "M", "H"], False),
    ("AR", ["X", "L", "M", "H"], False),
    ("MAV", ["X", "N", "A", "L", "P"], False),
    ("MAC", ["X", "L", "H"], False),
    ("MPR", ["X", "N", "L", "H"], False),
    ("MUI", ["X", "N", "R"], False),
    ("MS", ["X", "U", "C"], False),
    ("MC", ["X", "H", "L", "N"], False),
    ("MI", ["X", "H", "L", "N"], False),
    ("MA", ["X", "H", "L", "N"], False),
]
V3_TEMPORAL = {"E", "RL", "RC"}

V4_METRICS = [
    ("AV", ["N", "A", "L", "P"], True),
    ("AC", ["L", "H"], True),
    ("AT", ["N", "P"], True),
    ("PR", ["N", "L", "H"], True),
    ("UI", ["N", "P", "A"], True),
    ("VC", ["H", "L", "N"], True),
    ("VI", ["H", "L", "N"], True),
    ("VA", ["H", "L", "N"], True),
    ("SC", ["H", "L", "N"], True),
    ("SI", ["H", "L", "N"], True),
    ("SA", ["H", "L", "N"], True),
    ("E", ["X", "A", "P", "U"], False),
    ("CR", ["X", "H", "M", "L"], False),
    ("IR", ["X", "H", "M", "L"], False),
    ("AR", ["X", "H", "M", "L"], False),
    ("MAV", ["X", "N", "A", "L", "P"], False),
    ("MAC", ["X", "L", "H"], False),
    ("MAT", ["X", "N", "P"], False),
    ("MPR", ["X", "N", "L", "H"], False),
    ("MUI", ["X", "N", "P", "A"], False),
    ("MVC", ["X", "H", "L", "N"], False),
    ("MVI", ["X", "H", "L", "N"], False),
    ("MVA", ["X", "H", "L", "N"], False),
    ("MSC", ["X", "H", "L", "N"], False),
    ("MSI", ["X", "S", "H", "L", "N"], False),
    ("MSA", ["X", "S", "H", "L", "N"], False),
    ("S", ["X", "N", "P"], False),
    ("AU", ["X", "N", "Y"], False),
    ("R", ["X", "A", "U", "I"], False),
    ("V", ["X", "D", "C"], False),
    ("RE", ["X", "L", "M", "H"], False),
    ("U", ["X", "Clear", "Green", "Amber", "Red"], False),
]

MANDATORY = {
    "": {name for name, _, mandatory in V2_METRICS if mandatory},
    "CVSS:3.0/": {name for name, _, mandatory in V3_METRICS if mandatory},
    "CVSS:3.1/": {name for name, _, mandatory in V3_METRICS if mandatory},
    "CVSS:4.0/": {name for name, _, mandatory in V4_METRICS if mandatory},
}

PREFIX = {"3.0": "CVSS:3.0/", "3.1": "CVSS:3.1/", "4.0": "CVSS:4.0/", "2.0": ""}

# Refusals every strict parser owes, with words cvdesk's message must contain.
MALFORMED = [
    ("", "empty"),
    (" CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "whitespace"),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H ", "whitespace"),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "metric A missing"),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AV:N", "metric AV given twice"),
    ("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "unknown value 'X' for metric AV"),
    ("CVSS:3.1/AV:n/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "unknown value 'n' for metric AV"),
    ("CVSS:3.1/av:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "unknown metric 'av'"),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/", "stray '/'"),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H//A:H", "stray '/'"),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E", "not a metric"),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:", "metric E has no value"),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/MAT:N", "unknown metric 'MAT'"),
    ("CVSS:3.1/AV:N/AC:L/PR:U/UI:N/S:U/C:H/I:H/A:H", "unknown value 'U' for metric PR"),
    ("CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "unknown prefix"),
    ("cvss:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "unknown prefix"),
    ("CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P", "unknown prefix"),
    ("CVSS:3.1", "metric AV missing"),
    ("CVSS:3.1/", "stray '/'"),
    ("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "prefix"),
    ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:X/E:H", "metric E given twice"),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VI:H/VC:H/VA:H/SC:N/SI:N/SA:N", "VC must come before VI"),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N", "metric SA missing"),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N", "unknown value 'S' for metric SI"),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:red", "unknown value 'red' for metric U"),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:Red/E:A", "E must come before U"),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A/E:A", "metric E given twice"),
    ("CVSS:4.0/AV:N", "metric AC missing"),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/RL:O", "unknown metric 'RL'"),
    ("(AV:N/AC:L/Au:N/C:P/I:P/A:P)", "parentheses"),
    ("AV:N/AC:L/Au:N/C:P/I:P", "metric A missing"),
    ("AV:N/AC:L/Au:N/C:P/I:P/A:P/E:X", "unknown value 'X' for metric E"),
    ("AV:N/AC:L/Au:N/C:P/I:P/A:P/E:POC/E:F", "metric E given twice"),
    ("AC:L/AV:N/Au:N/C:P/I:P/A:P", "AV must come before AC"),
    ("AV:N/AC:L/Au:n/C:P/I:P/A:P", "unknown value 'n' for metric Au"),
    ("AV:N/AC:L/AU:N/C:P/I:P/A:P", "unknown metric 'AU'"),
    ("AV:N:L/AC:L/Au:N/C:P/I:P/A:P", "unknown value 'N:L' for metric AV"),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:\u0124", "unknown value"),
]


def vector_from(version, pairs):
    return PREFIX[version] + "/".join(f"{name}:{value}" for name, value in pairs)


def random_vector(rng, version, table, shuffle):
    """A valid vector: every mandatory metric, each optional one half of the time (X or
    ND included), in table order unless the version allows any order."""
    pairs = []
    for name, values, mandatory in table:
        if mandatory or rng.random() < 0.5:
            pairs.append((name, rng.choice(values)))
    if shuffle and rng.random() < 0.5:
        rng.shuffle(pairs)
    return vector_from(version, pairs)


def exhaustive_base(version, table):
    base = [(name, values) for name, values, mandatory in table if mandatory]
    for combo in itertools.product(*(values for _, values in base)):
        yield vector_from(version, zip((name for name, _ in base), combo))


def exhaustive_v3_environmental(version):
    """Every modified impact and requirement, over two base vectors: the cases where
    FIRST's floating-point formulas and rounding are most delicate."""
    for base in ("AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:N", "AV:A/AC:H/PR:H/UI:R/S:C/C:H/I:L/A:L"):
        for ms, mc, mi, ma, cr, ir, ar in itertools.product(
            ["X", "U", "C"], ["X", "H", "L", "N"], ["X", "H", "L", "N"], ["X", "H", "L", "N"],
            ["X", "L", "M", "H"], ["X", "L", "M", "H"], ["X", "L", "M", "H"],
        ):
            yield (f"{PREFIX[version]}{base}/CR:{cr}/IR:{ir}/AR:{ar}/MS:{ms}/MC:{mc}"
                   f"/MI:{mi}/MA:{ma}")


def mutations(rng, valid_vectors):
    """Invalid variants of valid vectors, each broken in one named way."""
    out = []
    for vector in valid_vectors:
        if vector.startswith("CVSS:"):
            prefix, body = vector.split("/", 1)
            prefix += "/"
        else:
            prefix, body = "", vector
        parts = body.split("/")
        kind = rng.randrange(6)
        if kind == 0:  # drop a mandatory metric
            mandatory = [i for i, part in enumerate(parts) if part.split(":")[0] in MANDATORY[prefix]]
            del parts[rng.choice(mandatory)]
        elif kind == 1:  # repeat a metric
            parts.append(rng.choice(parts))
        elif kind == 2:  # a value that no metric has
            index = rng.randrange(len(parts))
            parts[index] = parts[index].split(":")[0] + ":Q"
        elif kind == 3:  # lower-case a metric name
            index = rng.randrange(len(parts))
            name, value = parts[index].split(":")
            parts[index] = name.lower() + ":" + value
        elif kind == 4:  # a trailing slash
            parts.append("")
        else:  # swap two neighbouring metrics where the version fixes the order
            if prefix == "CVSS:3.0/" or prefix == "CVSS:3.1/":
                parts.insert(1, "")
            else:
                index = rng.randrange(len(parts) - 1)
                parts[index], parts[index + 1] = parts[index + 1], parts[index]
        out.append(prefix + "/".join(parts))
    return out


def run_lines(command, lines, cwd=None):
    completed = subprocess.run(
        command, input="".join(line + "\n" for line in lines), capture_output=True,
        text=True, cwd=cwd, check=False,
    )
    if completed.returncode != 0:
        sys.exit(f"{command[0]} failed ({completed.returncode}): {completed.stderr[-2000:]}")
    records = [json.loads(line) for line in completed.stdout.splitlines() if line]
    if len(records) != len(lines):
        sys.exit(f"{command[0]} answered {len(records)} lines for {len(lines)} vectors")
    return records


def cvdesk(binary, vectors):
    return run_lines([binary], vectors)


def first(vectors):
    script = os.path.join(HERE, "cvss_first.mjs")
    if not os.path.isdir(os.path.join(HERE, "node_modules", "@secvisogram")):
        sys.exit("FIRST's calculators are missing: run `npm ci --prefix tests/oracle`")
    return run_lines(["node", script], [json.dumps(v) for v in vectors], cwd=HERE)


def pypi(vector):
    """PyPI cvss's view: (base, temporal, environmental, clean vector), or None if refused."""
    try:
        if vector.startswith("CVSS:4.0/"):
            cvss = CVSS4(vector)
            return (cvss.base_score, None, None, cvss.clean_vector())
        if vector.startswith("CVSS:3."):
            cvss = CVSS3(vector)
            return (*cvss.scores(), cvss.clean_vector())
        cvss = CVSS2(vector)
        return (*cvss.scores(), cvss.clean_vector())
    except (CVSSError, KeyError, ValueError, IndexError, AttributeError):
        return None


def severity_v3(score):
    tenths = round(score * 10)
    if tenths == 0:
        return "none"
    if tenths < 40:
        return "low"
    if tenths < 70:
        return "medium"
    if tenths < 90:
        return "high"
    return "critical"


def check_valid(vector, ours, theirs, py, stats):
    """Problems with cvdesk's answer for a valid vector; updates PyPI-vs-FIRST counts."""
    if "error" in ours:
        return [f"refused: {ours['error']}"]
    problems = []
    version = ours["version"]
    expected_version = vector[5:8] if vector.startswith("CVSS:") else "2.0"
    if version != expected_version:
        problems.append(f"version {version}, expected {expected_version}")
    got = (ours["base_score"], ours["temporal_score"], ours["environmental_score"])

    if version in ("3.0", "3.1"):
        if not theirs.get("ok"):
            return [f"FIRST refused a generated vector: {theirs}"]
        want_base, want_temporal, want_env = theirs["base"], theirs["temporal"], theirs["environmental"]
        if got[0] != want_base:
            problems.append(f"base {got[0]} != FIRST {want_base}")
        if got[1] is not None and got[1] != want_temporal:
            problems.append(f"temporal {got[1]} != FIRST {want_temporal}")
        if got[2] is not None and got[2] != want_env:
            problems.append(f"environmental {got[2]} != FIRST {want_env}")
        if got[1] is None and want_temporal != want_base:
            problems.append(f"no temporal score, but FIRST's {want_temporal} differs from base")
        if got[2] is None and got[1] is not None and want_env != want_temporal:
            problems.append(f"no environmental score, but FIRST's {want_env} differs")
        if ours["vector"] != theirs["vector"]:
            problems.append(f"canonical {ours['vector']} != FIRST {theirs['vector']}")
        want_score = got[2] if got[2] is not None else got[1] if got[1] is not None else got[0]
        if ours["score"] != want_score or ours["severity"] != severity_v3(ours["score"]):
            problems.append(f"score/severity {ours['score']} {ours['severity']}")
        if py is not None and py[:3] != (want_base, want_temporal, want_env):
            stats[f"pypi_differs_{version}"] += 1
    elif version == "4.0":
        if not theirs.get("ok"):
            return [f"FIRST refused a generated vector: {theirs}"]
        if ours["score"] != theirs["score"] or got[0] != theirs["score"]:
            problems.append(f"score {ours['score']} != FIRST {theirs['score']}")
        if ours["severity"] != theirs["severity"].lower():
            problems.append(f"severity {ours['severity']} != FIRST {theirs['severity']}")
        if ours["nomenclature"] != theirs["nomenclature"]:
            problems.append(f"nomenclature {ours['nomenclature']} != FIRST {theirs['nomenclature']}")
        if ours["vector"] != theirs["vector"]:
            problems.append(f"canonical {ours['vector']} != FIRST {theirs['vector']}")
        if py is not None and py[0] != theirs["score"]:
            stats["pypi_differs_4.0"] += 1
    else:
        if py is None:
            return ["PyPI cvss refused a generated v2 vector"]
        if got != py[:3]:
            problems.append(f"scores {got} != PyPI {py[:3]}")
        if ours["vector"] != py[3]:
            problems.append(f"canonical {ours['vector']} != PyPI {py[3]}")
        tenths = round(ours["score"] * 10)
        want = "low" if tenths < 40 else "medium" if tenths < 70 else "high"
        if ours["severity"] != want:
            problems.append(f"severity {ours['severity']} for {ours['score']}")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", required=True, help="the cvss_score example binary")
    parser.add_argument("--count", type=int, default=5000,
                        help="random vectors per version (three times as many for v4.0)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--quick", action="store_true",
                        help="skip the 104,976 CVSS v4.0 base vectors (two thirds of the time)")
    parser.add_argument("--verbose", action="store_true", help="print every failure")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    valid = []
    for _ in range(args.count):
        valid.append(random_vector(rng, "2.0", V2_METRICS, shuffle=False))
        valid.append(random_vector(rng, "3.0", V3_METRICS, shuffle=True))
        valid.append(random_vector(rng, "3.1", V3_METRICS, shuffle=True))
        valid.append(random_vector(rng, "4.0", V4_METRICS, shuffle=False))
    valid += exhaustive_base("2.0", V2_METRICS)
    valid += exhaustive_base("3.0", V3_METRICS)
    valid += exhaustive_base("3.1", V3_METRICS)
    valid += exhaustive_v3_environmental("3.0")
    valid += exhaustive_v3_environmental("3.1")
    if not args.quick:
        valid += exhaustive_base("4.0", V4_METRICS)
    for _ in range(2 * args.count):
        valid.append(random_vector(rng, "4.0", V4_METRICS, shuffle=False))
    malformed = [vector for vector, _ in MALFORMED]
    mutated = mutations(rng, rng.sample(valid, min(len(valid), 4 * args.count // 5)))

    everything = valid + malformed + mutated
    ours_all = cvdesk(args.binary, everything)
    theirs_all = first(everything)
    canonical = [r["vector"] for r in ours_all[: len(valid)] if "error" not in r]
    again = dict(zip(canonical, cvdesk(args.binary, canonical)))

    passed = failed = 0
    stats = {"pypi_differs_3.0": 0, "pypi_differs_3.1": 0, "pypi_differs_4.0": 0,
             "pypi_refused": 0, "first_refused": 0}
    shown = 0

    def report(vector, problems):
        nonlocal passed, failed, shown
        if problems:
            failed += 1
            if args.verbose or shown < 20:
                shown += 1
                print(f"FAIL {vector!r}: {'; '.join(problems)}")
        else:
            passed += 1

    by_version = {}
    for vector, ours, theirs in zip(valid, ours_all, theirs_all):
        problems = check_valid(vector, ours, theirs, pypi(vector), stats)
        if "error" not in ours:
            round_trip = again.get(ours["vector"], {})
            keys = ("vector", "version", "base_score", "temporal_score",
                    "environmental_score", "score", "severity", "nomenclature")
            if any(round_trip.get(k) != ours.get(k) for k in keys):
                problems.append(f"canonical vector does not round-trip: {round_trip}")
            by_version[ours["version"]] = by_version.get(ours["version"], 0) + 1
        report(vector, problems)

    refused_by = {"cvdesk": 0, "FIRST": 0, "PyPI": 0}
    bad = [(v, w) for v, w in MALFORMED] + [(v, None) for v in mutated]
    for (vector, words), ours, theirs in zip(bad, ours_all[len(valid):], theirs_all[len(valid):]):
        problems = []
        if "error" not in ours:
            problems.append(f"accepted as {ours['vector']}")
        elif words is not None and words not in ours["error"]:
            problems.append(f"message {ours['error']!r} does not say {words!r}")
        refused_by["cvdesk"] += "error" in ours
        refused_by["FIRST"] += not theirs.get("ok", False) and not theirs.get("skipped", False)
        refused_by["PyPI"] += pypi(vector) is None
        report(vector, problems)

    print(f"valid vectors by version: {dict(sorted(by_version.items()))}")
    print(f"malformed vectors: {len(bad)}, refused by cvdesk {refused_by['cvdesk']}, "
          f"by FIRST {refused_by['FIRST']} (FIRST has no v2.0 calculator), "
          f"by PyPI cvss {refused_by['PyPI']}")
    print("PyPI cvss disagreeing with FIRST (FIRST wins): "
          f"v3.0 {stats['pypi_differs_3.0']}, v3.1 {stats['pypi_differs_3.1']}, "
          f"v4.0 {stats['pypi_differs_4.0']}")
    print(f"cvss oracle: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
