"""Narrow hyper-parameters of the big models, shared by the tests that build them (same structure
and ops as the full models, far fewer channels, so they run in seconds on 2 CPU cores).

Imported as `narrow_models` (tests/ is on sys.path through its conftest)."""

from __future__ import annotations

#: RAFT with narrow encoders and a 2-level, radius-2 correlation pyramid
NARROW_RAFT = {"encoder_widths": (8, 12, 16), "feature_dim": 16, "hidden_dim": 8, "context_dim": 8, "levels": 2, "radius": 2}

#: DBVFI's subnets at narrow widths, one RAFT iteration over the narrow RAFT (steps and alphas
#: stay the variant's unless a test sets them)
NARROW_DBVFI = {
    "width": 8,
    "unet_widths": (8, 16, 32),
    "state_channels": 8,
    "style_width": 16,
    "style_input": 8,
    "mapping_layers": 2,
    "raft_iters": 1,
    "flow_hparams": NARROW_RAFT,
}
