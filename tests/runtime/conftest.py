"""Fixtures of the runtime tests; the test doubles live in runtime_doubles.py."""

from __future__ import annotations

import pytest
from runtime_doubles import make_tiny_warp_net


@pytest.fixture
def tiny_net():
    return make_tiny_warp_net()


@pytest.fixture
def graph_cache(tmp_path, monkeypatch):
    """An empty, private vfi cache folder (exported graphs land here)."""
    monkeypatch.setenv("VFI_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"
