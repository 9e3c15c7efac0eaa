"""``scan(...) -> ScanResult``: sources -> catalog -> classify -> policies. The CLI only wires it."""

from __future__ import annotations

import datetime as dt
import stat
from collections.abc import Sequence
from dataclasses import replace
from operator import attrgetter
from pathlib import Path
from typing import NamedTuple

from . import __version__
from .alternatives import Finder, for_findings
from .catalog import Catalog, resolve_host
from .classify import Classifier
from .config import Config
from .decisions import bind_decisions
from .errors import ConfigError, InputError, UsageError
from .gate import NO_GATE, Gate
from .model import Finding, Flow, Host, InputFile, Placement, Policy, Problem, Reason, Resource, ScanResult, Waiver
from .model.evolve import evolve
from .policy import applies, evaluate, lowered_warnings
from .policy.evaluate import placement_reason_of
from .sources.base import ReadContext, Source
from .sources.registry import check_path
from .waivers import apply_waivers


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


def read_sources(sources: Sequence[Source], ctx: ReadContext
                 ) -> tuple[list[Resource], list[Problem], list[Waiver], list[str], list[str], dict[str, tuple[int, str]]]:
    """Read every source: their resources, problems, inline waivers, notes, history scopes
    and the files they read with their digests."""
    resources: list[Resource] = []
    problems: list[Problem] = []
    waivers: list[Waiver] = []
    notes: list[str] = []
    scopes: list[str] = []
    files: dict[str, tuple[int, str]] = {}
    for var_file in ctx.var_files:
        if stat.S_ISDIR(check_path(var_file, "variable file").st_mode):
            raise UsageError("variable file is a directory", str(var_file))
    for source in sources:
        try:
            out = source.read(ctx)
        except RecursionError:  # one limit for every reader: Python's stack (about 500 levels of values)
            raise InputError("values nested too deeply to read", source.input) from None
        resources.extend(out.resources)
        problems.extend(out.problems)
        notes.extend(out.notes)
        files.update({k: v for k, v in out.files.items() if k not in files})
        if out.scope:
            scopes.append(out.scope)
        waivers.extend(replace(w, input=source.input) for w in out.waivers)
    return resources, problems, waivers, notes, scopes, files


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


def _group_key(res: Resource, host: Host | None) -> tuple[object, ...]:
    """What a verdict on a resource without flows depends on, besides the policy: its type,
    host, placement (but where it was read) and classifications. Resources with the same
    key get the same findings but for their address (see :func:`evaluate_all`)."""
    p = res.placement
    return (res.type, id(host), p.cloud, p.region, p.origin, p.reason, p.provider, res.classifications)


class _Group(NamedTuple):
    """What resources alike (:func:`_group_key`) share in :func:`evaluate_all`."""

    shared: list[Finding]
    """The first one's findings of the policies that do not read the resource itself."""
    own: list[Policy]
    """The policies evaluated on each resource (``when`` or ``cel``)."""
    placed: Reason
    """The first one's placement reason (the others' say where their own value was read)."""
    applied: list[Policy]
    """The shared policies that apply: each is evaluated on each resource's flows."""


def _alike(template: Finding, res: Resource, first_where: Reason, where_from: Reason, same_chain: bool) -> Finding:
    """The finding ``template`` (of another resource of the same group) for ``res``: its
    address in the message and its own placement reason (which says where it was read).
    ``same_chain``: the two placement reasons differ only in that place, so the JSON
    report's chain of the template is this finding's too (``chain_like``)."""
    return evolve(template, address=res.address, resource=res,
                  reasons=template.reasons if where_from is first_where else tuple(
                      where_from if r is first_where else r for r in template.reasons),
                  message=res.address + template.message[len(template.address):],
                  chain_like=(template.chain_like or template.reasons) if same_chain else None)


def _placed_alike(a: Reason, b: Reason) -> bool:
    """Whether two placement reasons say the same but for where each value was read."""
    return bool(a.at) == bool(b.at) and a.source is b.source and (
        a.text.removesuffix(f" ({a.at})") == b.text.removesuffix(f" ({b.at})") if a.at else a.text == b.text)


def evaluate_all(resources: Sequence[Resource], policies: Sequence[Policy], catalog: Catalog,
                 as_of: dt.date, adequacy: frozenset[str] = frozenset(), gate: Gate = NO_GATE,
                 confirmed: frozenset[str] = frozenset()
                 ) -> tuple[list[Finding], dict[tuple[str, str], Host | None], dict[tuple[str, str, int], Host | None]]:
    """Resolve each resource's host (and each flow destination's) once and evaluate every
    applicable policy on the resource and on each of its flows.

    Work is done once per distinct thing: resources that share what a verdict on them
    depends on (:func:`_group_key`) share one evaluation of each policy whose verdict does
    not read the resource itself (no ``when``, no ``cel`` condition); the others' findings
    are that one's with their own address and placement reason. Their flows are each
    evaluated on their own (a flow's verdict names its own destination and provenance).

    Returns the findings sorted by (policy, input, address, flow: the resource itself
    first, then its flows in order), the hosts by resource identity ``(input, address)``,
    and the flow destinations' hosts by ``(input, address, index in resource.flows)``.
    """
    by_policy: dict[str, list[Finding]] = {}
    hosts: dict[tuple[str, str], Host | None] = {}
    flow_hosts: dict[tuple[str, str, int], Host | None] = {}
    cache: dict[tuple[str | None, str | None, str], Host | None] = {}
    eval_cache: dict[object, object] = {}  # host chains and condition outcomes, keyed by id(host)
    groups: dict[tuple[object, ...], _Group] = {}
    shareable = [p for p in policies if not p.when and not p.has_cel]
    own = [p for p in policies if p.when or p.has_cel]

    def host_of(placement: Placement, rtype: str) -> Host | None:
        key = (placement.cloud, placement.region, rtype)
        if key not in cache:
            cache[key] = resolve_host(catalog, placement, rtype)
        return cache[key]

    def one(pol: Policy, res: Resource, host: Host | None, targets: list[tuple[int, Flow]], itself: bool = True
            ) -> list[Finding]:
        """The policy on the resource (unless not ``itself``), then on each of its flows, in that order."""
        out = [evaluate(pol, res, host, catalog, as_of, adequacy, eval_cache, gate=gate, confirmed=confirmed)] if itself else []
        out += [evaluate(pol, res, host, catalog, as_of, adequacy, eval_cache, f, flow_hosts[(res.input, res.address, i)],
                         gate=gate, confirmed=confirmed) for i, f in targets]
        return [f for f in out if f is not None]

    def add(found: list[Finding]) -> None:
        for f in found:
            by_policy.setdefault(f.policy_id, []).append(f)

    # resources in (input, address) order, each one's findings in flow order: the findings
    # of each policy come out in report order, and only the policies are sorted
    for res in sorted(resources, key=attrgetter("input", "address")):
        host = hosts[(res.input, res.address)] = host_of(res.placement, res.type)
        targets = flow_targets(res) if res.flows else []
        for i, f in enumerate(res.flows):
            flow_hosts[(res.input, res.address, i)] = host_of(f.to, res.type)
        if not res.classifications:  # every policy targets data classes: nothing applies
            continue
        key = _group_key(res, host)
        group = groups.get(key)
        if group is None:
            applied = [p for p in shareable if applies(p, res)]
            shared = [f for pol in applied for f in one(pol, res, host, [])]
            group = groups[key] = _Group(shared, [p for p in own if applies(p, res)],
                                         placement_reason_of(res.placement, eval_cache), applied)
            add(shared)
        else:
            where_from = placement_reason_of(res.placement, eval_cache)
            same = _placed_alike(group.placed, where_from)
            add([_alike(t, res, group.placed, where_from, same) for t in group.shared])
        if targets:  # a verdict on a flow is the resource's own: its destination and provenance
            for pol in group.applied:
                add(one(pol, res, host, targets, itself=False))
        for pol in group.own:
            add(one(pol, res, host, targets))
    return [f for pid in sorted(by_policy) for f in by_policy[pid]], hosts, flow_hosts


def check_confirmed(config: Config, catalog: Catalog) -> frozenset[str]:
    """The scope conditions the project confirms (``confirmed``), each a condition of the catalog.

    Raises:
        ConfigError: an id the catalog does not know (``schemes.yaml``: ``conditions``).
    """
    for i, c in enumerate(config.confirmed):
        if c not in catalog.conditions:
            raise ConfigError(f"$.confirmed[{i}]: unknown scope condition {c!r} (known: {', '.join(sorted(catalog.conditions))})",
                              str(config.path) if config.path else None)
    return frozenset(config.confirmed)


def idle_packs(policies: Sequence[Policy], findings: Sequence[Finding]) -> list[str]:
    """A note for each pack that applies to no resource of the scan, naming the data
    classes its policies target (a pack enabled for nothing must say so, never stay silent)."""
    used = {f.pack for f in findings}
    targets: dict[str, set[str]] = {}
    for p in policies:
        targets.setdefault(p.pack, set()).update(p.data_classes)
    return [f"pack {pack} applies to no resource of this scan: its policies target {', '.join(sorted(classes))} data, "
            "which no resource holds" for pack, classes in sorted(targets.items()) if pack not in used]


def scan(sources: Sequence[Source], config: Config, catalog: Catalog, policies: Sequence[Policy],
         as_of: dt.date, *, var_files: Sequence[Path] = (), cache_dir: Path | None = None,
         gate: Gate = NO_GATE, progress: bool = False) -> ScanResult:
    """Run the whole pipeline on ``sources`` (see :mod:`~sovpolicy.sources.registry`).

    Args:
        sources: the inputs, as sources.
        config: project configuration (classification rules, waivers).
        catalog: loaded catalog.
        policies: loaded policies to evaluate.
        as_of: the date certifications must be valid on.
        var_files: ``-var-file`` files for Terraform source inputs.
        cache_dir: parse cache directory for Terraform source (None: no cache).
        gate: ``--fail-on`` and ``--soft-fail``.
        progress: the sources may show a progress display.
    """
    adequacy = check_adequacy(config, catalog)
    ctx = ReadContext(catalog, tuple(var_files), cache_dir, progress)
    resources, problems, inline, notes, scopes, files = read_sources(sources, ctx)
    resources = Classifier(config, catalog.implications).classify_all(resources)
    confirmed = check_confirmed(config, catalog)
    findings, hosts, flow_hosts = evaluate_all(resources, policies, catalog, as_of, adequacy, gate, confirmed)
    notes.extend(idle_packs(policies, findings))
    waivers, bound = bind_decisions([*config.waivers, *inline], catalog.decisions)
    findings, warnings = apply_waivers(findings, waivers, as_of, config.warn_days)
    warnings = [*lowered_warnings(policies, config.enforcement_reasons, str(config.path) if config.path else None),
                *bound, *warnings]
    alternatives = for_findings(Finder(catalog, as_of, adequacy, confirmed), findings, policies)
    return ScanResult(
        warnings=tuple(warnings),
        resources=tuple(resources), hosts=hosts, findings=tuple(findings), problems=tuple(problems),
        inputs=tuple(s.input for s in sources), tool_version=__version__, catalog_version=catalog.version,
        catalog_as_of=catalog.as_of, as_of=as_of, flow_hosts=flow_hosts, soft_fail=gate.soft_fail,
        notes=tuple(notes), scopes=tuple(scopes), alternatives=alternatives, catalog_digest=catalog.digest,
        input_files=tuple(InputFile(path, size, sha) for path, (size, sha) in sorted(files.items())))
