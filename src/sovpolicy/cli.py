"""Command line: ``main(argv) -> int``. Nothing below this module exits or prints errors.

One error handler: a :class:`~sovpolicy.errors.SovpolicyError` becomes one line on
stderr and its exit code; anything else is a bug, written with the versions and the
traceback to a log file, and exit code 4.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .errors import ExitCode, SovpolicyError, UsageError

if TYPE_CHECKING:
    from .catalog import Catalog
    from .model import Resource, ScanResult
    from .scansetup import Setup

# Each command imports what it needs when it runs (`sovpolicy --version` imports nothing
# more; a scan of Terraform source does not import the plan reader or the cloud SDKs).


def build_parser() -> argparse.ArgumentParser:
    """Every command and flag (:mod:`sovpolicy.cliargs`, imported only when a command runs)."""
    from .cliargs import build_parser as build

    return build()


def _outputs(args: argparse.Namespace) -> list[tuple[str, Path | None]]:
    from .report import FORMATS

    specs = args.format or ["text"]
    outputs: list[tuple[str, Path | None]] = []
    files = list(args.output)
    for i, spec in enumerate(specs):
        fmt, sep, file = spec.partition(":")
        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
        target: Path | None = Path(file) if sep else (files[i] if i < len(files) else None)
        outputs.append((fmt, target))
    if len(files) > len(specs):
        raise UsageError("more --output files than --format options: give them in pairs")
    if sum(1 for _, t in outputs if t is None) > 1:
        raise UsageError("only one format can go to standard output: give the others an --output file")
    return outputs


def _prepared(args: argparse.Namespace, start: Path) -> Setup:
    from .scansetup import prepare

    return prepare(args.config, args.catalog, args.pack, args.policy_dir, args.as_of, start, _cache_dir(args))


def _setup(args: argparse.Namespace, start: Path) -> tuple:
    setup = _prepared(args, start)
    catalog, policies = setup.load()
    return setup.config, catalog, policies, setup.as_of


def _cache_dir(args: argparse.Namespace) -> Path | None:
    if args.no_cache:
        return None
    if args.cache_dir is not None:
        return args.cache_dir
    from .sources.parsecache import default_cache_dir

    return default_cache_dir()


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Python's cycle collector paused: a scan makes little cyclic garbage, and each full
    collection walks every object it holds (millions on a 50,000-resource plan), which
    cost a quarter of the scan's CPU. It stays paused when the process ends at once
    (:func:`run`): the first allocation after resuming would walk them all one last time."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was and not _ENDING_AT_ONCE:
            gc.enable()


def cmd_scan(args: argparse.Namespace) -> int:
    """``sovpolicy scan``: exit 0, 1 (blocking), 3 (incomplete)."""
    with _cyclic_gc_paused():
        return _scan(args)


def _scan(args: argparse.Namespace) -> int:
    from .report import ReportContext, report_chunks
    from .sources.registry import file_sources, live_sources

    outputs = _outputs(args)
    sign_key = None
    if args.sign_key is not None or args.evidence is not None:
        from . import evidence
    if args.sign_key is not None:
        if args.evidence is None:
            raise UsageError("--sign-key signs an evidence bundle: give --evidence DIR too")
        sign_key = evidence.load_private_key(args.sign_key)
    if args.evidence is not None:
        evidence.prepare_directory(args.evidence)
    sources = [*file_sources(args.paths, digests=args.evidence is not None), *live_sources(args)]
    if not sources:
        raise UsageError("nothing to scan: give a plan, state, Terraform files, a module directory or an "
                         "inventory export, or a live scan flag")
    setup = _prepared(args, args.paths[0] if args.paths else Path.cwd())
    history = None
    if args.history is not None:  # opened first: a bad database stops the scan before it starts
        from .history import History

        history = History(args.history)
    from .gate import Gate
    from .scancache import scan_through_cache

    result = scan_through_cache(sources, setup, args.var_file, _cache_dir(args), Gate(args.fail_on, args.soft_fail),
                                _progress_wanted())
    if history is not None:
        from .history import default_scope

        with history:
            result = replace(result, history=history.record(result, default_scope(result, result.scopes), _generated_at()))
    if args.evidence is not None:
        evidence.write_bundle(args.evidence, result, args.paths, *setup.load(), _generated_at(), sign_key)
    full = next((str(t) for f, t in outputs if f == "json" and t is not None), None)
    ctx = ReportContext(full_report=full)
    code = result.exit_code
    for fmt, target in outputs:
        said = len(ctx.notices)
        chunks = report_chunks(fmt, result, ctx)
        if target is None:
            failed = _write_stdout(chunks)
            if failed:
                sys.stderr.write(f"sovpolicy: error: the {fmt} report could not be written to standard output: {failed}\n")
                code = ExitCode.BLOCKING if result.exit_code == ExitCode.BLOCKING else ExitCode.USAGE
        else:
            _write_file(chunks, fmt, target)
        for notice in ctx.notices[said:]:
            sys.stderr.write(f"sovpolicy: {fmt} report {target or '(standard output)'}: {notice}\n")
    if _ENDING_AT_ONCE:  # the process ends at once (run()): the scan's objects are never freed one by one
        _KEPT.append(result)
    return int(code)


def _write_file(chunks: Iterable[bytes], fmt: str, target: Path) -> None:
    """Write one report's chunks to the file ``target``."""
    if target.is_dir() or str(target).endswith(("/", os.sep)):
        raise UsageError(f"--output for {fmt} names a directory: give a file name", str(target))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
    except OSError as exc:
        raise UsageError(f"cannot write report: {exc.strerror}", str(target)) from None


def _write_stdout(chunks: Iterable[bytes]) -> str | None:
    """Write a report to standard output; on failure say why (the scan's exit code must
    survive a closed pipe, a full disk or a closed descriptor)."""
    if sys.stdout is None:
        return "standard output is closed"
    try:
        sys.stdout.flush()
        for chunk in chunks:
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
    except OSError as exc:
        _silence_stdout()
        return exc.strerror or type(exc).__name__
    return None


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so that the interpreter's last flush at exit
    does not fail again (and print a traceback) after a broken pipe."""
    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, sys.stdout.fileno())
        os.close(fd)
    except (OSError, AttributeError, ValueError):
        pass


def _generated_at() -> dt.datetime:
    """Now (UTC), or ``SOURCE_DATE_EPOCH`` when set, for reproducible evidence bundles."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
        except (ValueError, OverflowError, OSError):
            raise UsageError(f"SOURCE_DATE_EPOCH must be a Unix timestamp, got {epoch!r}") from None
    return dt.datetime.now(dt.timezone.utc)


def cmd_verify(args: argparse.Namespace) -> int:
    """``sovpolicy verify DIR``: exit 0 when intact, 1 naming the first changed, missing or extra file."""
    from . import evidence

    key = evidence.load_public_key(args.public_key) if args.public_key is not None else None
    check = evidence.verify_bundle(args.directory, key)
    if not check.intact:
        sys.stderr.write(f"sovpolicy: evidence bundle {args.directory} was altered: {check.problem}\n")
        return ExitCode.BLOCKING
    sys.stdout.write(f"evidence bundle {args.directory} intact: {check.files} files match manifest.json "
                     f"(generated {check.generated_at}); signature {check.signature}\n")
    return ExitCode.OK


def _explained(result: ScanResult, address: str, which: str | None, paths: Sequence[Path]) -> Resource:
    """The one resource ``explain`` is about; asks which input when the address is in several."""
    found = [r for r in result.resources if r.address == address and (which is None or r.input == which)]
    if len(found) > 1:
        inputs = ", ".join(r.input for r in found)
        raise UsageError(f"{address!r} is in {len(found)} inputs ({inputs}): choose one with --input")
    if not found:
        near = sorted({r.address for r in result.resources if address.split(".")[-1] in r.address})[:5]
        hint = f" (did you mean: {', '.join(near)}?)" if near else ""
        where = f"input {which!r}" if which is not None else "the inputs"
        raise UsageError(f"no resource {address!r} in {where}{hint}", ", ".join(str(p) for p in paths))
    return found[0]


def _progress_wanted() -> bool:
    """A progress display only on an interactive terminal, never in CI logs."""
    from .progress import enabled

    return enabled(sys.stderr)


def cmd_explain(args: argparse.Namespace) -> int:
    """``sovpolicy explain ADDRESS --plan FILE``: placement, host, flows (where the data is
    copied), the references its data comes through, and every applicable policy."""
    from .pipeline import scan
    from .policy.evaluate import destination_reason, host_reasons, placement_reason
    from .sources.registry import file_sources

    paths = [*args.plan, *args.paths]
    if not paths:
        raise UsageError("give the inputs to look in: a module directory, Terraform files, or --plan FILE")
    config, catalog, policies, as_of = _setup(args, paths[0])
    result = scan(file_sources(paths), config, catalog, policies, as_of, var_files=args.var_file, cache_dir=_cache_dir(args))
    res = _explained(result, args.address, args.input, paths)
    host = result.host(res)
    out = [f"{res.address} ({res.type}, {res.action or res.source.value})" + (f" at {res.location}" if res.location and res.location.line else "")]
    out.append("placement:")
    out.append(f"  {placement_reason(res.placement).text}")
    for ev in res.placement.evidence[1:]:
        out.append(f"  via {ev}")
    out.append("host:")
    if host is None:
        out.append("  unresolved: no host can be looked up")
    else:
        for r in host_reasons(host, catalog):
            out.append(f"  {r.text}" + (f"  [source: {r.source.cite()}]" if r.source else ""))
        for law in host.laws:
            out.append(f"  exposed to {law.name}: {law.compels}  [source: {law.source.cite()}]")
        for c in host.certifications:
            out.append(f"  certification {c.scheme} {c.status}: {c.offer} ({c.id})  [source: {c.source.cite()}]")
        for c in host.unlisted:
            out.append(f"  certification {c.scheme} {c.status} in regions the catalog cannot name: {c.offer} ({c.id})  [source: {c.source.cite()}]")
        if not host.certifications and not host.unlisted:
            out.append("  no certification in the catalog covers this region")
    out.append("flows:" if res.flows else "flows: none (no replica, backup copy, paired region or edge cache found)")
    for i, fl in enumerate(res.flows):
        cite = f"  [rule {fl.rule}; source: {fl.source.cite()}]" if fl.source else f"  [rule {fl.rule}]"
        out.append(f"  {fl.describe(res.placement)} ({fl.kind.value}){cite}")
        for ev in fl.evidence:
            out.append(f"    via {ev}")
        out.append(f"    {destination_reason(fl.to).text}")
        dest = result.flow_host(res, i)
        for r in host_reasons(dest, catalog) if dest is not None else ():
            out.append(f"    {r.text}" + (f"  [source: {r.source.cite()}]" if r.source else ""))
    if res.data_from:
        out.append("holds data of:")
        for link in res.data_from:
            out.append(f"  {link.hop(res.address)}  [propagation rule {link.rule}]")
    out.append("data classes: " + (", ".join(f"{c.data_class} ({c.reason})" for c in res.classifications) or "none"))
    mine = [f for f in result.findings if f.key == res.key]
    out.append("policies:" if mine else "policies: none applies (the resource holds no data class a policy targets)")
    for f in mine:
        copy = f" [copy: {f.flow.describe(res.placement)}]" if f.flow is not None else ""
        out.append(f"  {f.status.value.upper()}{' (blocking)' if f.blocking else ''} {f.policy_id}: {f.title}{copy}")
        for r in f.reasons[f.chain_length + f.flow_reasons:]:
            out.append(f"    - {r.text}")
    if res.key in result.alternatives:
        from .alternatives import report_lines

        for line, certs in report_lines(result.alternatives[res.key], shown=20):
            out.append(line)
            out += [f"      source: {c.source.cite()}" for c in certs]
    sys.stdout.write("\n".join(out) + "\n")
    return ExitCode.OK


def cmd_catalog(args: argparse.Namespace) -> int:
    """``sovpolicy catalog check|show|diff``."""
    from .catalog import load_catalog
    from .catalog.load import data_dir, read_documents

    if args.action == "check":
        docs = read_documents([data_dir(), *args.catalog], validate=True)
        catalog = load_catalog(args.catalog, validate=False)
        from .catalog.check import certificate_warnings

        today = args.as_of or dt.date.today()
        found = certificate_warnings(catalog, today, args.warn_days)
        for line in found:
            sys.stderr.write(f"warning: {line}\n")
        warnings = len(found)
        regions = sum(len(c.regions) for c in catalog.clouds.values())
        sys.stdout.write(f"catalog {catalog.version} (as of {catalog.as_of}): {len(docs)} files valid, {len(catalog.sources)} sources, "
                         f"{len(catalog.clouds)} clouds, {regions} regions, {len(catalog.entities)} entities, {len(catalog.laws)} laws, "
                         f"{len(catalog.certifications)} certifications; {warnings} warnings\n")
        return ExitCode.OK
    from . import catalogview

    if args.action == "diff":

        for d in (args.old, args.new):
            if not d.is_dir():
                raise UsageError("catalog directory not found", str(d))
        old, new = catalogview.load_directory(args.old), catalogview.load_directory(args.new)
        changes = catalogview.diff(old, new)
        out = [f"catalog {old.version} ({args.old}) -> {new.version} ({args.new}): {len(changes)} facts changed"]
        for ch in changes:
            out += ch.lines()
        moved = catalogview.moved(old, new, _all_packs(), args.as_of or dt.date.today())
        out.append(f"verdicts that move ({len(moved)}; every built-in policy on every catalog place, health data):")
        out += [f"  {m}" for m in moved] or ["  none"]
        sys.stdout.write("\n".join(out) + "\n")
        return ExitCode.OK
    catalog = load_catalog(args.catalog)
    shown = catalogview.select(catalogview.facts(catalog), args.cloud_opt or args.cloud, args.scheme, args.region)
    sys.stdout.write(f"catalog {catalog.version} (as of {catalog.as_of}, sha256 {catalog.digest}): {len(shown)} facts\n")
    sys.stdout.write("".join(f.line() + "\n" for f in shown))
    return ExitCode.OK


def _all_packs() -> list:
    from .policy import available_packs, load_packs

    return load_packs(sorted(available_packs()))


def cmd_alternatives(args: argparse.Namespace) -> int:
    """``sovpolicy alternatives --pack hds --pack secnumcloud [--type T]``: the qualified hosts, without a scan."""
    from . import catalogview
    from .alternatives import Finder
    from .pipeline import check_adequacy

    config, catalog, policies, as_of = _setup(args, Path.cwd())
    finder = Finder(catalog, as_of, check_adequacy(config, catalog))
    classes = args.classes or ["health"]
    asked = [p for p in policies if p.data_classes & _with_implied(catalog, classes)]
    groups = catalogview.alternatives_groups(finder, catalog, asked, classes, args.type, args.near)
    sys.stdout.write(f"catalog {catalog.version} (sha256 {catalog.digest}) | as of {as_of} | data: {', '.join(classes)}\n")
    sys.stdout.write(catalogview.alternatives_text(groups, [p for p in asked if p.enforcement.value != "advisory"]))
    return ExitCode.OK


def _with_implied(catalog: Catalog, classes: list[str]) -> set[str]:
    from .classify import asked_classes

    return {c.data_class for c in asked_classes(classes, catalog.implications)}


def cmd_policies(args: argparse.Namespace) -> int:
    """``sovpolicy policies list|validate|test``: every pack found (built-in, plugins, --policy-dir)."""
    from .catalog import load_catalog
    from .policy import available_packs, load_packs, pack_roots

    roots = pack_roots(args.policy_dir)
    policies = load_packs(sorted(available_packs(roots)), roots, validate=args.action == "validate" or None)
    if args.action == "validate":
        sys.stdout.write(f"{len(policies)} policies valid in packs {', '.join(sorted({p.pack for p in policies}))}\n")
        return ExitCode.OK
    if args.action == "list":
        for p in policies:
            sys.stdout.write(f"{p.pack:<18} {p.id:<12} {p.severity.value:<9} {p.enforcement.value:<15} {p.title}\n")
        return ExitCode.OK
    from .policy.testing import run_policy_tests

    if not args.fixtures.is_dir():
        raise UsageError("fixture directory not found", str(args.fixtures))
    results, errors = run_policy_tests(policies, args.fixtures, load_catalog())
    for r in results:
        mark = "ok  " if r.ok else "FAIL"
        sys.stdout.write(f"{mark} {r.policy_id} {r.name}: expected {r.expected}, got {r.actual}" + ("" if r.ok else f" ({r.message})") + "\n")
    for e in errors:
        sys.stdout.write(f"ERROR {e}\n")
    bad = sum(1 for r in results if not r.ok) + len(errors)
    sys.stdout.write(f"{len(policies)} policies, {len(results)} cases: {len(results) - sum(1 for r in results if not r.ok)} passed, {bad} failed\n")
    return ExitCode.BLOCKING if bad else ExitCode.OK


def cmd_config(args: argparse.Namespace) -> int:
    """``sovpolicy config check [FILE ...]``: exit 0 when a scan would accept every file, else 2 naming the first bad one."""
    from .config import find_config
    files = list(args.files)
    if not files:
        found = find_config(Path.cwd())
        if found is None:
            raise UsageError("no .sovpolicy.yaml here or above: give the files to check")
        files = [found]
    from .pipeline import check_adequacy

    for path in files:
        if not path.is_file():
            raise UsageError("configuration file not found", str(path))
        # everything a scan with this file would refuse: packs, enforcement ids, catalog
        # and policy directories, adequacy countries
        setup = argparse.Namespace(config=path, catalog=[], pack=[], policy_dir=[], as_of=None,
                                   no_cache=True, cache_dir=None)
        config, catalog, _, _ = _setup(setup, path)
        check_adequacy(config, catalog)
    sys.stdout.write(f"{len(files)} configuration file{'s' if len(files) != 1 else ''} valid\n")
    return ExitCode.OK


def cmd_history(args: argparse.Namespace) -> int:
    """``sovpolicy history FILE [--diff OLD NEW]``: past scans, or what changed between two."""
    from .history import History, render_compare, render_scans

    if not args.file.is_file():
        raise UsageError("no history database here (it is made by `scan --history FILE`)", str(args.file))
    with History(args.file) as h:
        if args.diff:
            text = render_compare(h, args.diff[0], args.diff[1], args.format)
        else:
            text = render_scans(h.scans(args.scope), args.format)
    sys.stdout.write(text)
    return ExitCode.OK


COMMANDS = {"scan": cmd_scan, "history": cmd_history, "explain": cmd_explain, "catalog": cmd_catalog, "config": cmd_config,
            "policies": cmd_policies, "verify": cmd_verify, "alternatives": cmd_alternatives}


def _crash_log(exc: BaseException) -> Path:
    import platform
    import tempfile
    import traceback

    fd, name = tempfile.mkstemp(prefix="sovpolicy-crash-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"sovpolicy {__version__}, Python {platform.python_version()}, {platform.platform()}\n")
        fh.write(f"argv: {sys.argv!r}\n\n")
        fh.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    return Path(name)


_ENDING_AT_ONCE = False
"""Set by :func:`run`: the process ends when the command returns."""
_KEPT: list[object] = []
"""What a command leaves for the process's end to drop (see :func:`run`)."""


def run() -> None:
    """The ``sovpolicy`` command (and ``python -m sovpolicy``): :func:`main`, then the
    process ends at once, without freeing its objects one by one.

    A big plan's scan holds millions of objects; freeing them as Python exits cost 0.6 s
    of CPU on a 50,000-resource plan for nothing (mypy ends the same way). Everything
    sovpolicy writes is closed by then (reports, caches, history, evidence); the standard
    streams are flushed here, and a standard output that cannot take the rest of the
    output makes the outcome unknown: exit 2, or 1 when the scan blocks. A scan's result
    is kept to the end for the same reason (freeing it as the command returned cost
    0.28 s on that plan).
    """
    global _ENDING_AT_ONCE
    _ENDING_AT_ONCE = True
    code = main()
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except (OSError, ValueError):
        code = code if code == ExitCode.BLOCKING else int(ExitCode.USAGE)
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write("sovpolicy: error: standard output closed before the output was written\n")
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (see :class:`~sovpolicy.errors.ExitCode`)."""
    if sys.stderr is None:  # started with standard error closed: messages go nowhere, codes stay right
        sys.stderr = open(os.devnull, "w", encoding="utf-8")
    argv = list(argv) if argv is not None else sys.argv[1:]
    try:
        if argv == ["--version"]:  # answered before the parser (and the live sources' flags) is built
            sys.stdout.write(f"sovpolicy {__version__}\n")
            return int(ExitCode.OK)
        args = build_parser().parse_args(argv)
        return int(COMMANDS[args.command](args))
    except SovpolicyError as exc:
        sys.stderr.write(f"sovpolicy: error: {exc}\n")
        return int(exc.exit_code)
    except SystemExit as exc:  # --help and --version
        return int(exc.code or 0)
    except KeyboardInterrupt:
        sys.stderr.write("sovpolicy: interrupted\n")
        return 130
    except BrokenPipeError:  # a reader stopped early: the command's outcome is unknown, never 0
        _silence_stdout()
        sys.stderr.write("sovpolicy: error: standard output closed before the output was written\n")
        return int(ExitCode.USAGE)
    except Exception as exc:
        log = _crash_log(exc)
        sys.stderr.write(f"sovpolicy: internal error ({type(exc).__name__}); details written to {log}\n")
        return int(ExitCode.INTERNAL)
