#!/usr/bin/env python3
"""What the scan's data model alone costs on a plan: the floor under any scan that makes
one Python object per resource and per finding.

Usage::

    python bench/model_floor.py PLAN.json [--findings-per-resource 1.8] [--out OUT.json]

It does only this, then prints its CPU time (user + system of the whole process, start-up
included, as ``bench_plan.py`` measures a scan):

* the bare typed decode of ``bare_decode.py``;
* one :class:`sovpolicy.model.Resource` per resource change (its address, type, tags; one
  placement shared by all);
* ``--findings-per-resource`` findings per resource (the 50,000-resource plan's scan makes
  1.8), each a copy of one template finding with the resource's address and message, as
  ``pipeline.evaluate_all`` makes findings alike;
* the JSON report's line for each resource and each finding, encoded by msgspec from the
  report's own structs and written a megabyte at a time.

No placement, classification, flow, policy, alternative or shared chain is computed: the
scan's figure less this one is what that logic costs.
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("plan")
    ap.add_argument("--findings-per-resource", type=float, default=1.8)
    ap.add_argument("--out", type=Path, default=None, help="where to write the lines (default: a temporary file)")
    args = ap.parse_args(argv)
    gc.disable()  # as the scan does
    sys.path.insert(0, str(HERE))
    import bare_decode
    import msgspec

    from sovpolicy.model import Enforcement, Finding, Location, Origin, Placement, Reason, Resource, Severity, SourceKind, Status
    from sovpolicy.model.evolve import evolve
    from sovpolicy.report.json import _FindingLine, _ResourceLine

    with open(args.plan, "rb") as fh:
        plan = bare_decode.DECODER.decode(fh.read())
    where = Location(args.plan)
    placed = Placement("aws", "eu-west-3", Origin.PROVIDER, ("configuration.provider_config['aws'].expressions.region",),
                       None, "hashicorp/aws")
    resources = []
    for rc in plan.resource_changes:
        after = rc.change.after
        tags = dict(after.tags) if after is not None and isinstance(after.tags, dict) else {}
        resources.append(Resource(address=rc.address, type=rc.type, source=SourceKind.PLAN, placement=placed, tags=tags,
                                  attributes={}, location=where, action="create", input=args.plan, module=""))
    template = Finding("SOV-EXT-001", "extraterritorial",
                       "Health data is not hosted by an operator that a non-EU law can compel to disclose it",
                       Status.FAIL, Severity.HIGH, Enforcement.SOFT_MANDATORY, "x",
                       "x (health) in aws eu-west-3 (Paris, FR): SOV-EXT-001 failed", (Reason("placed"),), True,
                       resources[0], None, "Host the data with a qualified operator. " * 8)
    whole, part = divmod(args.findings_per_resource, 1)
    findings = [evolve(template, address=r.address, resource=r, message=r.address + template.message[1:])
                for n, r in enumerate(resources) for _ in range(int(whole) + (n < part * len(resources)))]
    into = msgspec.json.Encoder().encode_into
    placement = {"cloud": "aws", "region": "eu-west-3"}
    out = args.out or Path(tempfile.mkstemp(suffix=".json")[1])
    buf = bytearray()
    with open(out, "wb") as fh:
        for r in resources:
            into(_ResourceLine(r.input, r.address, r.type, r.source, r.action, None, placement, 0, [], [], (), [], [], 0),
                 buf, -1)
            if len(buf) >= 1 << 20:
                fh.write(buf)
                buf = bytearray()
        for f in findings:
            into(_FindingLine(f.policy_id, f.pack, f.title, f.status, f.blocking, f.severity, f.enforcement,
                              f.resource.input, f.address, f.message, 0, f.remediation, None, None), buf, -1)
            if len(buf) >= 1 << 20:
                fh.write(buf)
                buf = bytearray()
        fh.write(buf)
    size = out.stat().st_size
    if args.out is None:
        out.unlink()
    t = os.times()
    print(f"{len(resources)} resources, {len(findings)} findings, {size / 1e6:.1f} MB of lines: "
          f"{t.user + t.system:.3f} s CPU ({t.user:.3f} user, {t.system:.3f} system)")
    sys.stdout.flush()
    os._exit(0)  # as the CLI ends: nothing freed one by one


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
