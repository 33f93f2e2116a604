#!/usr/bin/env python3
"""CVSS throughput: vectors parsed and scored per second by cvdesk, next to PyPI `cvss`
on the same seeded vectors in the same run.

cvdesk is timed inside the `cvss_score` example (`--summary`: the loop over
Cvss::parse and Cvss::scores alone, input already in memory); PyPI `cvss` is timed around
its constructors, which parse and compute every score. A second cvdesk figure covers the
whole process reading vectors and writing JSON lines, as the oracle uses it.

Usage:
  cargo build --release -p cvdesk-formats --example cvss_score
  python3 bench/cvss_throughput.py --binary target/release/examples/cvss_score
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "oracle"))

from cvss import CVSS2, CVSS3, CVSS4  # noqa: E402
from cvss_oracle import V2_METRICS, V3_METRICS, V4_METRICS, random_vector  # noqa: E402

VERSIONS = [
    ("2.0", V2_METRICS, False, CVSS2),
    ("3.0", V3_METRICS, True, CVSS3),
    ("3.1", V3_METRICS, True, CVSS3),
    ("4.0", V4_METRICS, False, CVSS4),
]


def cvdesk_loop(binary, vectors):
    """Best of three runs of the in-process loop, in vectors a second."""
    payload = "".join(v + "\n" for v in vectors)
    best = None
    for _ in range(3):
        out = subprocess.run([binary, "--summary"], input=payload, capture_output=True,
                             text=True, check=True)
        summary = json.loads(out.stdout)
        if summary["valid"] != len(vectors):
            sys.exit(f"cvdesk refused {len(vectors) - summary['valid']} generated vectors")
        best = summary["seconds"] if best is None else min(best, summary["seconds"])
    return len(vectors) / best


def cvdesk_process(binary, vectors):
    payload = "".join(v + "\n" for v in vectors)
    started = time.perf_counter()
    subprocess.run([binary], input=payload, capture_output=True, text=True, check=True)
    return len(vectors) / (time.perf_counter() - started)


def pypi_loop(constructor, vectors):
    started = time.perf_counter()
    for vector in vectors:
        constructor(vector).scores()
    return len(vectors) / (time.perf_counter() - started)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", required=True, help="the release cvss_score example")
    parser.add_argument("--count", type=int, default=20000, help="vectors per version")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    print(f"{'version':<8} {'cvdesk loop/s':>14} {'PyPI cvss/s':>12} {'ratio':>7}")
    mixed, mixed_pypi_seconds = [], 0.0
    for version, table, shuffle, constructor in VERSIONS:
        vectors = [random_vector(rng, version, table, shuffle) for _ in range(args.count)]
        ours = cvdesk_loop(args.binary, vectors)
        theirs = pypi_loop(constructor, vectors)
        mixed += vectors
        mixed_pypi_seconds += len(vectors) / theirs
        print(f"{version:<8} {ours:>14,.0f} {theirs:>12,.0f} {ours / theirs:>6.0f}x")
    ours = cvdesk_loop(args.binary, mixed)
    theirs = len(mixed) / mixed_pypi_seconds
    print(f"{'all':<8} {ours:>14,.0f} {theirs:>12,.0f} {ours / theirs:>6.0f}x")
    print(f"cvdesk whole process with JSON lines out: {cvdesk_process(args.binary, mixed):,.0f} "
          f"vectors/s ({len(mixed):,} vectors)")


if __name__ == "__main__":
    main()
