"""Which files and directories Terraform (and OpenTofu) read, by name.

Apart from the readers, which import the parser: the registry, the root finder
(:mod:`.hclroots`) and the caches' dependencies (:mod:`.modulecache`) need only the names.
"""

from __future__ import annotations

from pathlib import Path

SKIP_DIRS = frozenset({".terraform", ".git"})
"""Directories never read: providers and modules Terraform downloaded, and git's own."""

#: configuration file suffixes: Terraform's, and OpenTofu's (``.tofu`` files, which OpenTofu
#: reads instead of the ``.tf`` file of the same name)
CONFIG_SUFFIXES = (".tf", ".tf.json", ".tofu", ".tofu.json")

#: variable file suffixes
TFVARS_SUFFIXES = (".tfvars", ".tfvars.json")


def is_config(name: str) -> bool:
    return name.endswith(CONFIG_SUFFIXES)


def is_terraform_file(path: Path) -> bool:
    """True for configuration files (``.tf``, ``.tf.json``, ``.tofu``, ``.tofu.json``) and
    ``.tfvars``/``.tfvars.json`` files."""
    return path.name.endswith((*CONFIG_SUFFIXES, *TFVARS_SUFFIXES))
