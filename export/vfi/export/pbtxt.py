"""Protobuf text format, the small subset Triton's config.pbtxt uses: write and parse.

A message is a dict; a repeated field is a list (of scalars or dicts); an enum value is an `Enum`
(written bare, e.g. ``TYPE_FP32``); strings are quoted. `loads` returns the same structure with
every field as a list of values (text format allows a field to repeat), which is what a test
needs to check a config structurally without Triton's model_config proto.

    text = dumps({"name": "rife", "max_batch_size": 8, "input": [{"name": "img0", "data_type": Enum("TYPE_FP32")}]})
    loads(text)["input"][0]["data_type"] == [Enum("TYPE_FP32")]
"""

from __future__ import annotations

import json
import re


class Enum(str):
    """An enum value, written without quotes."""


def _scalar(value) -> str:
    if isinstance(value, Enum):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    raise TypeError(f"cannot write {type(value).__name__} in protobuf text format")


def dumps(message: dict, indent: int = 0) -> str:
    """Text format of `message` (dict of field -> scalar, dict, or list of either)."""
    pad = "  " * indent
    lines = []
    for key, value in message.items():
        if isinstance(value, dict):
            lines.append(f"{pad}{key} {{\n{dumps(value, indent + 1)}{pad}}}\n")
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            items = ",\n".join(f"{pad}  {{\n{dumps(v, indent + 2)}{pad}  }}" for v in value)
            lines.append(f"{pad}{key} [\n{items}\n{pad}]\n")
        elif isinstance(value, list):
            lines.append(f"{pad}{key}: [ {', '.join(_scalar(v) for v in value)} ]\n")
        else:
            lines.append(f"{pad}{key}: {_scalar(value)}\n")
    return "".join(lines)


_TOKEN = re.compile(r'\s*(?:(#[^\n]*)|("(?:[^"\\]|\\.)*")|([{}\[\]:,<>])|([^\s{}\[\]:,<>"#]+))')


def _tokens(text: str) -> list[str]:
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ValueError(f"cannot parse protobuf text at offset {pos}: {text[pos : pos + 20]!r}")
        pos = match.end()
        if match.group(1):
            continue  # comment
        tokens.append(match.group(2) or match.group(3) or match.group(4))
    return tokens


def _value(token: str):
    if token.startswith('"'):
        return json.loads(token)
    if token in ("true", "false"):
        return token == "true"
    try:
        return int(token)
    except ValueError:
        pass
    try:
        return float(token)
    except ValueError:
        return Enum(token)


def loads(text: str) -> dict:
    """Parse text format into {field: [values]} (nested messages are dicts of the same form)."""
    tokens = _tokens(text)
    message, pos = _message(tokens, 0, end=None)
    return message


def _message(tokens: list[str], pos: int, end: str | None) -> tuple[dict, int]:
    message: dict[str, list] = {}
    while pos < len(tokens):
        if tokens[pos] == end:
            return message, pos + 1
        key = tokens[pos]
        pos += 1
        if pos < len(tokens) and tokens[pos] == ":":
            pos += 1
        values, pos = _field_value(tokens, pos)
        message.setdefault(key, []).extend(values)
        if pos < len(tokens) and tokens[pos] in (",", ";"):
            pos += 1
    if end is not None:
        raise ValueError(f"unterminated message: expected {end!r}")
    return message, pos


def _field_value(tokens: list[str], pos: int) -> tuple[list, int]:
    token = tokens[pos]
    if token in ("{", "<"):
        sub, pos = _message(tokens, pos + 1, end="}" if token == "{" else ">")
        return [sub], pos
    if token == "[":
        values, pos = [], pos + 1
        while tokens[pos] != "]":
            if tokens[pos] == ",":
                pos += 1
                continue
            items, pos = _field_value(tokens, pos)
            values.extend(items)
        return values, pos + 1
    return [_value(token)], pos + 1
