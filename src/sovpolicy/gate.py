"""The gate: the one place that decides whether a finding blocks.

Policy evaluation, waivers, ``--fail-on``, ``--soft-fail``, every report and the evidence
bundle ask here; nothing else decides.

A finding blocks when its status is ``fail`` or ``unknown``, its policy is not
``advisory``, it is not an ``unknown`` that its policy reports without blocking
(``unresolved: warn`` on an unresolved placement), and its severity reaches ``--fail-on``
when that is given. A waived finding never blocks. ``--soft-fail`` keeps every finding's
verdict (reports still say what blocks); ``ScanResult.exit_code`` then gives 0 for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Enforcement, Severity, Status


@dataclass(frozen=True)
class Gate:
    """The command line's say on blocking: ``--fail-on`` and ``--soft-fail``."""

    fail_on: Severity | None = None
    soft_fail: bool = False


NO_GATE = Gate()
"""No ``--fail-on``, no ``--soft-fail``."""


def blocks(status: Status, enforcement: Enforcement, severity: Severity, gate: Gate = NO_GATE, *,
           unresolved_warn: bool = False) -> bool:
    """True when a finding with this status, enforcement and severity blocks.

    Args:
        unresolved_warn: the finding is unknown because the placement is unresolved and its
            policy says ``unresolved: warn``.
    """
    if status not in (Status.FAIL, Status.UNKNOWN) or enforcement is Enforcement.ADVISORY:
        return False
    if status is Status.UNKNOWN and unresolved_warn:
        return False
    return gate.fail_on is None or severity.rank >= gate.fail_on.rank

