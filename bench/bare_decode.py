#!/usr/bin/env python3
"""Baseline for the benchmark: a bare typed msgspec decode of a plan.

Usage::

    python bench/bare_decode.py PLAN.json

Reads the file with one ``read()`` into bytes and decodes only the fields a
placement scan needs (everything else, e.g. ``planned_values`` and the bulk of
``change.after``, is skipped by msgspec without building Python objects):

* ``resource_changes[]``: address, module_address, mode, type, name, index,
  provider_name, change.{actions, after (region, location, zone,
  availability_zone, tags, tags_all, resource_group_name), after_unknown and
  after_sensitive kept as ``msgspec.Raw``};
* ``configuration.provider_config``;
* ``configuration.root_module``: resources {address, provider_config_key} and
  module_calls, recursively;
* ``variables``.

Prints the number of resource changes decoded.  This is the floor any
msgspec-based scanner pays; ``bench_plan.py`` compares ``sovpolicy scan``
against it.
"""
from __future__ import annotations

import sys
from typing import Any, Dict, List, Optional, Union

import msgspec


class After(msgspec.Struct, kw_only=True):
    region: Optional[str] = None
    location: Optional[str] = None
    zone: Optional[str] = None
    availability_zone: Optional[str] = None
    # Not Dict[str, str]: google_compute_instance.tags and datadog_* tags are
    # lists, and some plans carry non-string tag values.
    tags: Union[Dict[str, Any], List[Any], None] = None
    tags_all: Union[Dict[str, Any], List[Any], None] = None
    resource_group_name: Optional[str] = None


class Change(msgspec.Struct, kw_only=True):
    actions: List[str]
    after: Optional[After] = None
    after_unknown: msgspec.Raw = msgspec.Raw(b"null")
    after_sensitive: msgspec.Raw = msgspec.Raw(b"null")


class ResourceChange(msgspec.Struct, kw_only=True):
    address: str
    module_address: Optional[str] = None
    mode: str = "managed"
    type: str
    name: str
    index: Union[int, str, None] = None
    provider_name: str
    change: Change


class ProviderConfig(msgspec.Struct, kw_only=True):
    name: str
    full_name: Optional[str] = None
    alias: Optional[str] = None
    module_address: Optional[str] = None
    version_constraint: Optional[str] = None
    expressions: Dict[str, Any] = {}


class ConfigResource(msgspec.Struct, kw_only=True):
    address: str
    provider_config_key: Optional[str] = None


class ModuleCall(msgspec.Struct, kw_only=True):
    source: Optional[str] = None
    module: Optional["ConfigModule"] = None


class ConfigModule(msgspec.Struct, kw_only=True):
    resources: List[ConfigResource] = []
    module_calls: Dict[str, ModuleCall] = {}


class Configuration(msgspec.Struct, kw_only=True):
    provider_config: Dict[str, ProviderConfig] = {}
    root_module: Optional[ConfigModule] = None


class Variable(msgspec.Struct, kw_only=True):
    value: Any = None


class Plan(msgspec.Struct, kw_only=True):
    format_version: Optional[str] = None
    terraform_version: Optional[str] = None
    variables: Dict[str, Variable] = {}
    resource_changes: List[ResourceChange] = []
    configuration: Optional[Configuration] = None


DECODER = msgspec.json.Decoder(Plan)


def main(argv: List[str]) -> int:
    if len(argv) != 2:
        print("usage: bare_decode.py PLAN.json", file=sys.stderr)
        return 2
    with open(argv[1], "rb") as f:
        data = f.read()
    plan = DECODER.decode(data)
    print(len(plan.resource_changes))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
