"""Scan history (``scan --history FILE``, ``sovpolicy history``): findings marked new or
unchanged against the previous scan of the same scope, resolved ones listed; the schema
versioned and migrated; one transaction per scan; two writers at once."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sovpolicy.cli import main
from sovpolicy.history import MIGRATIONS, SCHEMA_VERSION, History

ITEM = {"version": "1.3", "accountId": "111122223333", "configurationItemCaptureTime": "2026-11-30T08:00:00.000Z",
        "resourceType": "AWS::S3::Bucket", "awsRegion": "us-east-1", "tags": {"data_classification": "health"},
        "configurationItemStatus": "OK"}


def _export(path: Path, *buckets: tuple[str, str]) -> Path:
    items = [{**ITEM, "arn": f"arn:aws:s3:::{name}", "resourceId": name, "awsRegion": region} for name, region in buckets]
    path.write_text(json.dumps(items), encoding="utf-8")
    return path


def _scan_json(tmp_path: Path, export: Path, db: Path, capsys) -> dict:
    out = tmp_path / "report.json"
    code = main(["scan", str(export), "--history", str(db), "--format", "json", "--output", str(out), "--no-cache"])
    capsys.readouterr()
    assert code == 1
    return json.loads(out.read_text(encoding="utf-8"))


def test_new_unchanged_and_resolved_against_the_previous_scan(tmp_path, capsys):
    db = tmp_path / "history.db"
    export = _export(tmp_path / "inventory.json", ("alpha", "us-east-1"), ("beta", "us-east-1"))
    first = _scan_json(tmp_path, export, db, capsys)
    assert first["history"]["previous_scan_id"] is None
    assert {f["history"] for f in first["findings"] if f["status"] != "pass"} == {"new"}
    _export(export, ("beta", "us-east-1"), ("gamma", "us-east-1"))
    second = _scan_json(tmp_path, export, db, capsys)
    h = second["history"]
    assert (h["scan_id"], h["previous_scan_id"]) == (2, 1)
    marks = {(f["policy_id"], f["address"]): f["history"] for f in second["findings"] if f["status"] != "pass"}
    assert marks[("SOV-HDS-002", "arn:aws:s3:::beta")] == "unchanged"
    assert marks[("SOV-HDS-002", "arn:aws:s3:::gamma")] == "new"
    resolved = {(r["policy_id"], r["address"]) for r in h["resolved"]}
    assert ("SOV-HDS-002", "arn:aws:s3:::alpha") in resolved
    assert not any(addr == "arn:aws:s3:::beta" for _, addr in resolved)
    assert h["new"] == sum(1 for f in second["findings"] if f.get("history") == "new") > 0
    # the text report says the same
    code = main(["scan", str(export), "--history", str(db), "--no-cache"])
    text = capsys.readouterr().out
    assert code == 1
    assert "HISTORY scan 3 (" in text and "against scan 2 of" in text and ": 0 new, " in text and ", 0 resolved" in text
    assert "FAIL (blocking) [unchanged]" in text


def test_scopes_are_compared_apart(tmp_path, capsys):
    db = tmp_path / "history.db"
    a = _export(tmp_path / "a.json", ("alpha", "us-east-1"))
    b = _export(tmp_path / "b.json", ("alpha", "us-east-1"))
    _scan_json(tmp_path, a, db, capsys)
    second = _scan_json(tmp_path, b, db, capsys)
    assert second["history"]["previous_scan_id"] is None  # another input: another scope


def test_history_command_lists_scans_and_diffs_two(tmp_path, capsys):
    db = tmp_path / "history.db"
    export = _export(tmp_path / "inventory.json", ("alpha", "us-east-1"))
    _scan_json(tmp_path, export, db, capsys)
    _export(export, ("beta", "eu-west-3"))
    _scan_json(tmp_path, export, db, capsys)
    assert main(["history", str(db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["id", "started", "(UTC)"] and len(lines) == 3
    assert lines[1].split()[0] == "1" and lines[1].split()[-1] == str(export)
    assert main(["history", str(db), "--diff", "1", "2", "--format", "json"]) == 0
    diff = json.loads(capsys.readouterr().out)
    assert {r["subject"].split(" ")[0] for r in diff["resolved"]} == {"arn:aws:s3:::alpha"}
    assert {r["subject"].split(" ")[0] for r in diff["new_findings"]} == {"arn:aws:s3:::beta"}
    assert main(["history", str(db), "--diff", "1", "7"]) == 2
    assert "no scan 7" in capsys.readouterr().err


def test_an_old_schema_is_migrated(tmp_path):
    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    for sql in MIGRATIONS[0]:
        con.execute(sql)
    con.execute("INSERT INTO scans (scope, started_at, tool_version, catalog_version, inputs, counts, problems, exit_code) "
                "VALUES ('aws:1', '2026-11-01T00:00:00+00:00', '0.1', 'c', '[]', '{}', 0, 0)")
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    with History(db) as h:
        (row,) = h.scans()
        assert (row.scope, row.notes) == ("aws:1", ())
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2


@pytest.mark.parametrize(("content", "message"), [
    (None, "written by a newer sovpolicy"),
    ("other", "a SQLite database of something else"),
    (b"this is not a database, just text" * 100, "not a sovpolicy history database"),
])
def test_unreadable_history_exits_2_before_scanning(tmp_path, capsys, content, message):
    db = tmp_path / "h.db"
    if content is None:
        sqlite3.connect(db).execute("PRAGMA user_version = 99").connection.commit()
    elif content == "other":
        sqlite3.connect(db).execute("CREATE TABLE invoices (id INTEGER)").connection.commit()
    else:
        db.write_bytes(content)
    export = _export(tmp_path / "inventory.json", ("alpha", "us-east-1"))
    assert main(["scan", str(export), "--history", str(db), "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert message in err and str(db) in err and err.count("\n") == 1


CHILD = textwrap.dedent("""
    import datetime as dt, os, signal, sys
    from pathlib import Path
    from sovpolicy.catalog import load_catalog
    from sovpolicy.config import load_config
    from sovpolicy.history import History
    from sovpolicy.pipeline import scan
    from sovpolicy.policy import load_packs
    from sovpolicy.sources.registry import file_sources
    db, export, mode, n = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    result = scan(file_sources([export]), load_config(None), load_catalog(), load_packs(None), dt.date(2026, 11, 30))
    with History(db) as h:
        if mode == "kill":
            with h.transaction() as con:
                h.insert_scan(con, result, "killed", "2026-12-01T00:00:00+00:00")
                os.kill(os.getpid(), signal.SIGKILL)
        for _ in range(n):
            h.record(result, str(export), dt.datetime.now(dt.timezone.utc))
""")


def test_a_killed_scan_leaves_the_history_as_it_was(tmp_path, capsys):
    db = tmp_path / "history.db"
    export = _export(tmp_path / "inventory.json", ("alpha", "us-east-1"))
    _scan_json(tmp_path, export, db, capsys)
    child = subprocess.run([sys.executable, "-c", CHILD, str(db), str(export), "kill", "0"], capture_output=True, timeout=120)
    assert child.returncode == -9
    with History(db) as h:
        assert [s.scope for s in h.scans()] == [str(export)]
        assert h.db.execute("SELECT COUNT(*) FROM findings WHERE scan_id > 1").fetchone()[0] == 0


@pytest.mark.slow
def test_two_jobs_write_at_once(tmp_path):
    db = tmp_path / "history.db"
    export = _export(tmp_path / "inventory.json", ("alpha", "us-east-1"), ("beta", "eu-west-3"))
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(export), "write", "25"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
    with History(db) as h:
        scans = h.scans()
        assert len(scans) == 50 and [s.id for s in scans] == list(range(1, 51))
        counts = h.db.execute("SELECT scan_id, COUNT(*) FROM findings GROUP BY scan_id").fetchall()
        assert len({c for _, c in counts}) == 1 and len(counts) == 50
