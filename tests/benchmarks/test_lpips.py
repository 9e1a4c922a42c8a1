"""LPIPS is optional: without its package or weights it is left out with a note, never downloaded."""

from __future__ import annotations

from vfi.benchmarks.lpips import lpips_metric


def test_lpips_is_omitted_with_a_note_when_unavailable():
    metric, note = lpips_metric()
    if metric is None:
        assert note.startswith("LPIPS omitted")
