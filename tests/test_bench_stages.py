"""bench/bench_stages.py measures each stage of a real scan, in a process of its own;
bench/model_floor.py what the data model alone costs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _generated_plan(tmp_path: Path, n: int) -> Path:
    """A plan of ``n`` resources from the benchmark's generator."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import gen_plan
    finally:
        sys.path.pop(0)
    plan = tmp_path / "plan.json"
    gen_plan.generate(n, str(plan), 0)
    return plan


def test_the_stages_of_a_scan_add_up_to_its_cpu(tmp_path):
    plan = _generated_plan(tmp_path, 200)
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


def test_the_model_floor_makes_one_object_per_resource_and_per_finding(tmp_path):
    plan = _generated_plan(tmp_path, 200)
    lines = tmp_path / "lines.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "model_floor.py"), str(plan), "--findings-per-resource",
                           "1.5", "--out", str(lines)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("200 resources, 300 findings, ") and "s CPU" in proc.stdout
    written = lines.read_bytes()
    # the report's own structs, one compact object after another: 200 resources, then 300 findings
    decoded = list(_objects_back_to_back(written))
    assert len(decoded) == 500 and decoded[0]["type"] and decoded[-1]["policy_id"] == "SOV-EXT-001"


def _objects_back_to_back(data: bytes):
    """The JSON objects written back to back."""
    decoder = json.JSONDecoder()
    text, i = data.decode(), 0
    while i < len(text):
        obj, i = decoder.raw_decode(text, i)
        yield obj
