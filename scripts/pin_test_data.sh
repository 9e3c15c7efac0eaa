#!/usr/bin/env bash
# Refresh the tests' pinned copies of the built-in policy packs and catalog
# (tests/data/pinned/), then regenerate the goldens. The report and golden tests run
# on these copies, so adding a policy to a shipped pack or a fact to the catalog does
# not change them; refresh when a report change is meant to show in the goldens, or
# when the catalog's format changes. Review every diff by eye before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf tests/data/pinned/policies tests/data/pinned/catalog
cp -r policies tests/data/pinned/policies
cp -r src/sovpolicy/catalog/data tests/data/pinned/catalog
find tests/data/pinned -name '__pycache__' -prune -exec rm -rf {} +
bash scripts/update_goldens.sh
