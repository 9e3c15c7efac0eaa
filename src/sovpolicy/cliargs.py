"""The command line's arguments: :func:`build_parser`, every command and flag of ``sovpolicy``.

Kept apart from :mod:`sovpolicy.cli`, which runs the commands; the live sources' flags
come from :mod:`sovpolicy.sources.liveflags`.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from . import __version__
from .errors import UsageError


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (one sub-command per job)."""
    from .model import Severity
    from .report import FORMATS
    from .sources.liveflags import add_arguments as add_live_arguments

    parser = _Parser(prog="sovpolicy", description="Block health data on cloud hosts that are not qualified for it.")
    parser.add_argument("--version", action="version", version=f"sovpolicy {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    common = _Parser(add_help=False)
    common.add_argument("--config", type=Path, help="project configuration (default: the nearest .sovpolicy.yaml)")
    common.add_argument("--catalog", type=Path, action="append", default=[], metavar="DIR",
                        help="extra catalog directory over the built-in one (repeatable)")
    common.add_argument("--pack", action="append", default=[], metavar="NAME",
                        help="policy pack to run (repeatable; default: `packs` of the configuration, else hds and extraterritorial)")
    common.add_argument("--policy-dir", type=Path, action="append", default=[], metavar="DIR",
                        help="directory of organisation packs, <DIR>/<pack>/<ID>.yaml (repeatable)")
    common.add_argument("--as-of", type=_date, metavar="YYYY-MM-DD", help="date certifications must be valid on (default: today)")

    source = _Parser(add_help=False)
    source.add_argument("--var-file", type=Path, action="append", default=[], metavar="FILE",
                        help="variables file for Terraform source, applied after terraform.tfvars and *.auto.tfvars (repeatable)")
    source.add_argument("--cache-dir", type=Path, metavar="DIR",
                        help="cache of parsed Terraform files (default: $XDG_CACHE_HOME/sovpolicy or the user cache directory)")
    source.add_argument("--no-cache", action="store_true", help="parse every Terraform file, read and write no cache")

    scan = sub.add_parser("scan", parents=[common, source], help="scan Terraform plans, .tf files or module directories")
    scan.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                      help="plan or state JSON (`terraform show -json`), .tf/.tf.json/.tfvars files, module directories, "
                           "or inventory exports; JSON inputs are recognised by content")
    scan.add_argument("--format", "-f", action="append", default=[], metavar="FORMAT[:FILE]",
                      help=f"output format ({', '.join(FORMATS)}); repeatable; FORMAT:FILE writes to FILE")
    scan.add_argument("--output", "-o", action="append", default=[], type=Path, metavar="FILE",
                      help="file for the --format at the same position (default: standard output)")
    scan.add_argument("--fail-on", type=Severity, choices=list(Severity), metavar="SEVERITY",
                      help="block only on findings of this severity or higher (info, low, medium, high, critical)")
    scan.add_argument("--soft-fail", action="store_true", help="report blocking findings but exit 0 for them")
    scan.add_argument("--evidence", type=Path, metavar="DIR",
                      help="write an evidence bundle (digests, policies, inventory, findings, OSCAL, manifest) to DIR")
    scan.add_argument("--sign-key", type=Path, metavar="KEY.pem",
                      help="sign the evidence manifest with this Ed25519 private key (needs sovpolicy[sign])")
    scan.add_argument("--history", type=Path, metavar="FILE",
                      help="keep this scan in a SQLite history database; findings are marked new or unchanged against "
                           "the previous scan of the same scope, and those resolved since are listed")
    add_live_arguments(scan)

    explain = sub.add_parser("explain", parents=[common, source], help="the whole chain for one resource")
    explain.add_argument("address", help="resource address, e.g. aws_s3_bucket.records (or an ARN, an Azure resource ID)")
    explain.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                         help="inputs as for scan: module directories, Terraform files, plan or state JSON, exports")
    explain.add_argument("--plan", type=Path, action="append", default=[], help="plan JSON (repeatable; same as a PATH)")
    explain.add_argument("--input", metavar="INPUT", help="which input, when the address is in several")

    cat = sub.add_parser("catalog", help="the catalog's facts, their sources and freshness")
    cat_sub = cat.add_subparsers(dest="action", required=True, parser_class=_Parser)
    check = cat_sub.add_parser("check", help="validate the catalog; fail on a fact without a source")
    show = cat_sub.add_parser("show", help="list clouds, regions, operators and certifications")
    for p in (check, show):
        p.add_argument("--catalog", type=Path, action="append", default=[], metavar="DIR")
        p.add_argument("--as-of", type=_date, metavar="YYYY-MM-DD")
    show.add_argument("cloud", nargs="?", help="only this cloud")
    show.add_argument("--cloud", dest="cloud_opt", metavar="CLOUD", help="only facts of this cloud")
    show.add_argument("--scheme", metavar="SCHEME", help="only certifications and schemes of this scheme (hds, secnumcloud...)")
    show.add_argument("--region", metavar="REGION", help="only facts that apply to this region")
    cdiff = cat_sub.add_parser("diff", help="what changed between two catalog directories, and which verdicts it moves")
    cdiff.add_argument("old", type=Path, metavar="OLD", help="the catalog directory before (same layout as catalog/data)")
    cdiff.add_argument("new", type=Path, metavar="NEW", help="the catalog directory after")
    cdiff.add_argument("--as-of", type=_date, metavar="YYYY-MM-DD")
    alt = sub.add_parser("alternatives", parents=[common],
                         help="the catalog hosts that satisfy every policy of the packs for a kind of data, without a scan")
    alt.add_argument("--type", metavar="TYPE", help="Terraform resource type: hosts of the same kind of service (default: every kind)")
    alt.add_argument("--class", dest="classes", action="append", default=[], metavar="CLASS",
                     help="data class of the data to host (repeatable; default: health)")
    alt.add_argument("--near", metavar="CC", default="FR", help="country listed first (ISO 3166-1 alpha-2; default FR)")
    alt.set_defaults(no_cache=True, cache_dir=None)
    check.add_argument("--warn-days", type=int, default=90, metavar="N",
                       help="warn on certificates that end within N days (default 90)")

    verify = sub.add_parser("verify", help="re-check an evidence bundle's digests (and signature)")
    verify.add_argument("directory", type=Path, metavar="DIR", help="a directory written by `scan --evidence DIR`")
    verify.add_argument("--public-key", type=Path, metavar="PUB.pem", help="also check manifest.sig with this Ed25519 public key")

    hist = sub.add_parser("history", help="past scans kept by `scan --history`, and the difference between two")
    hist.add_argument("file", type=Path, metavar="FILE", help="the history database")
    hist.add_argument("--scope", help="only the scans of this scope")
    hist.add_argument("--diff", nargs=2, type=int, metavar=("OLD", "NEW"),
                      help="the findings new in scan NEW and resolved since scan OLD")
    hist.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")

    conf = sub.add_parser("config", help="the project configuration (.sovpolicy.yaml)")
    conf_sub = conf.add_subparsers(dest="action", required=True, parser_class=_Parser)
    conf_check = conf_sub.add_parser("check", help="validate configuration files (default: the nearest .sovpolicy.yaml)")
    conf_check.add_argument("files", nargs="*", type=Path, metavar="FILE")

    pol = sub.add_parser("policies", help="the policy packs")
    pol_sub = pol.add_subparsers(dest="action", required=True, parser_class=_Parser)
    for name, text in (("list", "list packs and policies"), ("validate", "validate every policy file"),
                       ("test", "run each policy against its fixtures")):
        p = pol_sub.add_parser(name, help=text)
        p.add_argument("--policy-dir", type=Path, action="append", default=[], metavar="DIR")
        if name == "test":
            p.add_argument("--fixtures", type=Path, default=Path("fixtures/policies"), metavar="DIR",
                           help="fixture directory, <DIR>/<ID>/resources.yaml + expected.yaml (default: fixtures/policies)")
    return parser
