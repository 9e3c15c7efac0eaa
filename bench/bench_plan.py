#!/usr/bin/env python3
"""Benchmark ``sovpolicy scan`` on large generated Terraform plans.

Usage::

    python bench/bench_plan.py [--sizes 1000,10000,50000] [--repeat 3] [--keep DIR]
                               [--checkov PATH] [--json OUT] [--seed S] [--timeout SEC]
                               [--before CMD]

For each size the plan is generated once with ``gen_plan.py`` (cached in
``--keep DIR`` or in a directory under the system temp dir, keyed by size, seed
and a hash of the generator) and then these commands are run as whole
processes, interleaved, ``--repeat`` times each:

  bare     python bench/bare_decode.py PLAN          (msgspec baseline)
  scan     sovpolicy scan PLAN --format json --output OUT
  checkov  checkov -f PLAN --framework terraform_plan --quiet --compact -o json --skip-download
           (only when a checkov executable is given with --checkov or found on PATH)
  before   CMD scan PLAN --format json --output OUT2   (with --before CMD: another
           sovpolicy, say an earlier checkout's, for a before/after in one bench)

A machine whose speed drifts (a shared virtual machine) moves every command of a
repetition alike, so each ratio is also given *paired*: the median, over the
repetitions, of the two commands' CPU times in that repetition.

Wall time is measured around each child; peak RSS comes from ``os.wait4`` (the
child's ru_maxrss, which on Linux also covers descendants it waited for, as a
maximum, not a sum).  A table per size is printed, and ``--json OUT`` writes
all runs and medians.

Exit status: 0, or 1 when ``sovpolicy`` crashed (exit code not 0, 1 or 3) or
timed out.  Failures of the baseline or of Checkov are reported but do not
change the exit status.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCAN_OK = {0, 1, 3}
CHECKOV_OK = {0, 1}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# plan cache
# ---------------------------------------------------------------------------

def generator_hash() -> str:
    return hashlib.sha256((HERE / "gen_plan.py").read_bytes()).hexdigest()[:10]


def ensure_plan(cache: Path, n: int, seed: int) -> Path:
    path = cache / f"plan-{n}-s{seed}-{generator_hash()}.json"
    if path.exists():
        log(f"[gen] using cached {path} ({path.stat().st_size / 1e6:.1f} MB)")
        return path
    sys.path.insert(0, str(HERE))
    try:
        import gen_plan  # noqa: WPS433 (local module)
    finally:
        sys.path.pop(0)
    tmp = path.with_suffix(".json.part")
    t0 = time.perf_counter()
    gen_plan.generate(n, str(tmp), seed)
    os.replace(tmp, path)
    log(f"[gen] wrote {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s")
    return path


# ---------------------------------------------------------------------------
# command discovery
# ---------------------------------------------------------------------------

def find_sovpolicy(python: str, override: str | None) -> tuple[list[str] | None, str]:
    if override:
        return shlex.split(override), "from --sovpolicy"
    beside = Path(sys.executable).parent / ("sovpolicy.exe" if os.name == "nt" else "sovpolicy")
    if beside.exists() and os.access(beside, os.X_OK):
        return [str(beside)], f"console script beside {sys.executable}"
    probe = subprocess.run([python, "-c", "import importlib.util,sys; "
                            "sys.exit(0 if importlib.util.find_spec('sovpolicy.__main__') else 1)"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if probe.returncode == 0:
        return [python, "-m", "sovpolicy"], f"{python} -m sovpolicy"
    return None, (f"no 'sovpolicy' console script beside {sys.executable} and "
                  f"'{python} -m sovpolicy' is not importable")


def find_checkov(override: str | None) -> tuple[str | None, str]:
    if override:
        p = shutil.which(override) or (override if os.access(override, os.X_OK) else None)
        if not p:
            return None, f"--checkov {override}: not an executable"
        return p, "from --checkov"
    p = shutil.which("checkov")
    if p:
        return p, "found on PATH"
    return None, "no checkov on PATH (give one with --checkov /path/to/venv/bin/checkov)"


def tool_version(cmd: list[str]) -> str | None:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    out = (r.stdout or r.stderr).strip().splitlines()
    return out[-1] if out else None


# ---------------------------------------------------------------------------
# running a child and measuring it
# ---------------------------------------------------------------------------

#: children run as on a user's machine: with bytecode caching (some CI shells turn it off)
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_measured(cmd: list[str], stdout_path: Path, stderr_path: Path, timeout: float) -> dict:
    """Run cmd; return {seconds, cpu_seconds, peak_mb, rc, timed_out} (cpu: user + system of the child)."""
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                start_new_session=True, env=CHILD_ENV)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            while True:
                try:
                    _, status, usage = os.wait4(proc.pid, 0)
                    break
                except InterruptedError:
                    continue
        finally:
            timer.cancel()
        elapsed = time.perf_counter() - t0
    rc = os.waitstatus_to_exitcode(status)
    proc.returncode = rc  # we reaped it ourselves; keep Popen quiet
    # ru_maxrss is in KiB on Linux (bytes on macOS); report MB = 10**6 bytes, like file sizes.
    maxrss = usage.ru_maxrss / 1e6 if sys.platform == "darwin" else usage.ru_maxrss * 1024 / 1e6
    return {"seconds": round(elapsed, 4), "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 4),
            "peak_mb": round(maxrss, 1), "rc": rc,
            "timed_out": timed_out.is_set()}


def sanity_note(name: str, out_path: Path, n: int) -> str | None:
    """Catch runs that 'succeed' without doing the work (checkov exits 0 on a missing file)."""
    try:
        with open(out_path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 4096))
            end = f.read().decode(errors="replace")
    except OSError:
        return "no output"
    if name == "bare":
        return None if end.strip() == str(n) else f"bare_decode printed {end.strip()[:40]!r}, expected {n}"
    if name == "checkov":
        m = re.search(r'"resource_count":\s*(\d+)', end)
        if not m:
            return "no summary.resource_count in checkov output"
        return None if int(m.group(1)) > 0 or n == 0 else "checkov saw 0 resources"
    return None


def tail(path: Path, n: int = 15) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-n:])


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------

def fmt(v, spec: str) -> str:
    return "n/a" if v is None else format(v, spec)


def summarise(runs: list[dict], ok_codes: set[int]) -> dict:
    good = [r for r in runs if not r["timed_out"] and r["rc"] in ok_codes]
    return {
        "runs": runs,
        "ok": len(good) == len(runs) and bool(runs),
        "median_s": round(statistics.median(r["seconds"] for r in good), 4) if good else None,
        "min_s": round(min(r["seconds"] for r in good), 4) if good else None,
        "median_cpu_s": round(statistics.median(r["cpu_seconds"] for r in good), 4) if good else None,
        "peak_mb": max(r["peak_mb"] for r in good) if good else None,
        "exit_codes": sorted({r["rc"] for r in runs}),
    }


def report_stats(path: Path) -> dict | None:
    """The JSON report's size, its number of findings and bytes per finding (what a lean
    report is measured by), and how many distinct chains and hosts it writes."""
    if not path.is_file():
        return None
    data = path.read_bytes()
    try:
        import msgspec

        doc = msgspec.json.decode(data, type=dict[str, msgspec.Raw])
        count = {k: len(msgspec.json.decode(doc[k], type=list[msgspec.Raw])) for k in ("findings", "chains", "hosts")
                 if k in doc}
    except ImportError:
        full = json.loads(data)
        count = {k: len(full[k]) for k in ("findings", "chains", "hosts") if k in full}
    n = count.get("findings", 0)
    return {"bytes": len(data), "findings": n, "bytes_per_finding": round(len(data) / n) if n else None,
            "chains": count.get("chains"), "hosts": count.get("hosts")}


def ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def paired(top: list[dict] | None, bottom: list[dict]) -> float | None:
    """The median over repetitions of top's CPU over bottom's in the same repetition."""
    pairs = [a["cpu_seconds"] / b["cpu_seconds"] for a, b in zip(top or [], bottom)
             if not a["timed_out"] and not b["timed_out"] and b["cpu_seconds"]]
    return round(statistics.median(pairs), 2) if pairs else None


def same_file(a: Path, b: Path) -> bool | None:
    """Whether two reports are byte for byte the same (None: one is missing)."""
    try:
        with open(a, "rb") as fa, open(b, "rb") as fb:
            while True:
                x, y = fa.read(1 << 20), fb.read(1 << 20)
                if x != y:
                    return False
                if not x:
                    return True
    except OSError:
        return None


def print_table(res: dict) -> None:
    n, mb = res["n"], res["file_mb"]
    print(f"\n== {n} resources, plan {mb:.1f} MB ==")
    print(f"{'command':<9} {'median s':>9} {'min s':>8} {'cpu s':>8} {'peak MB':>8} {'peak/file':>9} {'exit':>8}  runs")
    for name in ("bare", "before", "scan", "checkov"):
        c = res["commands"].get(name)
        if c is None and name == "before":
            continue
        if c is None:
            print(f"{name:<9} {'skipped':>9}  ({res['skipped'].get(name, '')})")
            continue
        codes = ",".join(str(x) for x in c["exit_codes"])
        if any(r["timed_out"] for r in c["runs"]):
            codes += ",timeout"
        print(f"{name:<9} {fmt(c['median_s'], '.3f'):>9} {fmt(c['min_s'], '.3f'):>8} {fmt(c['median_cpu_s'], '.3f'):>8} "
              f"{fmt(c['peak_mb'], '.0f'):>8} {fmt(ratio(c['peak_mb'], mb), '.2f'):>9} {codes:>8}  "
              f"{len(c['runs'])}")
    r = res["ratios"]
    def x(v):
        return "n/a" if v is None else f"{v:.2f}x"
    print(f"scan/bare time: {x(r['scan_over_bare_time'])} (cpu {x(r['scan_over_bare_cpu'])})   "
          f"scan peak/file: {x(r['scan_peak_over_file'])}   "
          f"checkov/scan time: {x(r['checkov_over_scan_time'])}   "
          f"checkov/bare time: {x(r['checkov_over_bare_time'])}")
    if "before" in res["commands"]:
        print(f"before/bare cpu: {x(r['before_over_bare_cpu'])} (paired {x(r['before_over_bare_cpu_paired'])})   "
              f"scan/bare cpu paired: {x(r['scan_over_bare_cpu_paired'])}   "
              f"scan/before cpu: {x(r['scan_over_before_cpu'])} (paired {x(r['scan_over_before_cpu_paired'])})   "
              f"reports identical: {res['reports_identical']}")
    rep = res.get("report")
    if rep:
        print(f"JSON report: {rep['bytes'] / 1e6:.1f} MB, {rep['findings']} findings, {rep['bytes_per_finding']} bytes "
              f"per finding, {rep['chains']} chains, {rep['hosts']} hosts written once each")
    sys.stdout.flush()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Benchmark sovpolicy scan against a msgspec baseline and Checkov.")
    p.add_argument("--sizes", default="1000,10000,50000", help="comma-separated resource counts")
    p.add_argument("--repeat", type=int, default=3, help="runs per command and size (interleaved)")
    p.add_argument("--keep", metavar="DIR", help="keep generated plans in DIR (default: a cache dir under the temp dir)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkov", metavar="PATH", help="checkov executable (default: checkov on PATH, if any)")
    p.add_argument("--no-checkov", action="store_true", help="do not run checkov even if found")
    p.add_argument("--sovpolicy", metavar="CMD", help="override the sovpolicy command (shell-quoted)")
    p.add_argument("--before", metavar="CMD", help="a second sovpolicy command run interleaved with the first "
                   "(shell-quoted; e.g. 'env PYTHONPATH=/tmp/old/src python -m sovpolicy')")
    p.add_argument("--python", default=sys.executable, help="interpreter for bare_decode.py (needs msgspec)")
    p.add_argument("--timeout", type=float, default=1800, help="seconds before a run is killed")
    p.add_argument("--json", metavar="OUT", help="write results as JSON to OUT")
    args = p.parse_args(argv)

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    cache = Path(args.keep) if args.keep else Path(tempfile.gettempdir()) / "sovpolicy-bench-plans"
    cache.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="sovpolicy-bench-"))

    scan_cmd, scan_why = find_sovpolicy(args.python, args.sovpolicy)
    if scan_cmd is None:
        log(f"!! sovpolicy not found: {scan_why}.\n!! Install the project (pip install -e .) in this "
            f"interpreter's venv or pass --sovpolicy CMD. Timing only the baseline and Checkov.")
    else:
        log(f"[cmd] sovpolicy: {' '.join(scan_cmd)} ({scan_why})")
    ckv, ckv_why = (None, "disabled by --no-checkov") if args.no_checkov else find_checkov(args.checkov)
    log(f"[cmd] checkov: {ckv} ({ckv_why})" if ckv else f"[cmd] checkov skipped: {ckv_why}")
    probe = subprocess.run([args.python, "-c", "import msgspec"], capture_output=True)
    if probe.returncode != 0:
        log(f"!! msgspec is not importable by {args.python}: the baseline will fail "
            f"(pip install 'msgspec>=0.18,<1' or pass --python)")

    meta = {
        "python": args.python,
        "python_version": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "repeat": args.repeat,
        "seed": args.seed,
        "generator": generator_hash(),
        "sovpolicy": scan_cmd and " ".join(scan_cmd),
        "before": args.before,
        "sovpolicy_note": scan_why,
        "checkov": ckv,
        "checkov_version": tool_version([ckv, "--version"]) if ckv else None,
        "msgspec_version": tool_version([args.python, "-c", "import msgspec; print(msgspec.__version__)"]),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    results: list[dict] = []
    crashed = False

    for n in sizes:
        plan = ensure_plan(cache, n, args.seed)
        size = plan.stat().st_size
        (work / "scan-out.json").unlink(missing_ok=True)  # a report of this size only
        cmds: dict[str, list[str]] = {"bare": [args.python, str(HERE / "bare_decode.py"), str(plan)]}
        skipped: dict[str, str] = {}
        (work / "before-out.json").unlink(missing_ok=True)
        if args.before:
            cmds["before"] = shlex.split(args.before) + ["scan", str(plan), "--format", "json", "--output",
                                                         str(work / "before-out.json")]
        if scan_cmd:
            cmds["scan"] = scan_cmd + ["scan", str(plan), "--format", "json", "--output", str(work / "scan-out.json")]
        else:
            skipped["scan"] = "sovpolicy not found"
        if ckv:
            cmds["checkov"] = [ckv, "-f", str(plan), "--framework", "terraform_plan", "--quiet", "--compact",
                               "-o", "json", "--skip-download"]
        else:
            skipped["checkov"] = ckv_why
        ok_codes = {"bare": {0}, "scan": SCAN_OK, "before": SCAN_OK, "checkov": CHECKOV_OK}
        runs: dict[str, list[dict]] = {k: [] for k in cmds}
        given_up: set[str] = set()
        for rep in range(args.repeat):
            for name, cmd in cmds.items():
                if name in given_up:
                    continue
                r = run_measured(cmd, work / f"{name}.out", work / f"{name}.err", args.timeout)
                runs[name].append(r)
                status = "TIMEOUT" if r["timed_out"] else f"rc={r['rc']}"
                log(f"[run] n={n} {name:<8} #{rep + 1}: {r['seconds']:.3f} s, {r['peak_mb']:.0f} MB, {status}")
                bad = r["timed_out"] or r["rc"] not in ok_codes[name]
                note = None if bad else sanity_note(name, work / f"{name}.out", n)
                if note:
                    r["note"] = note
                    log(f"!! {name}: {note}")
                if bad:
                    log(f"!! {name} failed on {plan.name}: {' '.join(cmd)}\n{tail(work / f'{name}.err')}")
                    given_up.add(name)  # no point repeating a crash or a timeout
                    if name in ("scan", "before"):
                        crashed = True
        commands = {k: summarise(v, ok_codes[k]) for k, v in runs.items()}
        report = report_stats(work / "scan-out.json") if "scan" in cmds else None
        med = {k: commands[k]["median_s"] if k in commands else None for k in ("bare", "scan", "checkov")}
        res = {
            "n": n,
            "plan": str(plan),
            "file_bytes": size,
            "file_mb": round(size / 1e6, 2),
            "commands": commands,
            "skipped": skipped,
            "report": report,
            "ratios": {
                "scan_over_bare_time": ratio(med["scan"], med["bare"]),
                "scan_over_bare_cpu": ratio(commands.get("scan", {}).get("median_cpu_s"), commands["bare"]["median_cpu_s"]),
                "scan_peak_over_file": ratio(commands.get("scan", {}).get("peak_mb"), size / 1e6),
                "bare_peak_over_file": ratio(commands["bare"]["peak_mb"], size / 1e6),
                "checkov_over_scan_time": ratio(med["checkov"], med["scan"]),
                "checkov_over_bare_time": ratio(med["checkov"], med["bare"]),
                "scan_over_bare_cpu_paired": paired(runs.get("scan"), runs["bare"]),
            },
        }
        if "before" in commands:
            res["ratios"].update({
                "before_over_bare_cpu": ratio(commands["before"]["median_cpu_s"], commands["bare"]["median_cpu_s"]),
                "before_over_bare_cpu_paired": paired(runs["before"], runs["bare"]),
                "scan_over_before_cpu": ratio(commands.get("scan", {}).get("median_cpu_s"), commands["before"]["median_cpu_s"]),
                "scan_over_before_cpu_paired": paired(runs.get("scan"), runs["before"]),
            })
            res["reports_identical"] = same_file(work / "scan-out.json", work / "before-out.json")
        results.append(res)
        print_table(res)

    if args.json:
        Path(args.json).write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n")
        log(f"[out] wrote {args.json}")
    shutil.rmtree(work, ignore_errors=True)
    if crashed:
        log("!! sovpolicy crashed or timed out on at least one plan (see above)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
