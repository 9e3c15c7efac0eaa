"""Tags in the shapes providers give them, as one ``{key: value}`` map.

Which attribute holds a provider's tags, and in which shape, is catalog data
(``tag_attributes`` in ``providers.yaml``); this module only reads the shapes:

* ``map``: ``{"data_classification": "health"}`` (AWS, Azure, Google labels...);
* ``key-value-list``: ``[{"key": "data_classification", "value": "health"}]`` (Outscale,
  AWS Cloud Control); in source, also repeated ``tags { key = ... value = ... }`` blocks;
* ``string-list``: ``["data_classification=health", "env:prod", "health"]`` (Scaleway): a
  string with ``=`` or ``:`` is a key and a value; bare strings are values under the
  empty key (comma-separated), which the classifier reads as classification values.

Values that are not text (numbers, booleans) become text; anything else is skipped.
"""

from __future__ import annotations

from typing import Any

_SCALARS = (str, int, float, bool)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def tag_map(value: Any, shape: str) -> dict[str, str]:
    """The tags of one attribute value of the given shape (see the module text)."""
    out: dict[str, str] = {}
    if shape == "map":
        if isinstance(value, dict):
            out = {k: v for k, v in value.items() if type(v) is str}  # the usual case: text only
            if len(out) != len(value):
                out = {k: v if type(v) is str else _text(v) for k, v in value.items() if isinstance(v, _SCALARS)}
    elif shape == "key-value-list":
        if isinstance(value, list):
            for item in value:
                if isinstance(item, dict) and isinstance(item.get("key"), str) and isinstance(item.get("value"), _SCALARS):
                    out[item["key"]] = _text(item["value"])
    elif shape == "string-list":
        if isinstance(value, list):
            for item in value:
                if isinstance(item, str):
                    key, sep, val = item.partition("=") if "=" in item else item.partition(":")
                    if sep:
                        out[key.strip()] = val.strip()
                    else:  # bare values share the empty key, comma-separated
                        out[""] = f"{out[''] },{item.strip()}" if "" in out else item.strip()
    return out
