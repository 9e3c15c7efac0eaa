"""Evidence bundles: what a scan read, what it concluded, and a manifest that proves neither changed.

``sovpolicy scan --evidence DIR`` writes (all JSON is 2-space indented UTF-8)::

    DIR/inputs.json              each input's path, size and SHA-256 (digests only: plans
                                 hold sensitive values in clear, so they are not copied)
    DIR/catalog.json             catalog version and date, SHA-256 of every catalog file used
    DIR/policies.json            each policy applied: id, pack, severity, enforcement,
                                 where it came from, SHA-256, and its copy below
    DIR/policies/<pack>/<ID>.yaml  copies of the policy files
    DIR/inventory.json           the resolved resources: placement, host, data classes
    DIR/findings.json            the JSON report (``--format json``)
    DIR/assessment-results.json  the same scan as OSCAL 1.1.3 assessment results
    DIR/manifest.json            format, generated_at, tool, SHA-256 and size of every file above
    DIR/manifest.sig             optional: Ed25519 signature of manifest.json, base64

``sovpolicy verify DIR`` recomputes every digest (:func:`verify_bundle`). Signing needs the
optional ``cryptography`` package (``pip install 'sovpolicy[sign]'``), imported only when
a key is given.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .catalog import Catalog
from .catalog.paths import data_dir
from .errors import InputError, UsageError
from .model import ScanResult
from .packs import builtin_policy_dir
from .policy import Policy
from .report.common import display_path, dump_json
from .report.json import render_json, report_dict
from .report.oscal import render_oscal, timestamp

FORMAT = "sovpolicy-evidence/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks.

    Raises:
        OSError: the file cannot be read.
    """
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _origin(path: Path, builtin_root: Path) -> str:
    """``builtin/<relative path>`` for a shipped file, else the path as reports show it."""
    try:
        return "builtin/" + path.resolve().relative_to(builtin_root.resolve()).as_posix()
    except ValueError:
        return display_path(str(path))


def prepare_directory(directory: Path) -> None:
    """Check that ``directory`` can receive a bundle: absent or an empty directory.

    Raises:
        UsageError: it is a file or a non-empty directory (a bundle is never written
            over other files, which ``verify`` would then report as extra).
    """
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise UsageError("the evidence directory must be absent or empty", str(directory))


def load_private_key(path: Path) -> Any:
    """Read an unencrypted Ed25519 private key in PEM (for ``write_bundle(sign_key=...)``).

    Raises:
        UsageError: ``cryptography`` is not installed, or the file is unreadable or not
            an unencrypted Ed25519 private key (the message never shows key material).
    """
    return _load_key(path, private=True)


def load_public_key(path: Path) -> Any:
    """Read an Ed25519 public key in PEM (for :func:`verify_bundle`).

    Raises:
        UsageError: ``cryptography`` is not installed, or the file is unreadable or not an
            Ed25519 public key.
    """
    return _load_key(path, private=False)


def _load_key(path: Path, private: bool) -> Any:
    serialization, ed25519 = _crypto()
    kind = "private" if private else "public"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read the {kind} key: {exc.strerror}", str(path)) from None
    try:
        key = serialization.load_pem_private_key(data, password=None) if private else serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        raise UsageError(f"not an unencrypted PEM {kind} key", str(path)) from None
    if not isinstance(key, ed25519.Ed25519PrivateKey if private else ed25519.Ed25519PublicKey):
        raise UsageError(f"the {kind} key must be an Ed25519 key", str(path))
    return key


def _crypto() -> tuple[Any, Any]:
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        raise UsageError("signing needs the optional 'cryptography' package: pip install 'sovpolicy[sign]'") from None
    return serialization, ed25519


def _bundle_files(result: ScanResult, inputs: Sequence[Path], catalog: Catalog, policies: Sequence[Policy],
                  generated_at: dt.datetime) -> dict[str, bytes]:
    """Every file of the bundle but the manifest and signature, by POSIX path inside it."""
    files: dict[str, bytes] = {}
    try:
        files["inputs.json"] = dump_json(_inputs(result, inputs)).encode()
        files["catalog.json"] = dump_json({
            "version": catalog.version, "as_of": catalog.as_of.isoformat(), "digest": catalog.digest,
            "files": [{"path": _origin(p, data_dir()), "sha256": sha256_file(p)} for p in catalog.files]}).encode()
        builtin = builtin_policy_dir()
        listed = []
        for pol in sorted(policies, key=lambda p: p.id):
            copy = f"policies/{pol.pack}/{pol.path.name}"
            files[copy] = pol.path.read_bytes()
            listed.append({"id": pol.id, "pack": pol.pack, "title": pol.title, "severity": pol.severity.value,
                           "enforcement": pol.enforcement.value, "origin": _origin(pol.path, builtin),
                           "copy": copy, "sha256": hashlib.sha256(files[copy]).hexdigest()})
        files["policies.json"] = dump_json(listed).encode()
    except OSError as exc:
        raise InputError(f"cannot read a file for the evidence bundle: {exc.strerror}", exc.filename) from None
    report = report_dict(result)
    files["inventory.json"] = dump_json({"resources": report["resources"], "hosts": report["hosts"]}).encode()
    files["findings.json"] = render_json(result).encode()
    files["assessment-results.json"] = render_oscal(result, generated_at).encode()
    return files


def _inputs(result: ScanResult, inputs: Sequence[Path]) -> list[dict[str, Any]]:
    """Each file the scan read, with the digest of the bytes it read (a module directory
    stands for its files and variables files); inputs the sources did not list (a live
    scan has none) are digested now, when they are regular files."""
    listed = [{"path": display_path(f.path), "bytes": f.size, "sha256": f.sha256} for f in result.input_files]
    if listed:
        return listed
    return [{"path": display_path(str(p)), "bytes": p.stat().st_size, "sha256": sha256_file(p)}
            for p in inputs if p.is_file()]


def write_bundle(directory: Path, result: ScanResult, inputs: Sequence[Path], catalog: Catalog,
                 policies: Sequence[Policy], generated_at: dt.datetime | None = None,
                 sign_key: Any | None = None) -> list[str]:
    """Write an evidence bundle of one scan into ``directory`` (absent or empty).

    Args:
        directory: where to write; created with its parents.
        result: the scan.
        inputs: the files the scan read (digested, not copied).
        catalog: the catalog the scan used (``catalog.files`` are digested).
        policies: the policies evaluated (copied and digested).
        generated_at: the time recorded in the manifest and the OSCAL document
            (default: now, UTC); pass a fixed value for reproducible bundles.
        sign_key: an Ed25519 private key from :func:`load_private_key`, or None.

    Returns:
        The paths written inside ``directory``, sorted, manifest and signature last.

    Raises:
        UsageError: ``directory`` is a file or not empty, or cannot be written.
        InputError: an input, catalog or policy file cannot be read any more.
    """
    prepare_directory(directory)
    moment = generated_at or dt.datetime.now(dt.timezone.utc)
    files = _bundle_files(result, inputs, catalog, policies, moment)
    manifest = {
        "format": FORMAT,
        "generated_at": timestamp(moment),
        "tool": {"name": "sovpolicy", "version": __version__},
        "algorithm": "sha256",
        "files": [{"path": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                  for name, data in sorted(files.items())],
    }
    files[MANIFEST] = dump_json(manifest).encode()
    if sign_key is not None:
        files[SIGNATURE] = base64.b64encode(sign_key.sign(files[MANIFEST])) + b"\n"
    try:
        for name, data in files.items():
            target = directory / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    except OSError as exc:
        raise UsageError(f"cannot write the evidence bundle: {exc.strerror}", str(directory)) from None
    names = sorted(n for n in files if n not in (MANIFEST, SIGNATURE))
    return names + [n for n in (MANIFEST, SIGNATURE) if n in files]


@dataclass(frozen=True)
class Verification:
    """The outcome of :func:`verify_bundle`.

    Attributes:
        problem: the first discrepancy, e.g. ``"changed: findings.json"``, or None when intact.
        files: how many files the manifest lists.
        generated_at: the manifest's timestamp.
        signature: ``"verified"``, ``"not checked"`` (no key given) or ``"absent"``.
    """

    problem: str | None
    files: int
    generated_at: str
    signature: str

    @property
    def intact(self) -> bool:
        """True when every digest (and the signature, if checked) matches."""
        return self.problem is None


def _read_manifest(directory: Path) -> tuple[bytes, str, dict[str, str]]:
    where = str(directory / MANIFEST)
    if not directory.is_dir():
        raise InputError("not an evidence bundle: no such directory", str(directory))
    try:
        if not (directory / MANIFEST).is_file():  # a FIFO or a device would block or never end
            raise OSError
        raw = (directory / MANIFEST).read_bytes()
    except OSError:
        raise InputError(f"not an evidence bundle: no readable {MANIFEST}", str(directory)) from None
    try:
        doc = json.loads(raw)
        if doc.get("format") != FORMAT:
            raise ValueError
        listed = {e["path"]: e["sha256"] for e in doc["files"]}
        generated = str(doc["generated_at"])
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise InputError(f"not an evidence bundle: expected a {FORMAT} manifest", where) from None
    for name in listed:
        if not isinstance(name, str) or name.startswith("/") or ".." in name.split("/"):
            raise InputError(f"not an evidence bundle: the manifest lists a path outside the bundle: {name!r}", where)
    return raw, generated, listed


def verify_bundle(directory: Path, public_key: Any | None = None) -> Verification:
    """Re-check every file of a bundle against its manifest, then the signature if a key is given.

    Files are checked in path order; the first discrepancy is reported as ``changed:
    PATH``, ``missing: PATH`` or ``extra: PATH`` (a file the manifest does not list), then
    ``manifest.sig: ...`` when the signature is missing or does not match.

    Raises:
        InputError: ``directory`` is not a bundle (no directory, no readable manifest of
            this format).
    """
    raw, generated, listed = _read_manifest(directory)
    try:  # every entry but directories: a FIFO, a device or a link is "extra" or "changed" too
        present = {p.relative_to(directory).as_posix() for p in directory.rglob("*")
                   if p.is_symlink() or not p.is_dir()}
    except OSError as exc:
        raise InputError(f"cannot list the evidence bundle: {exc.strerror}", str(directory)) from None
    present -= {MANIFEST, SIGNATURE}
    problem = None
    for name in sorted(present | set(listed)):
        if name not in listed:
            problem = f"extra: {name}"
        elif name not in present:
            problem = f"missing: {name}"
        else:
            problem = _check_file(directory / name, name, listed[name])
        if problem:
            break
    signed = (directory / SIGNATURE).is_file()
    signature = "not checked" if signed else "absent"
    if problem is None and public_key is not None:
        problem, signature = _check_signature(directory, raw, public_key)
    return Verification(problem, len(listed), generated, signature)


def _check_file(path: Path, name: str, digest: str) -> str | None:
    """``changed: NAME`` when the file is not the regular file the manifest lists."""
    try:
        if path.is_symlink() or not stat.S_ISREG(path.stat().st_mode):
            return f"changed: {name} (not a regular file)"
        if sha256_file(path) != digest:
            return f"changed: {name}"
    except OSError as exc:
        return f"changed: {name} (cannot read: {exc.strerror})"
    return None


def _check_signature(directory: Path, manifest: bytes, public_key: Any) -> tuple[str | None, str]:
    from cryptography.exceptions import InvalidSignature

    try:
        if not (directory / SIGNATURE).is_file():
            raise OSError
        signature = base64.b64decode((directory / SIGNATURE).read_bytes().strip(), validate=True)
    except OSError:
        return f"{SIGNATURE}: missing, but a public key was given", "absent"
    except ValueError:
        return f"{SIGNATURE}: not base64", "invalid"
    try:
        public_key.verify(signature, manifest)
    except InvalidSignature:
        return f"{SIGNATURE}: does not match {MANIFEST} with this public key", "invalid"
    return None, "verified"
