"""Real `terraform plan` + `terraform show -json`, offline, then scanned.

Needs terraform on PATH and a filesystem mirror of hashicorp/aws (SOVPOLICY_TF_MIRROR,
default /opt/tf-plugins); skips with the reason otherwise. The expected placements are
the hand-worked ones of test_sources_tfplan.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import FIXTURES
from test_sources_tfplan import EXPECTED

from sovpolicy.sources.tfplan import read_plan

MIRROR = Path(os.environ.get("SOVPOLICY_TF_MIRROR", "/opt/tf-plugins"))


@pytest.fixture(scope="module")
def tf_env(tmp_path_factory):
    if shutil.which("terraform") is None:
        pytest.skip("terraform is not on PATH")
    if not (MIRROR / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
        pytest.skip(f"no hashicorp/aws provider mirror under {MIRROR}")
    rc = tmp_path_factory.mktemp("tf") / "cli.tfrc"
    rc.write_text(f'provider_installation {{\n  filesystem_mirror {{\n    path = "{MIRROR}"\n'
                  '    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
                  '  direct { exclude = ["registry.terraform.io/hashicorp/aws"] }\n}\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    env.update(TF_CLI_CONFIG_FILE=str(rc), TF_IN_AUTOMATION="1", TF_INPUT="0", CHECKPOINT_DISABLE="1",
               AWS_ACCESS_KEY_ID="AKIAEXAMPLE000000000", AWS_SECRET_ACCESS_KEY="dummy-not-a-secret",
               AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_EC2_METADATA_DISABLED="true")
    return env


def _plan(case: str, tmp_path: Path, env: dict[str, str], *args: str, extra_env: dict[str, str] | None = None) -> Path:
    work = tmp_path / case
    shutil.copytree(FIXTURES / "plans" / case, work, ignore=shutil.ignore_patterns("plan.json", "before", ".terraform*"))
    run_env = {**env, **(extra_env or {})}
    for cmd in (["init", "-no-color"], ["plan", "-refresh=false", "-no-color", "-out=tfplan", *args]):
        proc = subprocess.run(["terraform", f"-chdir={work}", *cmd], env=run_env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    show = subprocess.run(["terraform", f"-chdir={work}", "show", "-json", "tfplan"], env=run_env,
                          capture_output=True, check=True)
    out = work / "plan.json"
    out.write_bytes(show.stdout)
    return out


@pytest.mark.slow
@pytest.mark.parametrize(("case", "args", "extra_env"), [
    ("aliases-three-regions", (), None),
    ("module-region-argument", (), None),
    ("region-from-variable", ("-var", "region=eu-west-3"), None),
    ("no-region-anywhere", (), {"AWS_REGION": "eu-west-3"}),
])
def test_fresh_terraform_plan_resolves_as_expected(tmp_path, tf_env, catalog, case, args, extra_env):
    plan = _plan(case, tmp_path, tf_env, *args, extra_env=extra_env)
    scan = read_plan(plan, catalog)
    got = {r.address: (r.placement.cloud, r.placement.region, r.placement.origin.value) for r in scan.resources}
    assert got == EXPECTED[case]
