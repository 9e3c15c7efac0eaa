#!/usr/bin/env python3
"""Baseline for ``bench_hcl.py``: python-hcl2's own parse of a module tree, nothing else.

Usage::

    python bench/bare_hcl_parse.py DIR

Calls ``hcl2.load`` (python-hcl2's documented API: parse and serialise to a dict) on
every ``.tf`` and ``.tfvars`` file under DIR (``.terraform/`` excluded), reading each with
``utf-8-sig``, and ``json.load`` on ``.tf.json``/``.tfvars.json`` files. A file that does
not parse is counted and skipped. Prints ``files parsed failed``.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import hcl2


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: bare_hcl_parse.py DIR", file=sys.stderr)
        return 2
    files = sorted(p for p in Path(argv[1]).rglob("*") if p.is_file() and ".terraform" not in p.parts
                   and p.name.endswith((".tf", ".tfvars", ".tf.json", ".tfvars.json")))
    failed = 0
    for path in files:
        try:
            with open(path, encoding="utf-8-sig") as fh:
                if path.name.endswith(".json"):
                    json.load(fh)
                else:
                    hcl2.load(fh)
        except Exception:  # noqa: BLE001 - a baseline counts failures, it does not report them
            failed += 1
    print(len(files), len(files) - failed, failed)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
