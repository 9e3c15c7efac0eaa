"""The exception tree and the one table of exit codes.

Every error that sovpolicy reports to a user is a :class:`SovpolicyError`; the CLI is
the only place that turns one into a message and an exit code. Anything else that
escapes is a bug (:attr:`ExitCode.INTERNAL`).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes (DESIGN.md, "Outputs and exit codes")."""

    OK = 0
    """Complete scan, nothing blocking."""
    BLOCKING = 1
    """At least one blocking finding (beats INCOMPLETE)."""
    USAGE = 2
    """Usage, configuration or input error: bad flags, malformed plan, invalid policy or catalog."""
    INCOMPLETE = 3
    """Some part could not be read; nothing blocking in the rest."""
    INTERNAL = 4
    """A bug: versions and traceback go to a log file, not the terminal."""


class SovpolicyError(Exception):
    """Base of every error reported to the user.

    Args:
        message: one sentence saying what is wrong.
        where: the file, and when known the place inside it (``plan.json:12:5``,
            ``$.resource_changes[3].change``), or ``None``.
    """

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class UsageError(SovpolicyError):
    """Bad command-line arguments or an input path that does not exist."""


class InputError(SovpolicyError):
    """An input (plan, export) that cannot be read or is not what it claims to be."""


class ConfigError(SovpolicyError):
    """An invalid ``.sovpolicy.yaml``."""


class CatalogError(SovpolicyError):
    """A catalog data file that is missing, malformed or inconsistent."""


class PolicyError(SovpolicyError):
    """A policy file that is malformed or refers to something unknown."""
