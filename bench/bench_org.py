"""Live scans at organisation scale: API calls, wall and CPU time of the real scanner against a
generated organisation of up to 1,000 accounts x 17 regions (and 1,000 Azure subscriptions),
served by bench/org_responder.py on 127.0.0.1 (no other network).

Each measurement runs the scanner in a child process of its own: the real sources
(boto3/botocore over HTTP, the Azure SDK over HTTPS; nothing patched) through the whole
pipeline (classification, policies, findings). The responder counts the requests; the child
reports the scanner's own count, the wall and CPU time of the source read and of the rest.

Paths: api (Organizations list, sts:AssumeRole per member account, every account's APIs in
every region), config (an AWS Config aggregator), explorer (a Resource Explorer aggregator
index), graph (Azure Resource Graph over every subscription). For each path a table per size,
then a least-squares fit of calls and CPU seconds against accounts (and account-regions for
the api path), with R^2 and the per-unit cost at each size.

    python bench/bench_org.py                      # the default sizes (about an hour on 2 busy cores)
    python bench/bench_org.py --paths api --sizes 1000x1 --json out.json   # 1,000 accounts: about 16 min of CPU per region
    python bench/bench_org.py --paths api,graph --sizes 3x4 --concurrency 1,8 --latency-ms 50
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
REGIONS = ("us-east-1", "eu-west-3", "eu-west-1", "eu-central-1", "eu-west-2", "eu-north-1", "us-east-2", "us-west-1",
           "us-west-2", "ca-central-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
           "ap-southeast-1", "ap-southeast-2", "sa-east-1")
DEFAULT_SIZES = {
    "api": "1x1,1x4,1x17,10x1,10x4,10x17,100x1,100x4",
    "config": "10x17,100x1,100x4,100x17,1000x17",
    "explorer": "10x17,100x17,1000x17",
    "graph": "10,100,1000",
}
"""What README's tables show (the api path's per-account-region CPU makes 1,000 x 17 about 3 hours here)."""


# --------------------------------------------------------------------------- the child: one scan

def child(path: str, accounts: int, regions: int, concurrency: int) -> None:
    """Run one scan in this process and print what it measured (JSON)."""
    import datetime as dt

    from sovpolicy.catalog import load_catalog
    from sovpolicy.cli import build_parser
    from sovpolicy.config import load_config
    from sovpolicy.pipeline import scan
    from sovpolicy.policy import load_packs
    from sovpolicy.sources.registry import live_sources

    start_wall, start_cpu = time.perf_counter(), time.process_time()
    if path == "graph":
        argv = ["scan", "--azure", "--arm-endpoint", os.environ["BENCH_AZURE_URL"], "--azure-inventory", "graph",
                "--azure-concurrency", str(concurrency)]
    else:
        argv = ["scan", "--organization", "--org-role", "SovpolicyReadOnly", "--aws-concurrency", str(concurrency),
                "--aws-inventory", {"api": "api", "config": "config", "explorer": "resource-explorer"}[path]]
        if regions < len(REGIONS):
            argv += ["--regions", ",".join(REGIONS[:regions])]
    src = live_sources(build_parser().parse_args(argv))[0]
    if path == "graph":
        from azure.core.credentials import AccessToken

        class Token:  # our own credential object, as a caller may hand one to the source
            def get_token(self, *scopes: str, **kw: Any) -> AccessToken:
                return AccessToken("bench-token", int(time.time()) + 3600)

        src.credential = Token()  # type: ignore[attr-defined]
    catalog, policies, config = load_catalog(), load_packs(None), load_config(None)
    setup_wall, setup_cpu = time.perf_counter(), time.process_time()
    timing: dict[str, float] = {}

    class Timed:
        """The source, with the wall and CPU time of its read recorded."""

        def __getattr__(self, name: str) -> Any:
            return getattr(src, name)

        def read(self, ctx: Any) -> Any:
            w, c = time.perf_counter(), time.process_time()
            out = src.read(ctx)
            timing["read_wall"], timing["read_cpu"] = time.perf_counter() - w, time.process_time() - c
            return out

    result = scan([Timed()], config, catalog, policies, dt.date(2026, 12, 2))  # type: ignore[list-item]
    end_wall, end_cpu = time.perf_counter(), time.process_time()
    counted = None
    if path != "graph":
        counted = src.sessions.log.total  # type: ignore[attr-defined]
    print(json.dumps({
        "resources": len(result.resources), "findings": len(result.findings), "problems": len(result.problems),
        "problem_lines": [p.message[:160] for p in result.problems][:3], "scanner_calls": counted,
        "setup_wall": setup_wall - start_wall, "setup_cpu": setup_cpu - start_cpu,
        "read_wall": timing["read_wall"], "read_cpu": timing["read_cpu"],
        "rest_wall": end_wall - setup_wall - timing["read_wall"], "rest_cpu": end_cpu - setup_cpu - timing["read_cpu"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "notes": [n[:200] for n in result.notes if "inventory" in n or "API calls" in n][:3]}))


# --------------------------------------------------------------------------- the parent

class Responder:
    def __init__(self, tmp: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "org_responder.py"), "--cert-dir", str(tmp)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.urls = json.loads(self.proc.stdout.readline())

    def control(self, what: str, doc: dict[str, Any] | None = None) -> dict[str, Any]:
        req = urllib.request.Request(f"{self.urls['aws']}/__bench/{what}", method="GET" if doc is None else "POST",
                                     data=None if doc is None else json.dumps(doc).encode())
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())  # type: ignore[no-any-return]

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def measure(resp: Responder, path: str, accounts: int, regions: int, concurrency: int, tmp: Path,
            latency_ms: float = 0) -> dict[str, Any]:
    resp.control("world", {"accounts": accounts, "subscriptions": accounts, "latency_ms": latency_ms})
    resp.control("reset", {})
    empty = tmp / "empty"
    empty.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AZURE_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(AWS_ENDPOINT_URL=resp.urls["aws"], AWS_ACCESS_KEY_ID="AKIABENCH", AWS_SECRET_ACCESS_KEY="bench",
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=str(empty), AWS_SHARED_CREDENTIALS_FILE=str(empty),
               AWS_EC2_METADATA_DISABLED="true", BENCH_AZURE_URL=resp.urls["azure"], REQUESTS_CA_BUNDLE=resp.urls["cert"],
               SSL_CERT_FILE=resp.urls["cert"])
    wall = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--child", path, str(accounts), str(regions), str(concurrency)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    wall = time.perf_counter() - wall
    if proc.returncode != 0:
        raise SystemExit(f"!! {path} {accounts}x{regions}: exit {proc.returncode}\n{err[-3000:]}")
    doc = json.loads(out.strip().splitlines()[-1])
    counts = resp.control("counts")
    doc.update(path=path, accounts=accounts, regions=regions, wall=wall, calls=sum(counts.values()),
               concurrency=concurrency, latency_ms=latency_ms,
               by_call={k: v for k, v in sorted(counts.items())})
    return doc


def fit(xs: list[list[float]], ys: list[float]) -> tuple[list[float], float]:
    """Least squares y = b0 + b1*x1 (+ b2*x2), by the normal equations: coefficients and R^2."""
    rows = [[1.0, *x] for x in xs]
    k = len(rows[0])
    m = [[sum(r[i] * r[j] for r in rows) for j in range(k)] + [sum(r[i] * y for r, y in zip(rows, ys))] for i in range(k)]
    for c in range(k):  # Gauss-Jordan with partial pivoting
        p = max(range(c, k), key=lambda i: abs(m[i][c]))
        m[c], m[p] = m[p], m[c]
        for i in range(k):
            if i != c and m[c][c]:
                f = m[i][c] / m[c][c]
                m[i] = [a - f * b for a, b in zip(m[i], m[c])]
    coef = [m[i][k] / m[i][i] if m[i][i] else 0.0 for i in range(k)]
    pred = [sum(c * v for c, v in zip(coef, r)) for r in rows]
    mean = sum(ys) / len(ys)
    ss_tot = sum((y - mean) ** 2 for y in ys) or 1.0
    return coef, 1.0 - sum((y - q) ** 2 for y, q in zip(ys, pred)) / ss_tot


def report(rows: list[dict[str, Any]]) -> None:
    by_path: dict[tuple[str, int, float], list[dict[str, Any]]] = {}
    for r in rows:
        by_path.setdefault((r["path"], r.get("concurrency", 8), r.get("latency_ms", 0)), []).append(r)
    for (path, conc, latency), rs in by_path.items():
        unit = "subscriptions" if path == "graph" else "accounts x regions"
        print(f"\n### {path}, concurrency {conc}, latency {latency:g} ms\n")
        print(f"| {unit} | API calls | resources | findings | problems | read wall s | read CPU s | rest CPU s | "
              f"whole wall s | peak MB | read CPU per account ms | calls per account |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in rs:
            size = f"{r['accounts']:,}" if path == "graph" else f"{r['accounts']:,} x {r['regions']}"
            print(f"| {size} | {r['calls']:,} | {r['resources']:,} | {r['findings']:,} | {r['problems']} | "
                  f"{r['read_wall']:.2f} | {r['read_cpu']:.2f} | {r['rest_cpu']:.2f} | {r['wall']:.2f} | "
                  f"{r.get('peak_rss_mb', 0):.0f} | {1000 * r['read_cpu'] / r['accounts']:.1f} | {r['calls'] / r['accounts']:.1f} |")
        if len(rs) < 3:
            continue
        if path == "api":
            xs = [[r["accounts"], r["accounts"] * r["regions"]] for r in rs]
            labels = ("per account", "per account-region")
        else:
            xs = [[r["accounts"] * (r["regions"] if path != "graph" else 1)] for r in rs]
            labels = ("per account-region",) if path != "graph" else ("per subscription",)
        for what in ("calls", "read_cpu", "read_wall", "resources"):
            coef, r2 = fit(xs, [r[what] for r in rs])
            terms = ", ".join(f"{lab} {c * (1000 if what.endswith(('cpu', 'wall')) else 1):.3f}"
                              f"{' ms' if what.endswith(('cpu', 'wall')) else ''}" for lab, c in zip(labels, coef[1:]))
            print(f"- fit {what}: fixed {coef[0]:.3f}, {terms}; R^2 = {r2:.5f}")
        for r in rs:
            r["by_call_top"] = sorted(r["by_call"].items(), key=lambda kv: -kv[1])[:4]


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", default="api,config,explorer,graph")
    ap.add_argument("--sizes", help="ACCOUNTSxREGIONS,... (graph: SUBSCRIPTIONS,...); default per path")
    ap.add_argument("--concurrency", default="8",
                    help="--aws-concurrency (api) and --azure-concurrency (graph): one value, or several (1,8) to compare")
    ap.add_argument("--latency-ms", type=float, default=0,
                    help="make every answer wait this long, as a network round trip would (default 0)")
    ap.add_argument("--json", type=Path, help="write every measurement here")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        resp = Responder(tmp)
        try:
            for path in args.paths.split(","):
                sizes = [tuple(int(x) for x in (z + "x17").split("x")[:2]) for z in (args.sizes or DEFAULT_SIZES[path]).split(",")]
                for (a, r), conc in [(z, int(c)) for z in sizes for c in args.concurrency.split(",")]:
                    row = measure(resp, path, a, r, conc, tmp, args.latency_ms)
                    rows.append(row)
                    print(f"{path} {a}x{r} concurrency {conc}: {row['calls']:,} calls (scanner {row['scanner_calls']}), "
                          f"{row['resources']:,} resources, read {row['read_wall']:.2f} s wall {row['read_cpu']:.2f} s CPU, "
                          f"whole {row['wall']:.2f} s, peak {row['peak_rss_mb']:.0f} MB; problems {row['problems']} "
                          f"{row['problem_lines'][:1]}", file=sys.stderr, flush=True)
                    if args.json:
                        args.json.write_text(json.dumps(rows, indent=1))
        finally:
            resp.stop()
    report(rows)


if __name__ == "__main__":
    main()
