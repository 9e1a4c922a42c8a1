"""The short form of an exception that every one-line message embeds."""

from __future__ import annotations


def short_error(exc: BaseException, limit: int = 200, with_type: bool = False) -> str:
    """The first non-empty line of `exc`'s message, at most `limit` characters.

    An empty message gives the exception's type name. With `with_type`, the type name is put in
    front ("OSError: ..."), for reports that list failures of many kinds (`vfi doctor`, bench rows).
    """
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    text = lines[0].strip() if lines else ""
    if with_type or not text:
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text[:limit]
