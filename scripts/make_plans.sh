#!/usr/bin/env bash
# Regenerate the committed Terraform plans used by sovpolicy:
#
#   examples/hospital/plan.json
#   fixtures/plans/<case>/plan.json   (one per directory holding a main.tf, except
#                                      those marked HANDWRITTEN: Azure and Google,
#                                      whose providers have no offline mirror here)
#
# Each configuration is copied to a temporary directory and run there with
#   terraform init && terraform plan -refresh=false -out=tfplan &&
#   terraform show -json tfplan
# offline, against a local filesystem mirror of hashicorp/aws, with dummy
# credentials. Terraform's JSON is kept as is, only re-indented (2 spaces,
# key order unchanged) with `python3 -m json.tool` so diffs are readable.
# Nothing (.terraform/, lock files, tfplan, state) is left in the tree.
#
# Note: plan JSON carries a top-level "timestamp", so every run changes that
# one line in every plan.json; everything else is reproducible.
#
# Environment:
#   SOVPOLICY_TF_MIRROR  provider mirror (default /opt/tf-plugins)
#
# The replace-and-delete case needs a prior state: it applies before/main.tf
# against a local moto S3 server (moto_server, from `pip install
# 'moto[server]'`), then plans main.tf against that state. Without moto_server
# that case is skipped and its committed plan.json is kept.
#
# Usage: scripts/make_plans.sh [CASE ...]
#   With no argument, every plan is regenerated. With case names (directory
#   names under fixtures/plans/, or `example` for examples/hospital), only
#   those are, so a new case does not churn the timestamps of the others.
#
# Exits 0 without doing anything if terraform or the mirror is absent.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MIRROR="${SOVPOLICY_TF_MIRROR:-/opt/tf-plugins}"

if ! command -v terraform >/dev/null 2>&1; then
  echo "make_plans: terraform not found on PATH; nothing regenerated."
  exit 0
fi
if [ ! -d "$MIRROR/registry.terraform.io/hashicorp/aws" ]; then
  echo "make_plans: no hashicorp/aws provider mirror under $MIRROR; nothing regenerated."
  exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "make_plans: python3 not found; nothing regenerated."
  exit 0
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/sovpolicy-plans.XXXXXX")"
MOTO_PID=""
cleanup() {
  if [ -n "$MOTO_PID" ]; then
    kill "$MOTO_PID" 2>/dev/null || true
    wait "$MOTO_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

cat >"$WORK/cli.tfrc" <<EOF
provider_installation {
  filesystem_mirror {
    path    = "$MIRROR"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
EOF

# A clean, offline environment: nothing from the caller's AWS or Terraform
# setup may leak into the plans.
while IFS= read -r var; do unset "$var"; done < <(env | sed -n 's/^\(TF_VAR_[^=]*\)=.*/\1/p')
unset AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION AWS_SESSION_TOKEN AWS_ROLE_ARN \
  AWS_WEB_IDENTITY_TOKEN_FILE AWS_ENDPOINT_URL TF_DATA_DIR TF_WORKSPACE \
  TF_PLUGIN_CACHE_DIR TF_CLI_ARGS TF_CLI_ARGS_init TF_CLI_ARGS_plan TF_LOG
export TF_CLI_CONFIG_FILE="$WORK/cli.tfrc"
export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
export AWS_ACCESS_KEY_ID="AKIAEXAMPLE000000000"
export AWS_SECRET_ACCESS_KEY="dummy-secret-not-real"
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_EC2_METADATA_DISABLED=true

echo "make_plans: $(terraform version | head -n1), mirror $MIRROR"

# tf LOG DIR ARGS... : run terraform in DIR, output to LOG; show LOG on failure.
tf() {
  local log="$1" dir="$2"
  shift 2
  if ! terraform -chdir="$dir" "$@" -no-color >>"$log" 2>&1; then
    echo "make_plans: terraform $1 failed in $dir:" >&2
    cat "$log" >&2
    exit 1
  fi
}

# write_json DIR OUT : terraform show -json DIR/tfplan, re-indented, into OUT.
write_json() {
  local dir="$1" out="$2"
  terraform -chdir="$dir" show -json -no-color tfplan >"$dir/plan.raw.json"
  python3 -m json.tool --indent 2 "$dir/plan.raw.json" >"$dir/plan.pretty.json"
  python3 - "$dir/plan.pretty.json" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1]))
if plan.get("format_version") != "1.2":
    sys.exit("make_plans: unexpected format_version %r" % plan.get("format_version"))
PY
  mv "$dir/plan.pretty.json" "$out"
  echo "make_plans: wrote ${out#"$ROOT"/}"
}

# stage SRC NAME : copy the configuration SRC (no plan.json, no Terraform
# leftovers, no before/) into a fresh work dir; print its path.
stage() {
  local src="$1" name="$2" wd="$WORK/$2"
  mkdir -p "$wd"
  (cd "$src" && tar --exclude=./plan.json --exclude=./before \
    --exclude=.terraform --exclude=.terraform.lock.hcl --exclude=tfplan \
    --exclude='terraform.tfstate*' -cf - .) | (cd "$wd" && tar -xf -)
  echo "$wd"
}

# plan_case SRC OUT NAME [ENV=VAL...] [-- PLAN_ARGS...]
plan_case() {
  local src="$1" out="$2" name="$3"
  shift 3
  local envs=() args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do envs+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  args=("$@")
  local wd log
  wd="$(stage "$src" "$name")"
  log="$WORK/$name.log"
  (
    for kv in ${envs[@]+"${envs[@]}"}; do export "${kv?}"; done
    tf "$log" "$wd" init -input=false
    tf "$log" "$wd" plan -refresh=false -input=false -out=tfplan ${args[@]+"${args[@]}"}
    write_json "$wd" "$out"
  )
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# replace-and-delete: real prior state from applying before/ against moto.
replace_and_delete() {
  local src="$1" out="$2" name="replace-and-delete"
  if ! command -v moto_server >/dev/null 2>&1; then
    echo "make_plans: moto_server not found; skipping $name (committed plan.json kept)."
    return 0
  fi
  local wd log port
  wd="$WORK/$name"
  log="$WORK/$name.log"
  mkdir -p "$wd"
  cp "$src/before/main.tf" "$wd/main.tf"
  port="$(free_port)"
  MOTO_ACCOUNT_ID=111122223333 moto_server -H 127.0.0.1 -p "$port" >"$WORK/moto.log" 2>&1 &
  MOTO_PID=$!
  python3 - "$port" <<'PY'
import sys, time, urllib.request
url = "http://127.0.0.1:%s/moto-api/" % sys.argv[1]
for _ in range(100):
    try:
        urllib.request.urlopen(url, timeout=1)
        sys.exit(0)
    except Exception:
        time.sleep(0.2)
sys.exit("make_plans: moto_server did not start")
PY
  # Endpoint override used only for the apply; the plan below runs without it.
  cat >"$wd/moto_override.tf" <<EOF
provider "aws" {
  s3_use_path_style = true
  endpoints {
    s3 = "http://127.0.0.1:$port"
  }
}
EOF
  tf "$log" "$wd" init -input=false
  tf "$log" "$wd" apply -input=false -auto-approve
  kill "$MOTO_PID" 2>/dev/null || true
  wait "$MOTO_PID" 2>/dev/null || true
  MOTO_PID=""
  rm -f "$wd/moto_override.tf"
  cp "$src/main.tf" "$wd/main.tf"
  tf "$log" "$wd" plan -refresh=false -input=false -out=tfplan
  write_json "$wd" "$out"
}

# deployed_state SRC OUT : apply SRC/main.tf against moto, then write the real
# state (`terraform show -json`) to OUT.
deployed_state() {
  local src="$1" out="$2" name="state-deployed"
  if ! command -v moto_server >/dev/null 2>&1; then
    echo "make_plans: moto_server not found; skipping $name (committed state.json kept)."
    return 0
  fi
  local wd log port
  wd="$WORK/$name"
  log="$WORK/$name.log"
  mkdir -p "$wd"
  cp "$src/main.tf" "$wd/main.tf"
  port="$(free_port)"
  MOTO_ACCOUNT_ID=111122223333 moto_server -H 127.0.0.1 -p "$port" >"$WORK/moto-state.log" 2>&1 &
  MOTO_PID=$!
  sleep 2
  local p
  for p in "" virginia; do
    {
      echo 'provider "aws" {'
      [ -n "$p" ] && echo "  alias = \"$p\""
      echo '  s3_use_path_style = true'
      echo "  endpoints {"
      echo "    s3       = \"http://127.0.0.1:$port\""
      echo "    dynamodb = \"http://127.0.0.1:$port\""
      echo "  }"
      echo "}"
    } >>"$wd/moto_override.tf"
  done
  tf "$log" "$wd" init -input=false
  tf "$log" "$wd" apply -input=false -auto-approve
  kill "$MOTO_PID" 2>/dev/null || true
  wait "$MOTO_PID" 2>/dev/null || true
  MOTO_PID=""
  terraform -chdir="$wd" show -json -no-color >"$wd/state.raw.json"
  python3 -m json.tool --indent 2 "$wd/state.raw.json" >"$out"
  echo "make_plans: wrote ${out#"$ROOT"/}"
}

# wanted NAME : true when NAME was asked for (or nothing was asked for).
wanted() {
  [ ${#ONLY[@]} -eq 0 ] && return 0
  local n
  for n in "${ONLY[@]}"; do [ "$n" = "$1" ] && return 0; done
  return 1
}
ONLY=("$@")
for n in ${ONLY[@]+"${ONLY[@]}"}; do
  if [ "$n" != example ] && [ "$n" != state-deployed ] && [ ! -f "$ROOT/fixtures/plans/$n/main.tf" ]; then
    echo "make_plans: no case $n (fixtures/plans/$n/main.tf)" >&2
    exit 2
  fi
done

if wanted example; then
  plan_case "$ROOT/examples/hospital" "$ROOT/examples/hospital/plan.json" example-hospital
fi

for dir in "$ROOT"/fixtures/plans/*/; do
  dir="${dir%/}"
  [ -f "$dir/main.tf" ] || continue
  name="$(basename "$dir")"
  wanted "$name" || continue
  if [ -f "$dir/HANDWRITTEN" ]; then
    # No offline provider for it here: its plan.json is written by hand (see fixtures/plans/README.md).
    echo "make_plans: $name has a hand-written plan.json; kept."
    continue
  fi
  case "$name" in
    region-from-variable)
      plan_case "$dir" "$dir/plan.json" "$name" -- -var region=eu-west-3
      # the same configuration for a second environment: same addresses, another region
      plan_case "$dir" "$dir/plan-us-east-1.json" "$name-us" -- -var region=us-east-1 ;;
    no-region-anywhere)
      plan_case "$dir" "$dir/plan.json" "$name" AWS_REGION=eu-west-3 ;;
    replace-and-delete)
      replace_and_delete "$dir" "$dir/plan.json" ;;
    *)
      plan_case "$dir" "$dir/plan.json" "$name" ;;
  esac
done

if wanted state-deployed; then
  deployed_state "$ROOT/fixtures/states/deployed" "$ROOT/fixtures/states/deployed/state.json"
fi

echo "make_plans: done."
