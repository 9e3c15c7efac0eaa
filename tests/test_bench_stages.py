"""bench/bench_stages.py measures each stage of a real scan, in a process of its own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_stages_of_a_scan_add_up_to_its_cpu(tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import gen_plan
    finally:
        sys.path.pop(0)
    plan = tmp_path / "plan.json"
    gen_plan.generate(200, str(plan), 0)
    out = tmp_path / "stages.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_stages.py"), str(plan), "--repeat", "2",
                           "--before", str(ROOT / "src"), "--json", str(out)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    for side in ("scan", "before"):
        assert len(result["runs"][side]) == 2
        for run in result["runs"][side]:
            # every wrapped function was called: a renamed one would leave its stage at zero
            assert all(run[stage] > 0 for stage in ("start-up", "inputs", "setup", "read", "classify", "evaluate",
                                                     "waivers", "alternatives", "report")), run
            assert abs(sum(v for k, v in run.items() if k != "total") - run["total"]) < 1e-6
    assert set(result["paired"]) >= {"read", "report", "total"}
    assert "read" in proc.stdout and "paired" in proc.stdout
