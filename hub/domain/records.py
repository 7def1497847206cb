"""How the domain's frozen records become plain data: ``as_dict`` (a dataclass to dicts,
tuples kept) for the tables, ``plain`` (JSON-safe: lists and ISO times) for what is shown or
stored as it came. Shared by both aggregates."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from typing import Any

_FIELDS: dict[type, tuple[str, ...]] = {}
_SCALARS = frozenset({str, int, float, bool, type(None), datetime, date})


def as_dict(value: Any) -> Any:
    """``dataclasses.asdict`` without its deep copies (the values here are immutable or are
    rebuilt): the same shape, tuples kept as tuples, several times faster on a patient record,
    which every event of the episodes stage writes."""
    kind = type(value)
    if kind in _SCALARS:
        return value  # most values: no lookup, no dataclass check
    names = _FIELDS.get(kind)
    if names is None and is_dataclass(value) and not isinstance(value, type):
        names = _FIELDS[kind] = tuple(f.name for f in fields(value))
    if names is not None:
        return {name: as_dict(getattr(value, name)) for name in names}
    if kind is tuple:
        return tuple(as_dict(v) for v in value)
    if kind is list:
        return [as_dict(v) for v in value]
    if kind is dict:
        return {k: as_dict(v) for k, v in value.items()}
    return value


def plain(value: Any) -> Any:
    """A JSON-safe copy: tuples become lists and times become ISO strings, so what goes in a
    timeline entry or an attempt is exactly what comes back from the table."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def as_dict_with(value: Any, convert: Mapping[str, Callable[[Any], Any]]) -> dict[str, Any]:
    """``as_dict`` of one dataclass in a single pass, the fields named in ``convert`` given by
    their own function instead (typed times written as ISO 8601 at the edge, say)."""
    kind = type(value)
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(f.name for f in fields(value))
    return {name: convert[name](getattr(value, name)) if name in convert
            else as_dict(getattr(value, name)) for name in names}
