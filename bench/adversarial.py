"""Run every adversarial reproducer of issue 12 and count what goes wrong.

    python bench/adversarial.py [-k SUBSTRING] [-v]

Prints one line per case that is not right, then the counts: inputs tried, internal
errors (exit 4 or a traceback), hangs, leaks of the canary, fail-opens (exit 0 where the
scan must block or refuse) and other wrong exit codes. The cases are in
tests/adversarial_cases.py (the test suite runs the same ones).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from adversarial_cases import CASES, fresh_dir, run_case  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", default="", help="only the cases whose name contains this")
    parser.add_argument("-v", action="store_true", help="print every case")
    parser.add_argument("-j", type=int, default=2, help="cases run at once (default 2)")
    args = parser.parse_args()
    cases = [c for c in CASES if args.k in c.name and not (c.needs_unprivileged and os.geteuid() == 0)]
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(args.j) as pool:
        outcomes = list(pool.map(lambda c: run_case(c, fresh_dir(Path(tmp), c.name)), cases))
    counts = Counter(o.problem for o in outcomes)
    for o in outcomes:
        if o.problem or args.v:
            detail = " ".join(o.detail.split())[:160]
            print(f"{o.problem or 'ok':10} {o.case.klass:9} {o.case.name:36} exit {o.code} "
                  f"(expected {'/'.join(map(str, sorted(o.case.expect)))}) {detail}")
    print(f"\ninputs tried: {len(outcomes)} (skipped as root: {len([c for c in CASES if c not in cases and args.k in c.name])})")
    for key in ("internal", "hang", "leak", "fail-open", "wrong-code"):
        print(f"{key}: {counts.get(key, 0)}")
    print(f"right: {counts.get(None, 0)}")
    return 0 if len(outcomes) == counts.get(None, 0) else 1


if __name__ == "__main__":
    sys.exit(main())
