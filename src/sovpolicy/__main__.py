"""``python -m sovpolicy``."""

from .cli import run

run()
