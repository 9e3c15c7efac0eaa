#!/usr/bin/env python3
"""Start-up of the CLI: ``sovpolicy --version`` and the pre-commit scan of a small module.

Usage::

    python bench/bench_startup.py [--size 10] [--repeat 10] [--json OUT]

Interleaved, ``--repeat`` times, each as a whole process (bytecode caching on):

  python    python -c pass                               (the interpreter's own start-up)
  version   sovpolicy --version
  hook      sovpolicy scan DIR --format json --output OUT --cache-dir <filled>   (a module of --size resources)

Reports the median wall and CPU (user + system) seconds, then, from one
``python -X importtime`` run of each command, how many modules it imports, the slowest
ones, and whether any module that command does not need was loaded (for the warm hook:
the cloud SDKs, the plan reader, the live sources, and, since the scan cache answers it, the
Terraform reader and its parser, the pipeline, YAML and JSON Schema).
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_hcl import gen_module  # noqa: E402
from bench_plan import CHILD_ENV, find_sovpolicy, log, run_measured  # noqa: E402

#: modules (and their submodules) a warm scan of unchanged Terraform source has no use for: the
#: plan reader, the live sources and their SDKs, and (answered by the scan cache) the source
#: reader and its parser, the pipeline, YAML and JSON Schema
NOT_FOR_THE_HOOK = ("boto3", "botocore", "azure", "sovpolicy.sources.tfplan", "sovpolicy.sources.planformat",
                    "sovpolicy.sources.aws", "sovpolicy.sources.aws_collect", "sovpolicy.sources.aws_session",
                    "sovpolicy.sources.aws_api", "sovpolicy.sources.azure", "sovpolicy.sources.azure_arm",
                    "concurrent.futures", "sovpolicy.sources.hcl", "sovpolicy.sources.hcleval", "hcl2", "lark",
                    "sovpolicy.pipeline", "yaml", "jsonschema")


def unneeded(module: str) -> bool:
    return any(module == m or module.startswith(m + ".") for m in NOT_FOR_THE_HOOK)


def imports(cmd: list[str]) -> list[tuple[str, int, int]]:
    """(module, self us, cumulative us) for every module ``cmd`` imports (``-X importtime``)."""
    r = subprocess.run([sys.executable, "-X", "importtime", *cmd], capture_output=True, text=True, env=CHILD_ENV)
    out = []
    for line in r.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cum, name = line[len("import time:"):].split("|", 2)
        out.append((name.strip(), int(own), int(cum)))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=10, help="resources in the generated module")
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--json", type=Path, help="write every run here")
    args = ap.parse_args(argv)
    sovpolicy, how = find_sovpolicy(sys.executable, None)
    if sovpolicy is None:
        log(f"!! {how}")
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="sovpolicy-bench-startup-"))
    module = gen_module(tmp / "module", args.size)
    cache = tmp / "cache"
    hook = [*sovpolicy, "scan", str(module), "--as-of", "2026-11-30", "--format", "json", "--output",
            str(tmp / "out.json"), "--cache-dir", str(cache)]
    cmds = {"python": [sys.executable, "-c", "pass"], "version": [*sovpolicy, "--version"], "hook": hook}
    run_measured(hook, tmp / "o", tmp / "e", 600)  # fills the cache: the hook's runs are warm
    runs: dict[str, list[dict]] = {k: [] for k in cmds}
    for _ in range(args.repeat):
        for name, cmd in cmds.items():
            runs[name].append(run_measured(cmd, tmp / "o", tmp / "e", 600))
    print(f"{'command':<9}{'median s':>10}{'cpu s':>8}{'modules':>9}  slowest imports (cumulative ms)")
    report = {}
    for name, cmd in cmds.items():
        wall = statistics.median(r["seconds"] for r in runs[name])
        cpu = statistics.median(r["cpu_seconds"] for r in runs[name])
        mods: list[tuple[str, int, int]] = []
        if name != "python":
            target = ["-m", "sovpolicy", *cmd[len(sovpolicy):]]
            mods = imports(target)
        top = sorted((m for m in mods if m[0].startswith("sovpolicy") or "." not in m[0]), key=lambda m: -m[2])[:4]
        extra = sorted({m[0] for m in mods if unneeded(m[0])}) if name == "hook" else []
        ours = sorted(m[0] for m in mods if m[0].startswith("sovpolicy"))
        print(f"{name:<9}{wall:>10.3f}{cpu:>8.3f}{len(mods):>9}  " + ", ".join(f"{n} {c / 1000:.0f}" for n, _, c in top))
        if name == "version":
            print(f"         sovpolicy modules imported: {', '.join(ours)}")
        if name == "hook":
            print(f"         sovpolicy modules imported: {len(ours)}; not needed by a Terraform-source scan: "
                  f"{', '.join(extra) or 'none'}")
        report[name] = {"median_s": wall, "median_cpu_s": cpu, "modules": len(mods), "sovpolicy_modules": ours,
                        "unneeded": extra, "runs": runs[name]}
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
