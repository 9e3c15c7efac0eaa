"""``scan(...) -> ScanResult``: sources -> catalog -> classify -> policies. The CLI only wires it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .catalog import Catalog, resolve_host
from .classify import Classifier
from .config import Config
from .errors import UsageError
from .model import Finding, Host, Problem, Resource, ScanResult
from .policy import Policy, applies, evaluate
from .sources.tfplan import read_plan


def read_inputs(paths: Sequence[Path], catalog: Catalog) -> tuple[list[Resource], list[Problem]]:
    """Read every input into resources. Today: Terraform plan JSON files.

    Raises:
        UsageError: a path that does not exist or is not a plan file.
        InputError: a malformed plan.
    """
    resources: list[Resource] = []
    problems: list[Problem] = []
    for path in paths:
        if not path.exists():
            raise UsageError("no such file or directory", str(path))
        if path.is_dir() or path.suffix.lower() != ".json":
            raise UsageError("expected a Terraform plan in JSON (`terraform show -json PLANFILE > plan.json`)", str(path))
        scan = read_plan(path, catalog)
        resources.extend(scan.resources)
        if scan.info.errored:
            problems.append(Problem("plan-errored", "Terraform reported errors while planning: the plan may be partial", str(path)))
    return resources, problems


def evaluate_all(resources: Sequence[Resource], policies: Sequence[Policy], catalog: Catalog,
                 as_of: dt.date) -> tuple[list[Finding], dict[str, Host | None]]:
    """Resolve each resource's host once and evaluate every applicable policy."""
    findings: list[Finding] = []
    hosts: dict[str, Host | None] = {}
    cache: dict[tuple[str | None, str | None, str], Host | None] = {}
    for res in resources:
        key = (res.placement.cloud, res.placement.region, res.type)
        if key not in cache:
            cache[key] = resolve_host(catalog, res.placement, res.type)
        host = cache[key]
        hosts[res.address] = host
        for pol in policies:
            if applies(pol, res):
                findings.append(evaluate(pol, res, host, catalog, as_of))
    path_of = {r.address: (r.location.path if r.location else "") for r in resources}
    findings.sort(key=lambda f: (f.policy_id, path_of.get(f.address, ""), f.address))
    return findings, hosts


def scan(paths: Sequence[Path], config: Config, catalog: Catalog, policies: Sequence[Policy],
         as_of: dt.date) -> ScanResult:
    """Run the whole pipeline on ``paths``.

    Args:
        paths: input files (plan JSON).
        config: project configuration (classification rules).
        catalog: loaded catalog.
        policies: loaded policies to evaluate.
        as_of: the date certifications must be valid on.
    """
    resources, problems = read_inputs(paths, catalog)
    resources = Classifier(config).classify_all(resources)
    findings, hosts = evaluate_all(resources, policies, catalog, as_of)
    return ScanResult(
        resources=tuple(resources), hosts=hosts, findings=tuple(findings), problems=tuple(problems),
        inputs=tuple(str(p) for p in paths), tool_version=__version__, catalog_version=catalog.version,
        catalog_as_of=catalog.as_of, as_of=as_of)
