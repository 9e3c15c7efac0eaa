"""The live sources' flags on ``sovpolicy scan``, kept apart from the sources themselves.

Every ``sovpolicy scan`` builds its parser with these flags, and most scans (a plan, the
pre-commit hook on Terraform source) are not live: this module imports nothing but
:mod:`argparse`, and :func:`asked` tells which live source modules a command line needs, so
that a scan without any live flag never imports the cloud-source modules (issue 14).

Each live source module (a key of :data:`FLAGS`) has its group of
flags here, under its module name, and ``sources_from_args(args)`` there.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

DEFAULT_ORG_ROLE = "OrganizationAccountAccessRole"
"""The role ``--organization`` assumes in each member account unless ``--org-role`` names another."""

GRAPH_ABOVE = 3
"""``--azure-inventory auto`` uses Resource Graph when more subscriptions than this are in scope."""


def _aws(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("live AWS scan (needs sovpolicy[aws])")
    g.add_argument("--aws", action="store_true", help="scan the running AWS account(s) read-only")
    g.add_argument("--profile", metavar="NAME", help="AWS profile of the shared config files (default: the default credential chain)")
    g.add_argument("--role-arn", metavar="ARN", help="assume this role first (sts:AssumeRole)")
    g.add_argument("--external-id", metavar="ID", help="external ID for --role-arn and --org-role")
    g.add_argument("--regions", action="append", default=[], metavar="R1,R2",
                   help="regions to scan (default: every region enabled for the account)")
    g.add_argument("--organization", action="store_true",
                   help="scan every member account of the AWS Organization (from its management or delegated account)")
    g.add_argument("--org-role", default=DEFAULT_ORG_ROLE, metavar="NAME",
                   help=f"role assumed in each member account (default {DEFAULT_ORG_ROLE}, which is not read-only: "
                        "create a read-only one, see the README)")
    g.add_argument("--accounts", action="append", default=[], metavar="ID1,ID2",
                   help="with --organization: only these member accounts")
    g.add_argument("--aws-inventory", choices=("auto", "api", "config", "resource-explorer"), default="auto",
                   help="auto: with --organization, an AWS Config aggregator or a Resource Explorer aggregator index when "
                        "one exists, else the service APIs; api, config or resource-explorer: that path only")
    g.add_argument("--config-aggregator", metavar="NAME", help="the AWS Config aggregator to query (default: the first found)")
    g.add_argument("--aws-retry-mode", choices=("standard", "adaptive"), default="standard",
                   help="botocore retry mode for throttled calls (default standard)")
    g.add_argument("--aws-max-attempts", type=int, default=10, metavar="N", help="attempts per call, retries included (default 10)")
    g.add_argument("--aws-concurrency", type=int, default=8, metavar="N",
                   help="regions and accounts read at once (default 8)")


def _azure(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("live Azure scan")
    g.add_argument("--azure", action="store_true",
                   help="scan Azure subscriptions live (DefaultAzureCredential; the Reader role suffices)")
    g.add_argument("--subscription", action="append", default=[], metavar="ID",
                   help="Azure subscription to scan (repeatable; default: every subscription the identity can read)")
    g.add_argument("--tenant", metavar="ID", help="Azure tenant: sign in to it and keep its subscriptions only")
    g.add_argument("--management-group", action="append", default=[], metavar="ID",
                   help="scan every subscription under this management group, through Resource Graph (repeatable)")
    g.add_argument("--cloud", default="AzureCloud", metavar="ENV",
                   help="Azure environment: AzureCloud (default), AzureUSGovernment or AzureChinaCloud")
    g.add_argument("--azure-inventory", choices=("auto", "arm", "graph"), default="auto",
                   help=f"how to list resources: per subscription (arm), Azure Resource Graph (graph), or "
                        f"graph above {GRAPH_ABOVE} subscriptions (auto, the default)")
    g.add_argument("--arm-endpoint", metavar="URL",
                   help="Azure Resource Manager endpoint to use instead of the environment's (Azure Stack Hub)")
    g.add_argument("--azure-concurrency", type=int, default=8, metavar="N",
                   help="subscriptions and resource details read at once (default 8)")


#: live source module -> what adds its flags
FLAGS: dict[str, Callable[[argparse.ArgumentParser], None]] = {
    "sovpolicy.sources.aws": _aws,
    "sovpolicy.sources.azure": _azure,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Every live source's flags on ``sovpolicy scan``."""
    for add in FLAGS.values():
        add(parser)


def asked(args: argparse.Namespace) -> list[str]:
    """The live source modules whose flags the command line sets to anything but their
    default: those (and only those) are imported, to make their sources or refuse the flags."""
    out = []
    for module, add in FLAGS.items():
        own = argparse.ArgumentParser(add_help=False)
        add(own)
        defaults = vars(own.parse_args([]))
        if any(getattr(args, dest, default) != default for dest, default in defaults.items()):
            out.append(module)
    return out
