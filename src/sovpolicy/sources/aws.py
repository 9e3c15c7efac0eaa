"""``sovpolicy scan --aws``: the live AWS scan, a source behind the door.

Credentials come the way AWS users expect (the default chain, ``--profile``,
``--role-arn`` with ``--external-id``); ``--organization`` lists the member accounts
through AWS Organizations and assumes ``--org-role`` in each (``--accounts`` picks a
subset). Every region enabled for an account is scanned unless ``--regions`` says which;
regions not enabled are skipped and the report says so. When an organisation has AWS's
own aggregated inventory (an AWS Config aggregator, or a Resource Explorer aggregator
index), that is read instead of every account's APIs (:mod:`.aws_aggregate`).

Regions and accounts are read concurrently (bounded); throttling is retried by
botocore's retry mode set on each client; an access denied, an expired token or an
unreachable region is a problem naming the account, region and call, and the scan goes
on. boto3 is imported only when a scan runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..model import Problem, Resource, SourceKind
from .base import ReadContext, SourceOutput, cycle_collector_on
from .liveflags import DEFAULT_ORG_ROLE

if TYPE_CHECKING:
    from .aws_collect import Collected, Raw
    from .aws_session import Account, Sessions

# The scan's own modules are imported when a scan runs (issue 14: the collector, sessions and
# thread pool cost ~70 ms); the flags are in .liveflags, so a scan without them never imports this.

ENABLED = ("opt-in-not-required", "opted-in")


def _csv(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


@dataclass
class AwsOptions:
    """What the flags ask for."""

    profile: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    regions: tuple[str, ...] = ()
    organization: bool = False
    org_role: str = DEFAULT_ORG_ROLE
    accounts: tuple[str, ...] = ()
    inventory: str = "auto"
    aggregator: str | None = None
    retry_mode: str = "standard"
    max_attempts: int = 10
    concurrency: int = 8


def sources_from_args(args: argparse.Namespace) -> list[AwsSource]:
    """``[AwsSource]`` when ``--aws`` (or ``--organization``) is given, else ``[]``."""
    wants = bool(getattr(args, "aws", False) or getattr(args, "organization", False))
    if not wants:
        for flag in ("profile", "role_arn", "external_id", "config_aggregator"):
            if getattr(args, flag, None):
                raise UsageError(f"--{flag.replace('_', '-')} is an AWS scan flag: give --aws too")
        if getattr(args, "regions", None) or getattr(args, "accounts", None):
            raise UsageError("--regions and --accounts are AWS scan flags: give --aws too")
        return []
    if args.accounts and not args.organization:
        raise UsageError("--accounts picks member accounts of --organization: give --organization too")
    if args.aws_max_attempts < 1 or args.aws_concurrency < 1:
        raise UsageError("--aws-max-attempts and --aws-concurrency must be at least 1")
    regions = tuple(dict.fromkeys(r.lower() for text in args.regions for r in _csv(text)))
    accounts = tuple(dict.fromkeys(a for text in args.accounts for a in _csv(text)))
    for a in accounts:
        if not (a.isdigit() and len(a) == 12):
            raise UsageError(f"--accounts: {a!r} is not a 12-digit AWS account ID")
    return [AwsSource(AwsOptions(args.profile, args.role_arn, args.external_id, regions, args.organization, args.org_role,
                                 accounts, args.aws_inventory, args.config_aggregator, args.aws_retry_mode,
                                 args.aws_max_attempts, args.aws_concurrency))]


@dataclass
class AwsSource:
    """The live AWS scan. ``input`` becomes ``aws:ACCOUNT`` (``aws:organization:ACCOUNT``
    for an organisation) once the caller is known; each resource carries its own
    account's ``aws:ACCOUNT``."""

    options: AwsOptions
    kind: SourceKind = SourceKind.AWS
    input: str = "aws"
    sessions: Sessions | None = None
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def read(self, ctx: ReadContext) -> SourceOutput:
        with cycle_collector_on():
            return self._read(ctx)

    def _read(self, ctx: ReadContext) -> SourceOutput:
        from .aws_session import Sessions

        try:
            import boto3  # noqa: F401
        except ImportError:
            raise UsageError("the live AWS scan needs boto3: pip install 'sovpolicy[aws]'") from None
        o = self.options
        self.sessions = sessions = Sessions(o.profile, o.retry_mode, o.max_attempts)
        started = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        home = self._home_region()
        caller = self._caller(home)
        if caller is None:
            return SourceOutput(resources=[], problems=self.problems, notes=self.notes, scope=self._scope("?"))
        self.input = f"aws:organization:{caller}" if o.organization else f"aws:{caller}"
        members = self._members(caller, home) if o.organization else [(caller, "")]
        resources: list[Resource] | None = None
        if o.organization and o.inventory in ("auto", "config", "resource-explorer"):
            from .aws_aggregate import read_aggregated

            resources = read_aggregated(ctx, sessions, home, o, [m for m, _ in members], self.problems, self.notes)
        if resources is None:
            resources = self._read_apis(ctx, caller, home, members)
        self.notes.append(f"aws: {sessions.log.total} API calls ({len(sessions.log.counts)} distinct), scan started {started.isoformat()}")
        return SourceOutput(resources=resources, problems=self.problems, notes=self.notes, scope=self._scope(caller))

    def _scope(self, caller: str) -> str:
        o = self.options
        parts = [f"aws:organization:{caller}" if o.organization else f"aws:{caller}"]
        if o.accounts:
            parts.append("accounts=" + ",".join(sorted(o.accounts)))
        if o.regions:
            parts.append("regions=" + ",".join(sorted(o.regions)))
        return ";".join(parts)

    def _home_region(self) -> str:
        assert self.sessions is not None
        return self.sessions.session().region_name or "us-east-1"

    def _caller(self, home: str) -> str | None:
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ProfileNotFound

        from .aws_session import assume_role, problem

        s = self.sessions
        assert s is not None
        o = self.options
        try:
            if o.role_arn:
                s.base_credentials = assume_role(s, o.role_arn, o.external_id, home)
            return str(s.client(s.session(), "sts", home).get_caller_identity()["Account"])
        except NoCredentialsError:
            raise UsageError("no AWS credentials found (environment, --profile, shared files, SSO or instance role)") from None
        except ProfileNotFound:
            raise UsageError(f"--profile: no AWS profile {o.profile!r} in the shared config and credentials files") from None
        except (ClientError, BotoCoreError) as exc:
            call = "sts:AssumeRole" if o.role_arn and s.base_credentials is None else "sts:GetCallerIdentity"
            self.problems.append(problem(exc, o.role_arn.split(":")[4] if o.role_arn else "(caller)", home, call))
            return None

    def _members(self, caller: str, home: str) -> list[tuple[str, str]]:
        """Active member accounts of the organisation (``--accounts`` of them): (id, name)."""
        from botocore.exceptions import BotoCoreError, ClientError

        from .aws_session import problem

        s = self.sessions
        assert s is not None
        o = self.options
        members: list[tuple[str, str]] = []
        try:
            for page in s.client(s.session(), "organizations", home).get_paginator("list_accounts").paginate():
                members += [(a["Id"], a.get("Name", "")) for a in page["Accounts"] if a.get("Status", "ACTIVE") == "ACTIVE"]
        except (ClientError, BotoCoreError) as exc:
            self.problems.append(problem(exc, caller, home, "organizations:ListAccounts"))
            return [(caller, "")] if not o.accounts or caller in o.accounts else []
        known = {m for m, _ in members}
        for a in o.accounts:
            if a not in known:
                self.problems.append(Problem("aws-account-missing", f"account {a} given in --accounts is not an active "
                                             "member of the organisation", f"aws:{a}"))
        return sorted(m for m in members if not o.accounts or m[0] in o.accounts)

    def _account(self, ctx: ReadContext, caller: str, home: str, sts: Any, member: tuple[str, str]) -> _AccountRead:
        """One account's first task: ``--org-role`` assumed in it (the caller's own account as
        it is), its regions, and what is read once per account (S3 and the global services)."""
        from botocore.exceptions import BotoCoreError, ClientError

        from .aws_collect import Collector
        from .aws_session import Account, assume_role, problem

        s = self.sessions
        assert s is not None
        aid, name = member
        out = _AccountRead(Account(aid, name))
        if aid != caller:
            role = f"arn:aws:iam::{aid}:role/{self.options.org_role}"
            try:
                out.account = Account(aid, name, assume_role(s, role, self.options.external_id, home, sts))
            except (ClientError, BotoCoreError) as exc:
                out.problems.append(problem(exc, aid, home, f"sts:AssumeRole {role}"))
                out.assumed = False
                return out
        out.regions = self._regions(out, home)
        c = Collector(s, out.account, home, ctx.catalog)
        c.s3(frozenset(out.regions))
        c.s3_replication()
        c.global_services()
        out.parts.append(c.out)
        out.problems += c.problems()
        return out

    def _regions(self, read: _AccountRead, home: str) -> list[str]:
        """The regions to scan in one account: enabled ones (asked for ones among them)."""
        from botocore.exceptions import BotoCoreError, ClientError

        from .aws_session import problem

        s = self.sessions
        assert s is not None
        account = read.account
        try:
            answer = s.client(s.session(account.credentials), "ec2", home).describe_regions(AllRegions=True)["Regions"]
        except (ClientError, BotoCoreError) as exc:
            read.problems.append(problem(exc, account.id, home, "ec2:DescribeRegions"))
            return list(self.options.regions)
        enabled = sorted(r["RegionName"] for r in answer if r.get("OptInStatus", ENABLED[0]) in ENABLED)
        disabled = sorted(r["RegionName"] for r in answer if r.get("OptInStatus", ENABLED[0]) not in ENABLED)
        if self.options.regions:
            off = [r for r in self.options.regions if r not in enabled]
            if off:
                read.notes.append(f"aws: account {account.id}: regions not enabled, skipped: {', '.join(off)}")
            return [r for r in self.options.regions if r in enabled]
        if disabled:
            read.notes.append(f"aws: account {account.id}: {len(disabled)} regions not enabled, skipped: {', '.join(disabled)}")
        return enabled

    def _read_apis(self, ctx: ReadContext, caller: str, home: str, members: list[tuple[str, str]]) -> list[Resource]:
        """Every account's APIs: first one task per account (role, regions, S3 and the global
        services), then one per account and region, at most ``--aws-concurrency`` at once."""
        from concurrent.futures import ThreadPoolExecutor

        from ..progress import progress_bar
        from .aws_collect import Collector

        s = self.sessions
        assert s is not None
        sts = s.client(s.session(), "sts", home) if any(m != caller for m, _ in members) else None

        def first(member: tuple[str, str]) -> _AccountRead:
            return self._account(ctx, caller, home, sts, member)

        def run(task: tuple[_AccountRead, str]) -> tuple[Collected, list[Problem]]:
            read, region = task
            c = Collector(s, read.account, region, ctx.catalog)
            for collect in Collector.REGIONAL:
                collect(c)
            return c.out, c.problems()

        # threads start as tasks arrive: one account's regions are read N at once too
        with ThreadPoolExecutor(max_workers=self.options.concurrency) as pool:
            with progress_bar(len(members), "aws accounts", ctx.progress) as bar:
                reads = []
                for read in pool.map(first, members):
                    reads.append(read)
                    bar.update(1)
            tasks = [(read, r) for read in reads if read.assumed for r in read.regions]
            with progress_bar(len(tasks), "aws regions", ctx.progress) as bar:
                for (read, _), (out, problems) in zip(tasks, pool.map(run, tasks)):
                    read.parts.append(out)
                    read.problems += problems
                    bar.update(1)
        resources: list[Resource] = []
        for read in reads:
            self.problems += read.problems
            self.notes += read.notes
            if not read.assumed:
                continue
            aid = read.account.id
            resources += assemble(ctx, aid, read.parts)
            self.notes.append(f"aws: account {aid} read through the service APIs in {len(read.regions)} regions "
                              f"({', '.join(read.regions) or 'none'})")
            skipped = sorted(b for part in read.parts for b in part.skipped_buckets)
            if skipped:
                self.notes.append(f"aws: account {aid}: {len(skipped)} S3 buckets in regions not scanned were left "
                                  f"out: {', '.join(skipped)}")
        return resources


@dataclass
class _AccountRead:
    """What was read of one account, and what went wrong, in the order of the tasks."""

    account: Account
    assumed: bool = True
    regions: list[str] = field(default_factory=list)
    parts: list[Collected] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def assemble(ctx: ReadContext, account: str, parts: list[Collected]) -> list[Resource]:
    """One account's resources: the collectors' own, then every other resource the tagging
    API listed; tags from the tagging API where the collector's answer had none; Aurora
    global database members copy to each other."""
    from .aws_collect import Raw
    from .aws_resources import can_copy, make_resource, parse_arn, unread_copies

    tagged: dict[str, tuple[dict[str, str], str]] = {}
    raws: dict[str, Raw] = {}
    for part in parts:
        tagged.update(part.tagged)
        for raw in part.raws:
            raws.setdefault(raw.arn, raw)
    for arn, (_, region) in tagged.items():
        if arn not in raws:
            a = parse_arn(arn)
            raws[arn] = Raw(arn, (a.region if a and a.region else region), "tag:GetResources")
    _global_members(raws)
    label = f"aws:{account}"
    out = []
    for arn in sorted(raws):
        raw = raws[arn]
        tags = raw.tags if raw.tags is not None else tagged.get(arn, ({}, ""))[0]
        flows = list(raw.flows)
        res = make_resource(ctx.catalog, address=arn, input_label=label, source=SourceKind.AWS, region=raw.region,
                            evidence=(raw.evidence,), tags=tags, tf_type=raw.tf_type, flows=flows, account=account)
        if raw.evidence == "tag:GetResources" and can_copy(res.type):
            res = _with_flows(res, [unread_copies(res.type, "the tagging API")])
        out.append(res)
    return out


def _with_flows(res: Resource, flows: list[Any]) -> Resource:
    from dataclasses import replace

    return replace(res, flows=tuple(res.flows) + tuple(flows))


def _global_members(raws: dict[str, Raw]) -> None:
    """An Aurora global database's clusters each copy their data to the other members."""
    for g in [r for r in raws.values() if r.tf_type == "aws_rds_global_cluster"]:
        for f in g.flows:
            member = raws.get(f.via)
            if member is None:
                continue
            for other in g.flows:
                if other.via != f.via and other.to.region != member.region and \
                        all(x.via != other.via for x in member.flows):
                    member.flows.append(other)

