"""``scan(...) -> ScanResult``: sources -> catalog -> classify -> policies. The CLI only wires it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .catalog import Catalog, resolve_host
from .classify import Classifier
from .config import Config
from .errors import ConfigError, UsageError
from .model import Finding, Flow, Host, Placement, Problem, Resource, ScanResult
from .policy import Policy, applies, evaluate
from .sources.tfplan import read_plan
from .waivers import Waiver, apply_waivers, inline_waivers


def source_dirs(plan: Path, module_sources: dict[str, str]) -> dict[str, Path]:
    """Module path -> directory of its ``.tf`` files, for a plan made next to its root module.

    Only local module sources (``./`` or ``../``) can be followed; the root module is the
    plan file's directory.
    """
    dirs = {"": plan.resolve().parent}
    for path in sorted(module_sources, key=lambda p: p.count(".")):
        parent = path.rpartition(".module.")[0] if ".module." in path else ""
        src = module_sources[path]
        if parent in dirs and src.startswith(("./", "../")):
            dirs[path] = (dirs[parent] / src).resolve()
    return dirs


def collect_inline_waivers(dirs: dict[str, Path]) -> list[Waiver]:
    """Inline ``# sovpolicy:waive`` comments of every ``.tf`` file of those module directories."""
    found: list[Waiver] = []
    for module_path, d in sorted(dirs.items()):
        if d.is_dir():
            for tf in sorted(d.glob("*.tf")):
                found.extend(inline_waivers(tf, module_path))
    return found


def check_adequacy(config: Config, catalog: Catalog) -> frozenset[str]:
    """The countries ``residency.adequacy`` accepts, each checked against the catalog.

    Raises:
        ConfigError: a country without an EU adequacy decision in the catalog, or with a
            partial one (the US decision covers only certified organisations).
    """
    for i, c in enumerate(config.adequacy):
        where = config.adequacy_where.get(c) or (str(config.path) if config.path else None)
        dec = catalog.adequacy.get(c)
        if dec is None:
            raise ConfigError(f"$.residency.adequacy[{i}]: {c} has no EU adequacy decision in the catalog", where)
        if dec.scope != "full":
            raise ConfigError(f"$.residency.adequacy[{i}]: {c} cannot be accepted by country: {dec.decision} covers only "
                              f"some recipients ({dec.note or 'partial decision'})", where)
    return frozenset(config.adequacy)


def input_kind(path: Path) -> str:
    """``plan`` (plan JSON), ``hcl`` (.tf/.tf.json/.tfvars/.tfvars.json file or a directory) or ``other``."""
    if path.is_dir():
        return "hcl"
    name = path.name.lower()
    if name.endswith((".tf", ".tf.json", ".tfvars", ".tfvars.json")):
        return "hcl"
    return "plan" if name.endswith(".json") else "other"


def read_inputs(paths: Sequence[Path], catalog: Catalog, *, var_files: Sequence[Path] = (),
                cache_dir: Path | None = None) -> tuple[list[Resource], list[Problem], dict[str, Path]]:
    """Read every input into resources: plan JSON files, and Terraform source.

    Terraform files are mapped to the root modules to scan (a module directory given as
    such, else the file's directory or the module above that calls it), each scanned
    once; see :func:`~sovpolicy.sources.hcl.module_roots`.

    Args:
        paths: plan JSON files, ``.tf``/``.tf.json``/``.tfvars`` files, module directories.
        catalog: the loaded catalog.
        var_files: ``-var-file`` files for the root modules, in order.
        cache_dir: the parse cache directory, or None for no cache.

    Returns the resources, the problems, and the module directories where inline
    waivers are looked for (see :func:`source_dirs`).

    Raises:
        UsageError: a path that does not exist or is of no known kind.
        InputError: a malformed plan.
    """
    resources: list[Resource] = []
    problems: list[Problem] = []
    dirs: dict[str, Path] = {}
    sources: list[Path] = []
    for path in paths:
        if not path.exists():
            raise UsageError("no such file or directory", str(path))
        kind = input_kind(path)
        if kind == "other":
            raise UsageError("expected a Terraform plan in JSON (`terraform show -json PLANFILE > plan.json`), "
                             ".tf/.tf.json/.tfvars files or a module directory", str(path))
        if kind == "hcl":
            sources.append(path)
            continue
        scan = read_plan(path, catalog)
        resources.extend(scan.resources)
        dirs.update({k: v for k, v in source_dirs(path, scan.info.module_sources).items() if k not in dirs})
        if scan.info.errored:
            problems.append(Problem("plan-errored", "Terraform reported errors while planning: the plan may be partial", str(path)))
    for path in var_files:
        if not path.is_file():
            raise UsageError("variable file not found", str(path))
    if sources:
        from .sources.hcl import module_roots, read_module
        from .sources.parsecache import ParseCache

        cache = ParseCache(cache_dir)
        for root in module_roots(sources):
            hcl = read_module(root, catalog, var_files, cache)
            resources.extend(hcl.resources)
            problems.extend(hcl.problems)
            dirs.update({k: v for k, v in hcl.module_dirs.items() if k not in dirs})
    return resources, problems, dirs


def flow_targets(resource: Resource) -> list[tuple[int, Flow]]:
    """The flows a policy is evaluated for: one per destination, in order.

    Resolved destinations count once per (cloud, region); each unresolved one counts on
    its own (two unknown places may differ), except when the resource's own region is
    unresolved too: its own finding is then already unknown (and blocks) for every policy.
    """
    seen: set[tuple[str | None, str | None, str]] = set()
    out = []
    own_unknown = not resource.placement.resolved
    for i, f in enumerate(resource.flows):
        if own_unknown and not f.to.resolved:
            continue
        key = (f.to.cloud, f.to.region, "") if f.to.resolved else (f.to.cloud, None, f.via)
        if key not in seen:
            seen.add(key)
            out.append((i, f))
    return out


def evaluate_all(resources: Sequence[Resource], policies: Sequence[Policy], catalog: Catalog,
                 as_of: dt.date, adequacy: frozenset[str] = frozenset()
                 ) -> tuple[list[Finding], dict[str, Host | None], dict[tuple[str, int], Host | None]]:
    """Resolve each resource's host (and each flow destination's) once and evaluate every
    applicable policy on the resource and on each of its flows.

    Returns the findings sorted by (policy, input path, address, flow: the resource
    itself first, then its flows in order), the hosts by address, and the flow
    destinations' hosts by (address, index in ``resource.flows``).
    """
    findings: list[tuple[int, Finding]] = []
    hosts: dict[str, Host | None] = {}
    flow_hosts: dict[tuple[str, int], Host | None] = {}
    cache: dict[tuple[str | None, str | None, str], Host | None] = {}
    eval_cache: dict[object, object] = {}  # host chains and condition outcomes, keyed by id(host)

    def host_of(placement: Placement, rtype: str) -> Host | None:
        key = (placement.cloud, placement.region, rtype)
        if key not in cache:
            cache[key] = resolve_host(catalog, placement, rtype)
        return cache[key]

    for res in resources:
        host = hosts[res.address] = host_of(res.placement, res.type)
        targets = flow_targets(res) if res.flows else []
        for i, f in enumerate(res.flows):
            flow_hosts[(res.address, i)] = host_of(f.to, res.type)
        if not res.classifications:  # every policy targets data classes: nothing applies
            continue
        for pol in policies:
            if applies(pol, res):
                finding = evaluate(pol, res, host, catalog, as_of, adequacy, eval_cache)
                if finding is not None:
                    findings.append((-1, finding))
                for i, f in targets:
                    finding = evaluate(pol, res, host, catalog, as_of, adequacy, eval_cache, f, flow_hosts[(res.address, i)])
                    if finding is not None:
                        findings.append((i, finding))
    path_of = {r.address: (r.location.path if r.location else "") for r in resources}
    findings.sort(key=lambda rf: (rf[1].policy_id, path_of.get(rf[1].address, ""), rf[1].address, rf[0]))
    return [f for _, f in findings], hosts, flow_hosts


def scan(paths: Sequence[Path], config: Config, catalog: Catalog, policies: Sequence[Policy],
         as_of: dt.date, *, var_files: Sequence[Path] = (), cache_dir: Path | None = None) -> ScanResult:
    """Run the whole pipeline on ``paths``.

    Args:
        paths: inputs (plan JSON, Terraform files, module directories).
        config: project configuration (classification rules).
        catalog: loaded catalog.
        policies: loaded policies to evaluate.
        as_of: the date certifications must be valid on.
        var_files: ``-var-file`` files for Terraform source inputs.
        cache_dir: parse cache directory for Terraform source (None: no cache).
    """
    adequacy = check_adequacy(config, catalog)
    resources, problems, dirs = read_inputs(paths, catalog, var_files=var_files, cache_dir=cache_dir)
    resources = Classifier(config).classify_all(resources)
    findings, hosts, flow_hosts = evaluate_all(resources, policies, catalog, as_of, adequacy)
    waivers = [*config.waivers, *collect_inline_waivers(dirs)]
    findings, warnings = apply_waivers(findings, waivers, as_of, config.warn_days)
    return ScanResult(
        warnings=tuple(warnings),
        resources=tuple(resources), hosts=hosts, findings=tuple(findings), problems=tuple(problems),
        inputs=tuple(str(p) for p in paths), tool_version=__version__, catalog_version=catalog.version,
        catalog_as_of=catalog.as_of, as_of=as_of, flow_hosts=flow_hosts)
