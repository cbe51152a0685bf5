"""The one error NML reading raises, and the small typed attribute readers that produce it."""

from __future__ import annotations

import math
from typing import Any

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
UINT64_MAX = 2**64 - 1


class NmlError(ValueError):
    """A bad NML: `message` says what is wrong, `line` where (1-based; None when the file has no such place,
    e.g. a size limit). `str()` gives both, ready for a 400 answer."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.message = message
        self.line = line
        super().__init__(f"line {line}: {message}" if line else message)


class NmlTooLarge(NmlError):
    """The NML exceeds the size limit the caller set (an HTTP layer may answer 413)."""


def shown(raw: str | None) -> str:
    """A value for an error message: quoted, and cut short (a hostile value may be megabytes long)."""
    if raw is None or len(raw) <= 40:
        return repr(raw)
    return repr(raw[:40]) + "…"


def source_line(el: Any) -> int | None:
    """The line an lxml element started on, for error messages (None when lxml did not record it)."""
    line = getattr(el, "sourceline", None)
    return int(line) if line else None


def attr_float(el: Any, name: str, default: float | None = None) -> float | None:
    """A finite float attribute (missing -> default)."""
    raw = el.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise NmlError(f"<{el.tag}> attribute {name}={shown(raw)} is not a number", source_line(el)) from None
    if not math.isfinite(value):
        raise NmlError(f"<{el.tag}> attribute {name}={shown(raw)} is not a finite number", source_line(el))
    return value


def attr_int(el: Any, name: str, default: int | None = None, *, maximum: int = INT64_MAX) -> int | None:
    """An integer attribute; "12.0" is accepted as 12 (webKnossos writes some ints as floats). Ids, times and
    coordinates are int64 everywhere downstream (numpy, the database, JSON), segment ids uint64 (`maximum`)."""
    raw = el.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        number = attr_float(el, name)
        if number is None or not float(number).is_integer():
            raise NmlError(
                f"<{el.tag}> attribute {name}={shown(raw)} is not an integer", source_line(el)
            ) from None
        value = int(number)
    if not INT64_MIN <= value <= maximum:
        raise NmlError(f"<{el.tag}> attribute {name}={shown(raw)} is out of range", source_line(el))
    return value


def required_int(el: Any, name: str, *, maximum: int = INT64_MAX) -> int:
    value = attr_int(el, name, maximum=maximum)
    if value is None:
        raise NmlError(f"<{el.tag}> lacks the attribute {name}", source_line(el))
    return value


def attr_bool(el: Any, name: str, default: bool | None = None) -> bool | None:
    raw = el.get(name)
    if raw is None:
        return default
    low = raw.strip().lower()
    if low in ("true", "1"):
        return True
    if low in ("false", "0"):
        return False
    raise NmlError(f"<{el.tag}> attribute {name}={shown(raw)} is not a boolean", source_line(el))


def attr_vec3(el: Any, names: tuple[str, str, str]) -> tuple[float, float, float] | None:
    """Three float attributes, all present or all absent."""
    values = [attr_float(el, n) for n in names]
    if all(v is None for v in values):
        return None
    if any(v is None for v in values):
        raise NmlError(f"<{el.tag}> needs all of {', '.join(names)}", source_line(el))
    return (values[0], values[1], values[2])  # type: ignore[return-value]


def attr_color(el: Any) -> tuple[float, float, float, float] | None:
    rgb = attr_vec3(el, ("color.r", "color.g", "color.b"))
    if rgb is None:
        return None
    alpha = attr_float(el, "color.a", 1.0)
    return (rgb[0], rgb[1], rgb[2], float(alpha if alpha is not None else 1.0))
