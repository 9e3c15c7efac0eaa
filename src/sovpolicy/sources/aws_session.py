"""boto3 sessions for the live AWS scan: credentials, assumed roles, clients with
botocore's retry modes, and the record of every API operation called.

This module and the other ``aws_*`` collectors are the only importers of boto3; they
import it inside functions, so that ``sovpolicy`` without the ``aws`` extra still runs.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..model import Problem
from .aws_api import load_aws_api

if TYPE_CHECKING:
    import boto3

SESSION_NAME = "sovpolicy-scan"
_LOADER: Any = None
_LOADER_LOCK = threading.Lock()


@dataclass
class CallLog:
    """Every API operation the scan called, as the IAM action that authorises it
    (``s3:GetBucketLocation``), recorded by a botocore ``before-call`` event handler."""

    counts: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handler(self, model: Any, **_: Any) -> None:
        """botocore ``before-call`` handler: once per API call (retries are not calls)."""
        action = load_aws_api().iam_action(model.service_model.service_name, model.name)
        with self.lock:
            self.counts[action] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Credentials:
    """Temporary credentials of an assumed role (never printed nor stored)."""

    access_key: str
    secret_key: str
    token: str

    def __repr__(self) -> str:
        return "Credentials(<redacted>)"


@dataclass
class Account:
    """One account to scan and how to reach it."""

    id: str
    name: str = ""
    credentials: Credentials | None = None
    """None: the base session's own credentials."""


@dataclass
class Sessions:
    """Makes boto3 sessions and clients, all recorded in one :class:`CallLog`.

    A boto3 session is not thread-safe: each worker asks for its own.
    """

    profile: str | None
    retry_mode: str
    max_attempts: int
    log: CallLog = field(default_factory=CallLog)
    base_credentials: Credentials | None = None

    def _botocore_session(self) -> Any:
        """A new botocore session sharing the process's model loader: each service's model
        (the EC2 one is megabytes of JSON) is parsed once, not once per region and account."""
        import botocore.loaders
        import botocore.session

        global _LOADER
        with _LOADER_LOCK:
            if _LOADER is None:
                _LOADER = botocore.loaders.create_loader()
        core = botocore.session.get_session()
        core.register_component("data_loader", _LOADER)
        return core

    def session(self, creds: Credentials | None = None, region: str | None = None) -> boto3.session.Session:
        import boto3

        creds = creds or self.base_credentials
        if creds is not None:
            s = boto3.session.Session(aws_access_key_id=creds.access_key, aws_secret_access_key=creds.secret_key,
                                      aws_session_token=creds.token, region_name=region,
                                      botocore_session=self._botocore_session())
        else:
            from botocore.exceptions import BotoCoreError

            try:
                s = boto3.session.Session(profile_name=self.profile, region_name=region,
                                          botocore_session=self._botocore_session())
            except BotoCoreError as exc:  # ProfileNotFound and its kin
                raise UsageError(f"AWS profile: {exc}") from None
        s.events.register("before-call", self.log.handler)
        return s

    def client(self, session: boto3.session.Session, service: str, region: str) -> Any:
        from botocore.config import Config

        cfg = Config(retries={"mode": self.retry_mode, "total_max_attempts": self.max_attempts},
                     connect_timeout=10, read_timeout=60, user_agent_extra="sovpolicy")
        return session.client(service, region_name=region, config=cfg)


def assume_role(sessions: Sessions, role_arn: str, external_id: str | None, region: str, sts: Any = None) -> Credentials:
    """Assume a role (``sts:AssumeRole``) with the base credentials (through ``sts``, an STS
    client of them shared between threads, when given: botocore clients are thread-safe)."""
    sts = sts or sessions.client(sessions.session(), "sts", region)
    kwargs: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": SESSION_NAME}
    if external_id:
        kwargs["ExternalId"] = external_id
    c = sts.assume_role(**kwargs)["Credentials"]
    return Credentials(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


def classify(exc: BaseException) -> tuple[str, str]:
    """``(kind, text)`` of an API failure: access denied, expired token, throttled (after
    botocore's retries), unreachable, or another error. Raises what is not an API failure."""
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code", "Error"))
        kind = ("aws-access-denied" if "AccessDenied" in code or code in ("UnauthorizedOperation", "AuthorizationError",
                                                                           "UnrecognizedClientException")
                else "aws-expired-token" if "Expired" in code or code == "InvalidClientTokenId"
                else "aws-throttled" if "Throttl" in code or code == "RequestLimitExceeded"
                else "aws-error")
        message = " ".join(str(err.get("Message", "")).split())[:200]
        return kind, f"{code}: {message}".rstrip(": ")
    if isinstance(exc, EndpointConnectionError):
        return "aws-unreachable", f"endpoint unreachable ({exc})"
    if isinstance(exc, BotoCoreError):
        return "aws-error", f"{type(exc).__name__}: {exc}"
    raise exc


def problem(exc: BaseException, account: str, region: str, call: str) -> Problem:
    """An API failure as a problem naming the account, region and call; never the
    request's credentials (botocore's messages carry none)."""
    kind, text = classify(exc)
    return Problem(kind, f"account {account}, region {region}, {call}: {text}; its resources are not in this scan",
                   f"aws:{account}:{region}")


def merged(failures: list[tuple[str, str, str]], account: str, region: str) -> list[Problem]:
    """One problem per kind of failure in one account and region, naming every call:
    ``(kind, call, text)`` failures, in order."""
    by_kind: dict[str, list[tuple[str, str]]] = {}
    for kind, call, text in failures:
        by_kind.setdefault(kind, []).append((call, text))
    out = []
    for kind, calls in by_kind.items():
        if len(calls) == 1:
            call, text = calls[0]
            msg = f"account {account}, region {region}, {call}: {text}; its resources are not in this scan"
        else:
            msg = (f"account {account}, region {region}: {len(calls)} calls failed ({calls[0][1]}): "
                   f"{', '.join(c for c, _ in calls)}; their resources are not in this scan")
        out.append(Problem(kind, msg, f"aws:{account}:{region}"))
    return out
