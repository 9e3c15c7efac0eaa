#!/usr/bin/env bash
# Regenerate tests/data/golden/ from the current renderers, then show what changed.
# Review the diff by eye before committing: the goldens are the reports' contract.
set -euo pipefail
cd "$(dirname "$0")/.."
SOVPOLICY_UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/test_report_golden.py
git status --short tests/data/golden
git diff --stat tests/data/golden
