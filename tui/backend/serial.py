"""Snapshots to and from JSON (``internals-tui snapshot --json``, ``--replay``, fixtures).

Model objects become plain JSON types (dataclasses become objects); reading back rebuilds each
dataclass from the type hints, and each source's value from the type its registry entry names.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

from .model import Snapshot, T


def to_jsonable(obj: Any) -> Any:
    """Turn a model object into plain JSON types (dataclasses become dicts)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (tuple, list)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    return obj


def from_jsonable(tp: Any, data: Any) -> Any:
    """Rebuild a model object of type ``tp`` from :func:`to_jsonable` output."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if data is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return from_jsonable(arg, data)
            except (TypeError, ValueError, KeyError):
                continue
        raise ValueError(f"no member of {tp} accepts {data!r}")
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_jsonable(args[0], v) for v in data)
        return tuple(from_jsonable(a, v) for a, v in zip(args, data, strict=True))
    if dataclasses.is_dataclass(origin or tp):
        cls = origin or tp
        hints = typing.get_type_hints(cls)
        if origin is not None:  # Sourced[X]: substitute the type parameter
            (param,) = typing.get_args(tp)
            hints = {k: (param if v is T else v) for k, v in hints.items()}
        if not isinstance(data, dict):
            raise TypeError(f"{cls.__name__} needs an object, got {data!r}")
        kwargs = {f.name: from_jsonable(hints[f.name], data[f.name])
                  for f in dataclasses.fields(cls) if f.name in data}
        return cls(**kwargs)
    if tp is Any or tp is T:
        return data
    if tp is float and isinstance(data, int):
        return float(data)
    if isinstance(tp, type) and not isinstance(data, tp):
        raise TypeError(f"expected {tp.__name__}, got {data!r}")
    return data


def snapshot_from_jsonable(data: dict[str, Any], value_types: dict[str, Any] | None = None) -> Snapshot:
    """Read back a snapshot written by ``internals-tui snapshot --json``.

    Source values are typed by ``value_types`` (name → type, from the source registry);
    without it they stay plain JSON. A recorded source this build does not know is dropped.
    """
    snap: Snapshot = from_jsonable(Snapshot, data)
    if value_types is None:
        return snap
    typed = tuple(dataclasses.replace(r, value=None if r.value is None else from_jsonable(value_types[r.name], r.value))
                  for r in snap.sources if r.name in value_types)
    return dataclasses.replace(snap, sources=typed)
