"""Renaming a reference checkpoint's parameter keys to ours: an ordered list of (regex, replacement)
rules, the first full match wins. Each importer (`rife_import`, `raft_import`) declares its rules."""

from __future__ import annotations

import re

from vfi.core.errors import CheckpointError

#: (compiled pattern, replacement): a template string for `re.Match.expand`, or a function of the match
KeyRules = list[tuple[re.Pattern, object]]


def rename_key(rules: KeyRules, reference_key: str, model: str) -> str:
    """Our parameter name for `reference_key` under `rules`; `CheckpointError` naming the key and
    `model` (the family, e.g. "RIFE") when no rule matches it."""
    for pattern, replacement in rules:
        match = pattern.fullmatch(reference_key)
        if match:
            return replacement(match) if callable(replacement) else match.expand(replacement)
    raise CheckpointError(f"reference {model} key {reference_key!r} has no counterpart in vfi's {model}")
