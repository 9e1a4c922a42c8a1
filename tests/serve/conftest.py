"""Fixtures of the serving tests: a served checkpoint and a module's server (served_process.py)."""

from __future__ import annotations

import pytest
from served_process import start_server


@pytest.fixture(scope="session")
def served_checkpoint(tmp_path_factory):
    """A random-weight RIFE 4.0 fast checkpoint (what is served does not need to be trained)."""
    import vfi.models

    return vfi.models.save(vfi.models.create("rife-4.0-fast"), tmp_path_factory.mktemp("serve") / "fast.safetensors")


@pytest.fixture(scope="module")
def server(served_checkpoint):
    served = start_server(served_checkpoint, "--max-batch", "8", "--max-queue-delay-us", "20000", "--max-side", "256")
    yield served
    served.stop()
