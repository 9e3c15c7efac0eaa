"""End to end through main(argv): the README example, JSON contract, exit codes, secrets."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import EXAMPLE_PLAN, FIXTURES

from sovpolicy.cli import main

# Reports are checked on the pinned packs and catalog (tests/data/pinned/README.md).
pytestmark = pytest.mark.usefixtures("pinned")

AS_OF = ["--as-of", "2026-11-30"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_example_blocks_with_explanation(capsys):
    code, out, err = run(capsys, "scan", str(EXAMPLE_PLAN), *AS_OF)
    assert code == 1, err
    block = out.split("BLOCKING aws_s3_bucket.analytics_exports (health, personal, sensitive)")[1].split("\n\n")[0]
    assert "region aws us-east-1 from a literal in its provider configuration" in block
    assert "us-east-1 (US East (N. Virginia)) is in United States, outside the EEA [" in block
    assert "FAIL (blocking)    SOV-HDS-002" in block and "United States (US) is not in the EEA [" in block
    paris = out.split("BLOCKING aws_s3_bucket.patient_records (health, personal, sensitive)")[1].split("\n\n")[0]
    assert "PASS               SOV-HDS-002" in paris and "France (FR) is in the EEA" in paris
    assert "example-only-not-a-secret" not in out + err
    assert "\nSources:\n  [1] " in out


def test_example_json_report_contract(capsys):
    code, out, _ = run(capsys, "scan", str(EXAMPLE_PLAN), "--format", "json", *AS_OF)
    assert code == 1
    report = json.loads(out)
    assert report["schema_version"] == "2.0"
    assert {r["input"] for r in report["resources"]} == {str(EXAMPLE_PLAN)}
    res = {r["address"]: r for r in report["resources"]}
    assert all(r["flows"] == [] for r in report["resources"])  # the example copies nothing elsewhere
    assert all(f["flow"] is None for f in report["findings"])
    exports = res["aws_s3_bucket.analytics_exports"]
    assert exports["type"] == "aws_s3_bucket"
    want = {"cloud": "aws", "region": "us-east-1", "country": "US", "origin": "provider", "eea": False}
    assert {k: exports["placement"][k] for k in want} == want
    assert exports["data_classes"] == ["health", "personal", "sensitive"]  # health implies its parents (classes.yaml)
    assert res["aws_cloudwatch_log_group.app"]["data_classes"] == []
    by = {(f["policy_id"], f["address"]): f for f in report["findings"]}
    eea = by[("SOV-HDS-002", "aws_s3_bucket.analytics_exports")]
    assert (eea["pack"], eea["status"], eea["blocking"]) == ("hds", "fail", True)
    paris = by[("SOV-HDS-002", "aws_s3_bucket.patient_records")]
    assert (paris["status"], paris["blocking"]) == ("pass", False)
    ext = by[("SOV-EXT-001", "aws_s3_bucket.patient_records")]
    assert (ext["pack"], ext["status"], ext["blocking"]) == ("extraterritorial", "fail", True)
    assert report["summary"]["exit_code"] == 1
    assert "example-only-not-a-secret" not in out


def test_unresolved_health_resource_is_unknown_and_blocks(tmp_path, capsys):
    cfg = tmp_path / ".sovpolicy.yaml"
    cfg.write_text("classification:\n  default: [health]\n")
    plan = FIXTURES / "plans" / "no-region-anywhere" / "plan.json"
    code, out, _ = run(capsys, "scan", str(plan), "--config", str(cfg), "--format", "json", *AS_OF)
    report = json.loads(out)
    statuses = {f["policy_id"]: (f["status"], f["blocking"]) for f in report["findings"]}
    assert statuses == {"SOV-EXT-001": ("unknown", True), "SOV-HDS-001": ("unknown", True), "SOV-HDS-002": ("unknown", True),
                        "SOV-HDS-003": ("unknown", True), "SOV-HDS-004": ("unknown", False)}  # 004 is advisory
    assert code == 1


def test_pack_selection_and_fail_on(capsys):
    code, out, _ = run(capsys, "scan", str(EXAMPLE_PLAN), "--pack", "extraterritorial", "--format", "json", *AS_OF)
    assert {f["pack"] for f in json.loads(out)["findings"]} == {"extraterritorial"}
    code, out, _ = run(capsys, "scan", str(EXAMPLE_PLAN), "--pack", "extraterritorial", "--fail-on", "critical", *AS_OF)
    assert code == 0  # SOV-EXT-001 is high severity
    code, _, _ = run(capsys, "scan", str(EXAMPLE_PLAN), "--soft-fail", *AS_OF)
    assert code == 0


def test_several_formats_to_files(tmp_path, capsys):
    j = tmp_path / "r.json"
    code, out, _ = run(capsys, "scan", str(EXAMPLE_PLAN), "--format", "text", "--format", f"json:{j}", *AS_OF)
    assert code == 1 and "BLOCKING" in out
    assert json.loads(j.read_text())["summary"]["blocking"] >= 1


@pytest.mark.parametrize("argv", [["scan"], ["scan", "x.json", "--format", "yaml"], ["nope"], ["scan", "missing.json"]])
def test_usage_errors_exit_2_without_traceback(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith("sovpolicy: error:") and "Traceback" not in err


def test_malformed_config_names_file_and_place(tmp_path, capsys):
    cfg = tmp_path / ".sovpolicy.yaml"
    cfg.write_text("classification:\n  default: health\n")
    code, _, err = run(capsys, "scan", str(EXAMPLE_PLAN), "--config", str(cfg))
    assert code == 2 and str(cfg) in err and "$.classification.default" in err


def test_explain_prints_the_chain(capsys):
    code, out, _ = run(capsys, "explain", "aws_s3_bucket.analytics_exports", "--plan", str(EXAMPLE_PLAN), *AS_OF)
    assert code == 0
    assert "provider_config['aws.virginia']" in out
    assert "United States" in out and "FAIL (blocking) SOV-HDS-002" in out


def test_internal_error_goes_to_a_log_not_the_terminal(monkeypatch, capsys):
    import sovpolicy.cli as cli

    def boom(args):
        raise RuntimeError("bug")

    monkeypatch.setitem(cli.COMMANDS, "policies", boom)
    code, _, err = run(capsys, "policies", "list")
    assert code == 4 and "Traceback" not in err and "sovpolicy-crash-" in err


def test_console_script_runs_as_a_process():
    proc = subprocess.run([sys.executable, "-m", "sovpolicy", "scan", str(EXAMPLE_PLAN), "--format", "json", *AS_OF],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["summary"]["exit_code"] == 1


def test_every_format_to_its_file_in_one_run(tmp_path, capsys):
    files = {fmt: tmp_path / f"report.{fmt}" for fmt in ("json", "sarif", "junit", "markdown")}
    argv = [a for fmt, path in files.items() for a in ("--format", fmt, "--output", str(path))]
    code, out, _ = run(capsys, "scan", str(EXAMPLE_PLAN), *argv, "--format", "github", *AS_OF)
    assert code == 1
    assert out.count("::error file=") == 5
    assert json.loads(files["sarif"].read_text())["version"] == "2.1.0"
    assert files["junit"].read_text().startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="sovpolicy"')
    assert files["markdown"].read_text().startswith("## ❌ sovpolicy: 5 blocking findings")
    assert "example-only-not-a-secret" not in out + "".join(p.read_text() for p in files.values())


@pytest.mark.parametrize(("body", "line", "needle"), [
    ("waivers:\n  - {policy: SOV-EXT-001, address: a.b, reason: why not, expires: 2026-02-30}\n", 2, "'2026-02-30'"),
    ("classification:\n  rules:\n    - {class: helth, module: module.ehr}\n", 3, "unknown data class 'helth'"),
    ("classification:\n  default: [health, persnal]\n", 2, "unknown data class 'persnal'"),
    ("packs: [eea-residency]\nresidency:\n  adequacy: [CH, US]\n", 3, "US cannot be accepted by country"),
])
def test_config_mistakes_exit_2_naming_file_and_line(tmp_path, capsys, body, line, needle):
    cfg = tmp_path / ".sovpolicy.yaml"
    cfg.write_text(body)
    code, _, err = run(capsys, "scan", str(EXAMPLE_PLAN), "--config", str(cfg), *AS_OF)
    assert code == 2 and f"{cfg}:{line}" in err and needle in err and "internal error" not in err


def test_soft_fail_is_the_exit_code_every_report_gives(capsys, tmp_path):
    code, out, _ = run(capsys, "scan", str(EXAMPLE_PLAN), "--soft-fail", "--format", "json", *AS_OF)
    report = json.loads(out)
    assert code == 0 and report["summary"]["exit_code"] == 0 and report["summary"]["blocking"] > 0


def test_output_naming_a_directory_is_refused(capsys, tmp_path):
    code, _, err = run(capsys, "scan", str(EXAMPLE_PLAN), "--format", f"sarif:{tmp_path}/", *AS_OF)
    assert code == 2 and "names a directory" in err


def test_the_command_ends_at_once_with_its_code_and_its_output_written():
    """``python -m sovpolicy`` (and the ``sovpolicy`` script) end the process without freeing
    it (:func:`sovpolicy.cli.run`): the report on standard output is whole and the code is the scan's."""
    proc = subprocess.run([sys.executable, "-m", "sovpolicy", "scan", str(EXAMPLE_PLAN), "--format", "json"],
                          capture_output=True, timeout=120)
    report = json.loads(proc.stdout)
    assert proc.returncode == 1 == report["summary"]["exit_code"] and report["summary"]["blocking"] > 0


def test_the_cycle_collector_resumes_after_a_scan_unless_the_process_ends_at_once(monkeypatch):
    import gc

    import sovpolicy.cli as cli

    assert gc.isenabled()
    with cli._cyclic_gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()  # in-process callers (tests, pre-commit's Python) get it back
    monkeypatch.setattr(cli, "_ENDING_AT_ONCE", True)
    try:
        with cli._cyclic_gc_paused():
            pass
        assert not gc.isenabled()  # ending at once: no last walk over the scan's objects
    finally:
        gc.enable()


def test_a_standard_output_closed_before_the_end_makes_the_outcome_unknown():
    import os

    read, write = os.pipe()
    os.close(read)  # nobody reads: the version cannot be written
    try:
        proc = subprocess.run([sys.executable, "-m", "sovpolicy", "--version"], stdout=write, stderr=subprocess.PIPE,
                              timeout=60)
    finally:
        os.close(write)
    assert proc.returncode == 2
    assert proc.stderr.decode().strip() == "sovpolicy: error: standard output closed before the output was written"
