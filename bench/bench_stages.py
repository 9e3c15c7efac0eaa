#!/usr/bin/env python3
"""CPU time of each stage of ``sovpolicy scan`` on one plan, in fresh processes.

Usage::

    python bench/bench_stages.py PLAN [--repeat 5] [--before SRC] [--json OUT]

Each repetition runs ``sovpolicy scan PLAN --format json --output TMP`` in a new Python
process whose pipeline functions are wrapped to add up the CPU time spent in each:

  start-up      interpreter and imports (the pipeline's modules too), until ``cli.main`` starts
  inputs        finding and sniffing the input files (``file_sources``: a plan's first
                pass over its top-level keys)
  setup         configuration, catalog and policy packs (``scansetup.prepare`` and loading)
  read          the sources' readers (``pipeline.read_sources``: decode, placement, flows)
  classify      ``Classifier.classify_all``
  evaluate      ``pipeline.evaluate_all``
  waivers       ``waivers.apply_waivers``
  alternatives  ``alternatives.for_findings``
  report        writing the JSON report
  rest          everything else (the process's whole CPU less the stages above)

With ``--before SRC`` (say ``/tmp/base/src``, an earlier checkout's ``src``), the same
runs are made with that ``sovpolicy`` first on ``PYTHONPATH``, alternating with the
current one, and each stage's ratio is also given *paired*: the median over the
repetitions of (current / before) in one repetition, which a machine whose speed drifts
moves alike on both sides.

Exit status: 0, or 1 when a run fails (an exit code other than 0, 1 or 3).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
STAGES = ("start-up", "inputs", "setup", "read", "classify", "evaluate", "waivers", "alternatives", "report", "rest")
_WRAPPED = (  # (module, attribute, stage): the functions the CLI and the pipeline call, by stage
    ("sovpolicy.sources.registry", "file_sources", "inputs"),
    ("sovpolicy.scansetup", "prepare", "setup"),
    ("sovpolicy.scansetup", "Setup.load", "setup"),
    ("sovpolicy.pipeline", "read_sources", "read"),
    ("sovpolicy.classify", "Classifier.classify_all", "classify"),
    ("sovpolicy.pipeline", "evaluate_all", "evaluate"),
    ("sovpolicy.pipeline", "apply_waivers", "waivers"),
    ("sovpolicy.pipeline", "for_findings", "alternatives"),
    ("sovpolicy.cli", "_write_file", "report"),
)


def child(plan: str) -> int:
    """One scan in this process; prints each stage's CPU seconds as JSON on stdout (the
    CPU clock counts from the process's start: start-up is what it reads before the scan)."""
    import functools
    import importlib

    spent = dict.fromkeys(STAGES, 0.0)

    def wrapped(func, stage):
        @functools.wraps(func)
        def timed(*args, **kwargs):
            t = time.process_time()
            try:
                return func(*args, **kwargs)
            finally:
                spent[stage] += time.process_time() - t
        return timed

    for module, name, stage in _WRAPPED:
        owner = importlib.import_module(module)
        *path, attr = name.split(".")
        for step in path:
            owner = getattr(owner, step)
        setattr(owner, attr, wrapped(getattr(owner, attr), stage))
    cli = importlib.import_module("sovpolicy.cli")
    spent["start-up"] = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        cli._ENDING_AT_ONCE = True  # as cli.run(): the scan's objects are not freed one by one
        code = cli.main(["scan", plan, "--format", "json", "--output", str(out)])
    whole = time.process_time()
    spent["rest"] = whole - sum(v for k, v in spent.items() if k != "rest")
    spent["total"] = whole
    sys.stdout.write(json.dumps({"code": code, "cpu": spent}) + "\n")
    sys.stdout.flush()
    os._exit(0)  # as the CLI ends


def run_once(python: str, plan: str, src: Path | None) -> dict:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.run([python, str(Path(__file__).resolve()), "--child", plan], env=env,
                          capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise RuntimeError(f"run failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    if got["code"] not in (0, 1, 3):
        raise RuntimeError(f"sovpolicy exited {got['code']}")
    return got["cpu"]


def summary(runs: list[dict]) -> dict:
    keys = [*STAGES, "total"]
    return {k: {"min": min(r[k] for r in runs), "median": statistics.median(r[k] for r in runs)} for k in keys}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("plan")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--before", type=Path, default=None, help="another sovpolicy's src directory to compare with")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child(args.plan)
    sides = {"scan": HERE.parent / "src"}
    if args.before is not None:
        sides["before"] = args.before
    runs: dict[str, list[dict]] = {s: [] for s in sides}
    try:
        for i in range(args.repeat):
            for side, src in sides.items():
                runs[side].append(run_once(args.python, args.plan, src))
                print(f"[run] {side} #{i + 1}: {runs[side][-1]['total']:.3f} s CPU", file=sys.stderr, flush=True)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"bench_stages: {exc}", file=sys.stderr)
        return 1
    result = {"plan": args.plan, "repeat": args.repeat, "runs": runs, "summary": {s: summary(r) for s, r in runs.items()}}
    head = f"{'stage':<13}" + "".join(f"{s + ' min':>12}{s + ' med':>12}" for s in sides)
    if "before" in sides:
        head += f"{'paired':>9}"
        result["paired"] = {k: statistics.median(a[k] / b[k] if b[k] else 1.0 for a, b in zip(runs["scan"], runs["before"]))
                            for k in [*STAGES, "total"]}
    print(head)
    for k in [*STAGES, "total"]:
        line = f"{k:<13}" + "".join(f"{result['summary'][s][k]['min']:>12.3f}{result['summary'][s][k]['median']:>12.3f}"
                                    for s in sides)
        if "before" in sides:
            line += f"{result['paired'][k]:>8.2f}x"
        print(line)
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
