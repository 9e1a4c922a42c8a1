"""Distance indexing (Zhong et al., "Clearer Frames, Anytime: Resolving Velocity Ambiguity in Video
Frame Interpolation", 2023, arXiv 2311.08007): models conditioned on a per-pixel distance map.

A time-indexed model is asked for the frame at time t, but from two frames alone the position of
an object at t is ambiguous (its speed along the path is unknown), so training on time indices
teaches the model to average the candidates: blur. Distance indexing replaces t by D_t [N,1,H,W],
the fraction of its path from I_0 to I_1 that each pixel has covered in the target frame (computed
from optical flow for the training targets). At inference a uniform map equal to t is given
(uniform motion); a non-uniform map lets a user retime parts of the frame.

Here:
  * `RIFEDI`: RIFE 4.0, whose timestep is already a channel concatenated to every flow
    block's input, declared as taking maps ("rife-4.0-di"). Same parameters as RIFE 4.0, so
    RIFE's pretrained weights initialise it (`rife_di_from_pretrained`) for fine-tuning with D_t
    maps; no distance-indexed RIFE weights are published.
  * "ifrnet-di" (registered in the catalogue): `vfi.models.ifrnet.IFRNet` with timestep_mode "map".
  * `iterative_inference`: the paper's iterative reference-based estimation.
"""

from __future__ import annotations

import dataclasses

import torch

from vfi.core.errors import InputError
from vfi.models.rife import RIFE


class RIFEDI(RIFE):
    """RIFE 4.0 taking a distance map: `t` may be a float, [N], [N,1,1,1] or [N,1,H,W] map.

    The architecture and parameters are RIFE 4.0's (see `vfi.models.rife`); only the
    declared timestep mode differs, so that cards, pipelines and exporters pass D_t maps to it.
    """

    timestep_mode = "map"


def rife_di_from_pretrained(source: str = "rife-4.0", **overrides) -> RIFEDI:
    """A "rife-4.0-di" model initialised with pretrained RIFE 4.0 weights, for fine-tuning.

    `source` is a registered RIFE name or a checkpoint path (`vfi.models.load`); `overrides` are
    hyper-parameters of the new model (e.g. ``mode="fast"``). The card's provenance records that
    the weights were trained with time indices, not distance maps.
    """
    import vfi.models as vm

    pretrained = vm.load(source)
    if pretrained.card.family != "rife":
        raise InputError(f"{source!r} is a {pretrained.card.family} model; rife-4.0-di starts from rife-4.0 weights")
    hparams = {**pretrained.card.hparams, **overrides}
    model = vm.create("rife-4.0-di", **hparams)
    model.load_state_dict(pretrained.state_dict(), strict=True)
    model.card = dataclasses.replace(
        model.card,
        provenance={
            "source": "initialisation from time-indexed RIFE 4.0 weights; fine-tune with distance maps",
            "initialised_from": dict(pretrained.card.provenance),
        },
    )
    return model.eval()


def iterative_inference(model, img0: torch.Tensor, img1: torch.Tensor, t=0.5, steps: int = 2) -> torch.Tensor:
    """The frame at distance `t` reached in `steps` equal steps, each from the previous estimate.

    Approach (the paper's iterative reference-based estimation): instead of one jump from I_0 to
    distance t, step k (1..steps) predicts the frame at distance r_k = t * k / steps from the
    current reference R (I_0 at first, then the previous prediction) and I_1. R sits at distance
    r_{k-1} of the way from I_0 to I_1, so the target lies (r_k - r_{k-1}) / (1 - r_{k-1}) of the
    way from R to I_1; that local distance is what the model is given. With steps = 1 this is the
    direct call ``model(img0, img1, t)``. For t = 1 the last step's local distance is exactly 1.

    Assumptions:
      * distances are linear along each pixel's path: the remaining path from a prediction at
        r_{k-1} to I_1 is the rest of the same path, so distances rescale as above;
      * each prediction is good enough to serve as a real input frame (errors compound over steps;
        the paper trains its recurrent variants on their own predictions, we do not);
      * the paper's recurrent ("R-") networks take I_0, I_1, the previous estimate and both
        distance maps as inputs; this function instead works with any two-frame model, trading
        that extra context for not needing a special architecture.

    Args:
        model: a VFI model ``model(img0, img1, t)``. A per-pixel map `t` needs a model whose
            ``timestep_mode`` is "map"; fixed-timestep models (middle frame only) are refused.
        img0, img1: frames [N,3,H,W] in [0, 1] (padded to the model's pad multiple).
        t: distance in [0, 1]: a float, an [N] / [N,1,1,1] tensor or an [N,1,H,W] map. The local
            distances keep the form given (a float stays a float), so scalar models work too.
        steps: number of steps (>= 1).

    Returns:
        The frame at distance `t`, [N,3,H,W].
    """
    if steps < 1:
        raise InputError(f"iterative inference needs steps >= 1; got {steps}")
    mode = getattr(model, "timestep_mode", "scalar")
    if mode == "fixed":
        raise InputError("iterative inference needs a model that accepts any timestep; this one predicts t=0.5 only")
    if torch.is_tensor(t) and t.dim() == 4 and t.shape[-2:] != (1, 1) and mode != "map":
        raise InputError(f"a per-pixel distance map needs a distance-indexing model (timestep_mode 'map'); this one is {mode!r}")
    if not torch.is_tensor(t) and not 0.0 <= float(t) <= 1.0:
        raise InputError(f"distance t must be in [0, 1]; got {t}")
    reference = img0
    covered = 0.0  # distance of the current reference from img0 (same form as t)
    for k in range(1, steps + 1):
        target = t * k / steps if k < steps else t
        local = (target - covered) / (1 - covered)
        reference = model(reference, img1, local)
        covered = target
    return reference
