"""Evidence bundles: contents, determinism, OSCAL validity, tamper detection, Ed25519 signatures."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLE_PLAN, EXAMPLE_REL, GENERATED_AT, ROOT
from schema_check import errors, oscal_validator

from sovpolicy.cli import main
from sovpolicy.errors import InputError, UsageError
from sovpolicy.evidence import sha256_file, verify_bundle, write_bundle

# Reports are checked on the pinned packs and catalog (tests/data/pinned/README.md).
pytestmark = pytest.mark.usefixtures("pinned")

AS_OF = ["--as-of", "2026-11-30"]
EXPECTED = ["assessment-results.json", "catalog.json", "findings.json", "inputs.json", "inventory.json",
            "policies.json", "policies/extraterritorial/SOV-EXT-001.yaml", "policies/hds/SOV-HDS-001.yaml",
            "policies/hds/SOV-HDS-002.yaml", "policies/hds/SOV-HDS-003.yaml", "policies/hds/SOV-HDS-004.yaml"]


@pytest.fixture
def bundle(example_scan, pinned_catalog, tmp_path, monkeypatch):
    """A bundle of the example scan written from the checkout, with the fixed clock."""
    result, policies = example_scan
    monkeypatch.chdir(ROOT)
    out = tmp_path / "evidence"
    written = write_bundle(out, result, [Path(EXAMPLE_REL)], pinned_catalog, policies, GENERATED_AT)
    assert written == EXPECTED + ["manifest.json"]
    return out


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_bundle_contents(bundle, pinned_catalog):
    catalog = pinned_catalog
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["format"] == "sovpolicy-evidence/1" and manifest["generated_at"] == "2026-11-30T12:00:00Z"
    assert [f["path"] for f in manifest["files"]] == EXPECTED
    assert all(f["sha256"] == sha256_file(bundle / f["path"]) for f in manifest["files"])
    (plan,) = json.loads((bundle / "inputs.json").read_text())
    assert plan == {"path": EXAMPLE_REL, "bytes": EXAMPLE_PLAN.stat().st_size, "sha256": sha256_file(EXAMPLE_PLAN)}
    cat = json.loads((bundle / "catalog.json").read_text())
    assert cat["version"] == catalog.version and len(cat["files"]) == len(catalog.files)
    assert {"path": "builtin/clouds/aws.yaml", "sha256": sha256_file(next(p for p in catalog.files if p.name == "aws.yaml"))} in cat["files"]
    pols = json.loads((bundle / "policies.json").read_text())
    assert [p["origin"] for p in pols] == ["builtin/" + name.removeprefix("policies/") for name in EXPECTED if name.startswith("policies/")]
    assert all(p["sha256"] == sha256_file(bundle / p["copy"]) for p in pols)
    inventory = json.loads((bundle / "inventory.json").read_text())
    exports = next(r for r in inventory["resources"] if r["address"] == "aws_s3_bucket.analytics_exports")
    assert exports["placement"]["region"] == "us-east-1" and inventory["hosts"][exports["host"]]["parents"] == ["Amazon.com, Inc."]
    assert json.loads((bundle / "findings.json").read_text())["summary"]["blocking"] == 5
    text = "".join(p.read_text() for p in bundle.rglob("*") if p.is_file())
    assert "example-only-not-a-secret" not in text  # plans are digested, never copied


def test_oscal_document_is_schema_valid(bundle):
    doc = json.loads((bundle / "assessment-results.json").read_text())
    assert errors(oscal_validator(), doc) == []
    run_ = doc["assessment-results"]["results"][0]
    assert len(run_["findings"]) == 20 and len(run_["local-definitions"]["inventory-items"]) == 5
    # one placement observation per classified resource, shared by its findings, plus one verdict each
    assert len(run_["observations"]) == 4 + 20
    assert {len(f["related-observations"]) for f in run_["findings"]} == {2}
    states = {(f["target"]["target-id"], f["target"]["status"]["state"]) for f in run_["findings"]}
    assert ("SOV-HDS-002", "satisfied") in states and ("SOV-HDS-002", "not-satisfied") in states
    doc["assessment-results"]["uuid"] = "not-a-uuid"
    assert errors(oscal_validator(), doc)  # the validator is not vacuous


def test_waived_finding_in_oscal_is_schema_valid(example_result):
    from conftest import variant, waiver

    from sovpolicy.model import Status
    from sovpolicy.report.oscal import assessment_results

    doc = assessment_results(variant(example_result, status=Status.WAIVED, waiver=waiver(reason="ARS decision 42")),
                             GENERATED_AT)
    assert errors(oscal_validator(), doc) == []
    (finding,) = doc["assessment-results"]["results"][0]["findings"]
    assert finding["target"]["status"] == {
        "state": "not-satisfied", "reason": "other",
        "remarks": "Not satisfied, accepted by a waiver: waived at main.tf:41 until 2027-06-30: ARS decision 42"}


def test_same_scan_and_clock_give_the_same_bytes(bundle, example_scan, pinned_catalog, tmp_path):
    result, policies = example_scan
    again = tmp_path / "again"
    write_bundle(again, result, [Path(EXAMPLE_REL)], pinned_catalog, policies, GENERATED_AT)
    assert (again / "manifest.json").read_bytes() == (bundle / "manifest.json").read_bytes()


def test_verify_intact(bundle, capsys):
    code, out, _ = run(capsys, "verify", bundle)
    assert code == 0 and "intact: 11 files match manifest.json (generated 2026-11-30T12:00:00Z); signature absent" in out


@pytest.mark.parametrize("name", EXPECTED)
def test_one_changed_byte_is_named(bundle, capsys, name):
    path = bundle / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    code, _, err = run(capsys, "verify", bundle)
    assert code == 1 and f"altered: changed: {name}" in err


def test_missing_and_extra_files_are_named(bundle, capsys):
    (bundle / "policies" / "hds" / "SOV-HDS-002.yaml").unlink()
    code, _, err = run(capsys, "verify", bundle)
    assert code == 1 and "missing: policies/hds/SOV-HDS-002.yaml" in err
    extra = bundle / "aaa-note.txt"
    extra.write_text("added later")
    code, _, err = run(capsys, "verify", bundle)
    assert code == 1 and "extra: aaa-note.txt" in err


@pytest.mark.parametrize("content", [None, "{}", "not json", '{"format": "sovpolicy-evidence/1", "files": 3}',
                                     '{"format": "sovpolicy-evidence/1", "generated_at": "x", '
                                     '"files": [{"path": "../outside.json", "sha256": "00"}]}'])
def test_not_a_bundle_exits_2(tmp_path, capsys, content):
    if content is not None:
        (tmp_path / "manifest.json").write_text(content)
    code, _, err = run(capsys, "verify", tmp_path)
    assert code == 2 and "not an evidence bundle" in err and "Traceback" not in err
    with pytest.raises(InputError):
        verify_bundle(tmp_path / "absent")


def _keys(tmp_path, name="key"):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    priv, pub = tmp_path / f"{name}.pem", tmp_path / f"{name}.pub.pem"
    priv.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    pub.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return priv, pub


def test_scan_signs_and_verify_checks_the_signature(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796040000")  # 2026-11-30T12:00:00Z
    priv, pub = _keys(tmp_path)
    out = tmp_path / "ev"
    code, _, err = run(capsys, "scan", EXAMPLE_PLAN, *AS_OF, "--evidence", out, "--sign-key", priv, "--format", f"json:{tmp_path / 'r.json'}")
    assert code == 1, err
    assert json.loads((out / "manifest.json").read_text())["generated_at"] == "2026-11-30T12:00:00Z"
    code, stdout, _ = run(capsys, "verify", out, "--public-key", pub)
    assert code == 0 and "signature verified" in stdout
    _, other = _keys(tmp_path, "other")
    code, _, err = run(capsys, "verify", out, "--public-key", other)
    assert code == 1 and "manifest.sig: does not match manifest.json" in err
    # rewriting a file and its digest in the manifest is caught by the signature
    manifest = json.loads((out / "manifest.json").read_text())
    (out / "findings.json").write_text("{}\n")
    next(f for f in manifest["files"] if f["path"] == "findings.json")["sha256"] = sha256_file(out / "findings.json")
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert run(capsys, "verify", out)[0] == 0  # digests alone cannot tell
    code, _, err = run(capsys, "verify", out, "--public-key", pub)
    assert code == 1 and "manifest.sig" in err
    (out / "manifest.sig").unlink()
    code, _, err = run(capsys, "verify", out, "--public-key", pub)
    assert code == 1 and "manifest.sig: missing" in err


@pytest.mark.parametrize(("argv", "needle"), [
    (["--sign-key", "key.pem"], "give --evidence DIR too"),
    (["--evidence", "{tmp}/full"], "must be absent or empty"),
    (["--evidence", "{tmp}/ev", "--sign-key", "{tmp}/full/x"], "not an unencrypted PEM private key"),
    (["--evidence", "{tmp}/ev", "--sign-key", "{tmp}/missing.pem"], "cannot read the private key"),
])
def test_bad_evidence_options_exit_2(tmp_path, capsys, argv, needle):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    code, out, err = run(capsys, "scan", EXAMPLE_PLAN, *AS_OF, *[a.format(tmp=tmp_path) for a in argv])
    assert code == 2 and needle in err and "Traceback" not in err and out == ""
    assert "nope" not in err


def test_signing_without_cryptography_is_a_clear_error(tmp_path, capsys, monkeypatch):
    for name in ("cryptography", "cryptography.hazmat.primitives", "cryptography.hazmat.primitives.asymmetric"):
        monkeypatch.setitem(sys.modules, name, None)
    code, _, err = run(capsys, "scan", EXAMPLE_PLAN, *AS_OF, "--evidence", tmp_path / "ev", "--sign-key", tmp_path / "k.pem")
    assert code == 2 and "pip install 'sovpolicy[sign]'" in err
    with pytest.raises(UsageError):
        from sovpolicy.evidence import load_public_key

        load_public_key(tmp_path / "pub.pem")


def test_a_key_of_another_kind_is_refused(tmp_path, capsys):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    pem = tmp_path / "ec.pem"
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    code, _, err = run(capsys, "scan", EXAMPLE_PLAN, *AS_OF, "--evidence", tmp_path / "ev", "--sign-key", pem)
    assert code == 2 and "must be an Ed25519 key" in err and not (tmp_path / "ev").exists()
