"""The end of scripts/test: each pass's wall time and counts, then the slowest tests of all
passes (setup, call and teardown together, as pytest's JUnit report times them), so that
drift shows early.

Usage: python scripts/test_report.py PASSES.tsv  (lines: label, seconds, exit code, JUnit XML)
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

SLOWEST = 15


def minutes(seconds: float) -> str:
    return f"{int(seconds) // 60} min {int(seconds) % 60:02d} s"


def main(passes_file: str) -> None:
    rows = [line.split("\t") for line in Path(passes_file).read_text().splitlines() if line]
    timings: list[tuple[float, str, str]] = []
    print("\n== Passes (wall time)")
    total = 0
    for label, seconds, code, junit in rows:
        total += int(seconds)
        counts = ""
        path = Path(junit)
        if path.exists():
            suite = ElementTree.parse(path).getroot()
            suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
            tests, failures, errors, skipped = (int(suite.get(key, 0)) for key in ("tests", "failures", "errors", "skipped"))
            counts = f"{tests - failures - errors - skipped} passed, {failures + errors} failed, {skipped} skipped"
            for case in suite.iter("testcase"):
                name = f"{case.get('classname', '').replace('.', '/')}.py::{case.get('name')}"
                timings.append((float(case.get("time") or 0), label, name))
        outcome = "" if code == "0" else f" (exit {code})"
        print(f"{label:<20} {minutes(int(seconds)):>12}  {counts}{outcome}")
    print(f"{'all passes':<20} {minutes(total):>12}")
    print(f"\n== The {SLOWEST} slowest tests")
    for seconds, label, name in sorted(timings, reverse=True)[:SLOWEST]:
        print(f"{seconds:7.1f} s  {label:<18} {name}")


if __name__ == "__main__":
    main(*sys.argv[1:])
