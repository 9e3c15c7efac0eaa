"""Whole-process timing of `sovpolicy scan --azure` against the fake tenant of the tests.

Starts tests/azure_fake.py's HTTPS endpoint on 127.0.0.1 (no throttling), puts an `az` of
ours on PATH for DefaultAzureCredential (AZURE_TOKEN_CREDENTIALS=AzureCliCredential), and runs
the scan as a separate process, per inventory path, --repeat times; prints the median and
min wall time and the requests each path made.

    python bench/bench_azure.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from azure_fake import FakeAzure  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        fake = FakeAzure(d, throttle=0)
        (d / "bin").mkdir()
        az = d / "bin" / "az"
        az.write_text(f"#!{sys.executable}\nimport json, time\n"
                      "print(json.dumps({'accessToken': 'x', 'expires_on': int(time.time()) + 3600}))\n")
        az.chmod(0o755)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AZURE_")}
        env.update(PATH=f"{d / 'bin'}{os.pathsep}{env['PATH']}", AZURE_TOKEN_CREDENTIALS="AzureCliCredential",
                   REQUESTS_CA_BUNDLE=str(fake.cert))
        print("| path | requests | median s | min s |\n|---|---|---|---|")
        for inventory in ("arm", "graph"):
            times = []
            for _ in range(args.repeat):
                fake.requests.clear()
                start = time.perf_counter()
                proc = subprocess.run([sys.executable, "-m", "sovpolicy", "scan", "--azure", "--arm-endpoint", fake.url,
                                       "--azure-inventory", inventory, "--format", "json", "--output", str(d / "out.json")],
                                      env=env, capture_output=True, check=False)
                times.append(time.perf_counter() - start)
                assert proc.returncode == 1, proc.stderr
            print(f"| {inventory} | {len(fake.requests)} | {statistics.median(times):.2f} | {min(times):.2f} |")
        fake.close()


if __name__ == "__main__":
    main()
