"""The pre-commit hook end to end, with the real `pre-commit` tool and real `git commit`s.

This checkout's hook files (``.pre-commit-hooks.yaml``, the package) are copied into a
throw-away hook repository, which a user repository in tmp lists in its
``.pre-commit-config.yaml``; ``pre-commit install`` puts the git hook in place. pre-commit
builds the hook's virtual environment (pip installs sovpolicy and its dependencies: CI
reaches PyPI) once per test session, in a session-wide ``PRE_COMMIT_HOME``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

BAD = '''provider "aws" {
  region = "eu-west-3"
}

provider "aws" {
  alias  = "virginia"
  region = "us-east-1"
}

resource "aws_s3_bucket" "exports" {
  provider = aws.virginia
  tags     = { data_classification = "health" }
}
'''
GOOD = '''terraform {
  required_providers {
    scaleway = { source = "scaleway/scaleway" }
  }
}

provider "scaleway" {
  region = "fr-par"
}

resource "scaleway_object_bucket" "exports" {
  name = "exports"
  tags = { data_classification = "health" }
}
'''


def _git(cwd: Path, *args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=check, timeout=600)


@pytest.fixture(scope="session")
def hook_env(tmp_path_factory):
    """A committed copy of this checkout's hook files, and an environment for git and pre-commit."""
    pre_commit = Path(sys.executable).parent / "pre-commit"
    if not pre_commit.exists() or shutil.which("git") is None:
        pytest.skip("pre-commit (the [test] extra) or git is not installed")
    base = tmp_path_factory.mktemp("precommit")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(PRE_COMMIT_HOME=str(base / "home"), GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.org", GIT_CONFIG_NOSYSTEM="1",
               HOME=str(base), XDG_CACHE_HOME=str(base / "cache"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    hooks = base / "hook-repo"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".venv", "*.egg-info")
    shutil.copytree(ROOT / "src", hooks / "src", ignore=ignore)
    shutil.copytree(ROOT / "policies", hooks / "policies", ignore=ignore)
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(ROOT / name, hooks / name)
    _git(hooks, "init", "-q", "-b", "main", env=env)
    _git(hooks, "add", "-A", env=env)
    _git(hooks, "commit", "-q", "-m", "hooks", env=env)
    rev = _git(hooks, "rev-parse", "HEAD", env=env).stdout.strip()
    return {"env": env, "hooks": hooks, "rev": rev, "base": base, "pre_commit": str(pre_commit)}


def _user_repo(hook_env: dict, path: Path, hook: str) -> Path:
    """A new git repository whose .pre-commit-config.yaml uses one hook of the hook repository."""
    path.mkdir()
    _git(path, "init", "-q", "-b", "main", env=hook_env["env"])
    (path / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_env['hooks']}\n    rev: {hook_env['rev']}\n    hooks:\n      - {hook}\n")
    return path


@pytest.mark.slow
def test_commit_blocked_then_passing(hook_env, tmp_path):
    env = hook_env["env"]
    # Block on the critical policies (HDS-certified host, data in the EEA) only.
    repo = _user_repo(hook_env, tmp_path / "infra", "{id: sovpolicy, args: [--as-of, '2026-11-30', --fail-on, critical]}")
    subprocess.run([hook_env["pre_commit"], "install"], cwd=repo, env=env, check=True, capture_output=True, timeout=120)
    (repo / "main.tf").write_text(BAD)
    _git(repo, "add", "-A", env=env)
    blocked = _git(repo, "commit", "-m", "exports in Virginia", env=env, check=False)
    out = blocked.stdout + blocked.stderr
    if "An unexpected error has occurred" in out and "pip" in out:
        pytest.fail(f"pre-commit could not build the hook environment (PyPI needed):\n{out[-3000:]}")
    assert blocked.returncode != 0, out
    assert "sovpolicy (health data and sovereignty policies on Terraform)" in out and "Failed" in out
    assert "BLOCKING aws_s3_bucket.exports (health, personal, sensitive) [main.tf:10]" in out
    assert "us-east-1 (US East (N. Virginia)) is in United States, outside the EEA" in out
    assert 'main.tf:7 provider "aws" (alias "virginia") region' in out
    assert _git(repo, "log", "--oneline", env=env, check=False).returncode != 0  # nothing was committed

    (repo / "main.tf").write_text(GOOD)
    _git(repo, "add", "-A", env=env)
    passed = _git(repo, "commit", "-m", "exports in Paris on Scaleway", env=env, check=False)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout + passed.stderr
    assert "exports in Paris on Scaleway" in _git(repo, "log", "--oneline", env=env).stdout


@pytest.mark.slow
def test_config_hook_rejects_a_bad_sovpolicy_yaml(hook_env, tmp_path):
    env = hook_env["env"]
    repo = _user_repo(hook_env, tmp_path / "proj", "{id: sovpolicy-config}")
    (repo / ".sovpolicy.yaml").write_text("classification:\n  default: health\n")
    _git(repo, "add", "-A", env=env)
    run = subprocess.run([hook_env["pre_commit"], "run", "--all-files"], cwd=repo, env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode != 0 and ".sovpolicy.yaml:2: $.classification.default" in run.stdout + run.stderr
