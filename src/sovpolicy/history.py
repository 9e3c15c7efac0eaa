"""Scan history: every scan kept in an embedded SQLite database (``scan --history FILE``).

A finding's identity across scans is ``(policy, input, subject)``: the subject is the
resource address, or for a copy of its data the address and the flow's destination
(:attr:`~sovpolicy.model.Finding.subject`). Against the previous scan of the same scope
(``aws:ACCOUNT,REGIONS``, or the inputs of a file scan) each failing, unknown or waived
finding is ``new`` or ``unchanged``, and those gone since are ``resolved``.

The schema is versioned (``PRAGMA user_version``) and migrated forward on open. A scan is
written in one transaction (``BEGIN IMMEDIATE``), so a scan killed half-way leaves the
history as it was; the database is in WAL mode with a busy timeout, so two jobs can write
to it at once. Only what the report already shows is stored: policy, input, address,
subject, status, severity and message, never a resource's attributes.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError
from .model import (
    HistoryDiff,
    ResolvedFinding,
    ScanResult,
    Status,
    finding_key,
)

#: One entry per schema version: the statements that migrate from the version before.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE scans (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            scope TEXT NOT NULL,
            started_at TEXT NOT NULL,
            tool_version TEXT NOT NULL,
            catalog_version TEXT NOT NULL,
            inputs TEXT NOT NULL,
            counts TEXT NOT NULL,
            problems INTEGER NOT NULL,
            exit_code INTEGER NOT NULL)""",
        "CREATE INDEX scans_scope ON scans (scope, id)",
        """CREATE TABLE findings (
            scan_id INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            policy_id TEXT NOT NULL,
            input TEXT NOT NULL,
            address TEXT NOT NULL,
            subject TEXT NOT NULL,
            status TEXT NOT NULL,
            severity TEXT NOT NULL,
            blocking INTEGER NOT NULL,
            message TEXT NOT NULL,
            PRIMARY KEY (scan_id, key))""",
    ),
    (
        "ALTER TABLE scans ADD COLUMN notes TEXT NOT NULL DEFAULT '[]'",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
BUSY_TIMEOUT_MS = 60_000
#: Statuses kept (passing findings are only counted).
KEPT = (Status.FAIL, Status.UNKNOWN, Status.WAIVED)


@dataclass(frozen=True)
class ScanRow:
    """One past scan."""

    id: int
    scope: str
    started_at: str
    tool_version: str
    catalog_version: str
    inputs: tuple[str, ...]
    counts: dict[str, int]
    problems: int
    exit_code: int
    notes: tuple[str, ...]


class History:
    """An open history database.

    Raises:
        UsageError: the file is not a SQLite database, or was written by a newer sovpolicy.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.is_dir():
            raise UsageError("--history names a directory: give a database file", str(path))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise UsageError(f"not a sovpolicy history database ({exc})", str(path)) from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "History":  # noqa: UP037
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back on error."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _migrate(self) -> None:
        with self.transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version == 0 and db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]:
                raise UsageError("a SQLite database of something else, not a sovpolicy history: give another file",
                                 str(self.path))
            if version > SCHEMA_VERSION:
                raise UsageError(f"history schema version {version} was written by a newer sovpolicy "
                                 f"(this one reads up to {SCHEMA_VERSION})", str(self.path))
            for statements in MIGRATIONS[version:]:
                for sql in statements:
                    db.execute(sql)
            if version < SCHEMA_VERSION:
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def insert_scan(self, db: sqlite3.Connection, result: ScanResult, scope: str, started_at: str) -> int:
        """Write one scan and its kept findings (inside :meth:`transaction`); returns its id."""
        cur = db.execute(
            "INSERT INTO scans (scope, started_at, tool_version, catalog_version, inputs, counts, problems, exit_code, notes)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (scope, started_at, result.tool_version, result.catalog_version, json.dumps(list(result.inputs)),
             json.dumps(result.counts()), len(result.problems), result.exit_code, json.dumps(list(_notes(result)))))
        scan_id = int(cur.lastrowid or 0)
        rows = {}
        for f in result.findings:
            if f.status in KEPT:
                rows[finding_key(f)] = (scan_id, finding_key(f), f.policy_id, f.resource.input, f.address, f.subject,
                                        f.status.value, f.severity.value, int(f.blocking), f.message)
        db.executemany("INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows.values())
        return scan_id

    def record(self, result: ScanResult, scope: str, started_at: dt.datetime) -> HistoryDiff:
        """Keep a scan and compare it with the previous scan of the same scope."""
        with self.transaction() as db:
            scan_id = self.insert_scan(db, result, scope, started_at.isoformat(timespec="seconds"))
            prev = db.execute("SELECT id, started_at FROM scans WHERE scope = ? AND id < ? ORDER BY id DESC LIMIT 1",
                              (scope, scan_id)).fetchone()
            return self._diff(db, prev, scan_id, scope)

    def _diff(self, db: sqlite3.Connection, prev: tuple[int, str] | None, scan_id: int, scope: str) -> HistoryDiff:
        new_keys = {k for (k,) in db.execute("SELECT key FROM findings WHERE scan_id = ?", (scan_id,))}
        if prev is None:
            return HistoryDiff(scan_id=scan_id, scope=scope, previous_id=None, previous_at=None,
                               new=frozenset(new_keys), resolved=())
        old = {row[0]: row for row in db.execute(
            "SELECT key, policy_id, input, address, subject, status, message FROM findings WHERE scan_id = ? ORDER BY key",
            (prev[0],))}
        resolved = tuple(ResolvedFinding(policy_id=r[1], input=r[2], address=r[3], subject=r[4], status=r[5], message=r[6])
                         for k, r in old.items() if k not in new_keys)
        return HistoryDiff(scan_id=scan_id, scope=scope, previous_id=prev[0], previous_at=prev[1],
                           new=frozenset(new_keys - old.keys()), resolved=resolved)

    def scans(self, scope: str | None = None) -> list[ScanRow]:
        """Past scans, oldest first (of one scope, or all)."""
        sql = ("SELECT id, scope, started_at, tool_version, catalog_version, inputs, counts, problems, exit_code, notes"
               " FROM scans" + (" WHERE scope = ?" if scope is not None else "") + " ORDER BY id")
        return [ScanRow(r[0], r[1], r[2], r[3], r[4], tuple(json.loads(r[5])), json.loads(r[6]), r[7], r[8],
                        tuple(json.loads(r[9])))
                for r in self.db.execute(sql, (scope,) if scope is not None else ())]

    def compare(self, old_id: int, new_id: int) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]], int]:
        """Findings of scan ``new_id`` not in ``old_id`` (new), of ``old_id`` not in ``new_id``
        (resolved), and how many are in both: rows of (policy, input, subject, status, message)."""
        for sid in (old_id, new_id):
            if self.db.execute("SELECT 1 FROM scans WHERE id = ?", (sid,)).fetchone() is None:
                raise UsageError(f"no scan {sid} in the history", str(self.path))

        def rows(sid: int) -> dict[str, tuple[str, ...]]:
            return {r[0]: tuple(r[1:]) for r in self.db.execute(
                "SELECT key, policy_id, input, subject, status, message FROM findings WHERE scan_id = ? ORDER BY key", (sid,))}

        old, new = rows(old_id), rows(new_id)
        return ([v for k, v in new.items() if k not in old], [v for k, v in old.items() if k not in new],
                len(old.keys() & new.keys()))


def _notes(result: ScanResult) -> Sequence[str]:
    return getattr(result, "notes", ())


def default_scope(result: ScanResult, scopes: Sequence[str]) -> str:
    """The scope of a scan: what its sources said (``aws:ACCOUNT,...``), else its inputs."""
    return " ".join(sorted(set(scopes))) if scopes else " ".join(result.inputs)


def render_scans(rows: Sequence[ScanRow], fmt: str = "text") -> str:
    """The ``sovpolicy history`` listing."""
    if fmt == "json":
        return json.dumps([{"id": r.id, "scope": r.scope, "started_at": r.started_at, "tool_version": r.tool_version,
                            "catalog_version": r.catalog_version, "inputs": list(r.inputs), "counts": r.counts,
                            "problems": r.problems, "exit_code": r.exit_code, "notes": list(r.notes)} for r in rows],
                          indent=2) + "\n"
    if not rows:
        return "no scans\n"
    out = [f"{'id':>5}  {'started (UTC)':<25}  {'exit':>4}  {'blocking':>8}  {'failed':>6}  {'unknown':>7}  "
           f"{'waived':>6}  {'resources':>9}  {'problems':>8}  scope"]
    for r in rows:
        c = r.counts
        out.append(f"{r.id:>5}  {r.started_at:<25}  {r.exit_code:>4}  {c.get('blocking', 0):>8}  {c.get('failed', 0):>6}  "
                   f"{c.get('unknown', 0):>7}  {c.get('waived', 0):>6}  {c.get('resources', 0):>9}  {r.problems:>8}  {r.scope}")
    return "\n".join(out) + "\n"


def render_compare(h: History, old: int, new: int, fmt: str = "text") -> str:
    """The ``sovpolicy history --diff OLD NEW`` report."""
    added, resolved, same = h.compare(old, new)
    names = ("policy_id", "input", "subject", "status", "message")
    if fmt == "json":
        return json.dumps({"old": old, "new": new, "unchanged": same,
                           "new_findings": [dict(zip(names, r)) for r in added],
                           "resolved": [dict(zip(names, r)) for r in resolved]}, indent=2) + "\n"
    out = [f"scan {old} -> scan {new}: {len(added)} new, {len(resolved)} resolved, {same} unchanged"]
    out += [f"NEW      {r[3]:<8} {r[0]} {r[2]} ({r[1]})" for r in added]
    out += [f"RESOLVED {r[3]:<8} {r[0]} {r[2]} ({r[1]})" for r in resolved]
    return "\n".join(out) + "\n"
