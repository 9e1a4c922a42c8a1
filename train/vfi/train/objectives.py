"""Per-family training objectives: `build_objective(family, model, teacher=None, **weights)`.

An objective turns a batch (``img0``, ``img1``, ``gt`` [N,3,H,W], ``t`` [N]) into a scalar loss
and a dict of its terms (floats, for logs): ``loss, terms = objective(batch)``. Families:

    rife-4.0      Charbonnier + census on the frame; flow distillation when a teacher is given
    ifrnet         Charbonnier + census, flow distillation (teacher optional), geometry consistency
    cain           L1
    cspa           Charbonnier + texture consistency
    ugsp           UGSP's own terms (`UGSP.training_losses`), optional self-contrast
    rife-4.0-di   rife-4.0's terms; the model gets the distance map D_t from the teacher
    ifrnet-di      ifrnet's terms; the model gets the distance map D_t from the teacher
    dbvfi          sum_k alpha_k L1 over the K refinement steps; the batch's context frames
                   (img_m1, img2) are model inputs; a RAFT teacher becomes its frozen flow network

`family` may also be any registered model name (`vfi.models.names()`): "rife-4.0-fast" trains
with the rife-4.0 objective, "ifrnet-s"/"ifrnet-l" with ifrnet's, "ifrnet-di" (an IFRNet in
"map" mode) with ifrnet-di's. A model that takes distance maps (``timestep_mode == "map"``) always
gets the distance-indexing objective of its family, so ``build_objective(model.card.family, ...)``
works for "ifrnet-di" too (its card's family is "ifrnet"). Weights are keyword arguments named after the terms (see each class's
``DEFAULTS``); a weight of 0 drops its term (and its computation).
"""

from __future__ import annotations

import torch

from vfi.core.errors import InputError
from vfi.train.losses.census import census_loss
from vfi.train.losses.charbonnier import charbonnier
from vfi.train.losses.distance_index import STILL_EPS, distance_index
from vfi.train.losses.flow_distillation import ROBUSTNESS_MODES, flow_distillation_loss, robustness_weight
from vfi.train.losses.geometry import geometry_consistency
from vfi.train.losses.l1 import l1_loss
from vfi.train.losses.texture_consistency import texture_consistency_loss
from vfi.train.losses.ugsp import ugsp_losses
from vfi.train.teacher import Teacher


class Objective:
    """Base class: holds the model, the optional teacher and the term weights.

    Subclasses define ``DEFAULTS`` (term -> weight), ``OPTIONS`` (non-weight settings -> default)
    and ``terms(batch) -> dict[str, Tensor]`` (unweighted terms); the loss is the weighted sum.
    """

    family = ""
    requires_teacher = False
    DEFAULTS: dict[str, float] = {}
    OPTIONS: dict[str, object] = {}

    def __init__(self, model, teacher: Teacher | None = None, **weights):
        if self.requires_teacher and teacher is None:
            raise InputError(
                f"the {self.family} objective needs a teacher for its targets: pass "
                f"teacher=vfi.train.teacher.load_teacher('rife-4.0') (after `vfi weights import rife`)"
            )
        known = set(self.DEFAULTS) | set(self.OPTIONS)
        unknown = sorted(set(weights) - known)
        if unknown:
            raise InputError(
                f"unknown weight(s) {', '.join(unknown)} for the {self.family} objective; it takes: {', '.join(sorted(known))}"
            )
        self.model = model
        self.teacher = teacher
        self.weights = {k: float(weights.get(k, v)) for k, v in self.DEFAULTS.items()}
        self.options = {k: weights.get(k, v) for k, v in self.OPTIONS.items()}

    def __call__(self, batch: dict) -> tuple[torch.Tensor, dict[str, float]]:
        batch = self._on_model_device(batch)
        terms = self.terms(batch)
        loss = sum(self.weights.get(name, 1.0) * value for name, value in terms.items())
        logged = {name: float(value.detach()) for name, value in terms.items()}
        logged["total"] = float(loss.detach())
        return loss, logged

    def terms(self, batch: dict) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    # -- helpers ----------------------------------------------------------------------------
    def _on_model_device(self, batch: dict) -> dict:
        try:
            device = next(self.model.parameters()).device
        except StopIteration:
            return batch
        return {k: v.to(device) if torch.is_tensor(v) else v for k, v in batch.items()}

    def _on(self, name: str) -> bool:
        return self.weights.get(name, 0.0) != 0.0

    def _teacher_flow(self, batch: dict, cache: dict) -> torch.Tensor:
        """The teacher's [N,4,H,W] flow for this batch, computed once."""
        if "teacher_flow" not in cache:
            # A flow-estimator teacher (RAFT) measures F_t->0, F_t->1 from the ground truth; a VFI
            # teacher estimates them from the two inputs and ignores it.
            flow_t0, flow_t1 = self.teacher.flows(batch["img0"], batch["img1"], batch["t"], gt=batch["gt"])
            cache["teacher_flow"] = torch.cat((flow_t0, flow_t1), 1)
        return cache["teacher_flow"]

    def _reconstruction(self, frame: torch.Tensor, batch: dict) -> dict[str, torch.Tensor]:
        gt = batch["gt"]
        out = {}
        if self._on("charbonnier"):
            out["charbonnier"] = charbonnier(frame, gt)
        if self._on("l1"):
            out["l1"] = l1_loss(frame, gt)
        if self._on("census"):
            out["census"] = census_loss(frame, gt)
        return out

    def _distillation(self, student_flows, final, batch: dict, cache: dict) -> torch.Tensor:
        teacher_flow = self._teacher_flow(batch, cache)
        trust = robustness_weight(teacher_flow, final, batch["img0"], batch["img1"], batch["gt"], mode=self.options["robustness"])
        return flow_distillation_loss(student_flows, teacher_flow, trust)


class RIFEObjective(Objective):
    """RIFE 4.0: Charbonnier (or L1) + census on the frame; with a teacher, every flow block's
    flow is distilled towards the teacher's (IFRNet's robust penalty, weight 0.01)."""

    family = "rife"
    DEFAULTS = {"charbonnier": 1.0, "l1": 0.0, "census": 1.0, "distillation": 0.01}
    OPTIONS = {"robustness": "both"}

    def timestep(self, batch: dict, cache: dict):
        return batch["t"]

    def terms(self, batch: dict) -> dict[str, torch.Tensor]:
        cache: dict = {}
        est = self.model.estimate(batch["img0"], batch["img1"], self.timestep(batch, cache))
        out = self._reconstruction(est.frame, batch)
        if self.teacher is not None and self._on("distillation"):
            out["distillation"] = self._distillation(est.flows, est.flows[-1], batch, cache)
        return out


class IFRNetObjective(Objective):
    """IFRNet (the paper's objective): Charbonnier + 7x7 census reconstruction, task-oriented flow
    distillation of the three coarser decoders' flows (0.01; only with a teacher), and geometry
    consistency of the decoder features with the ground truth's encoder features (0.01)."""

    family = "ifrnet"
    DEFAULTS = {"charbonnier": 1.0, "l1": 0.0, "census": 1.0, "distillation": 0.01, "geometry": 0.01}
    OPTIONS = {"robustness": "both"}

    def timestep(self, batch: dict, cache: dict):
        return batch["t"]

    def terms(self, batch: dict) -> dict[str, torch.Tensor]:
        cache: dict = {}
        est = self.model.estimate(batch["img0"], batch["img1"], self.timestep(batch, cache))
        out = self._reconstruction(est.frame, batch)
        if self.teacher is not None and self._on("distillation"):
            # flows[0] is the finest decoder's flow: it sets the robustness, the coarser ones are distilled.
            out["distillation"] = self._distillation(est.flows[1:], est.flow, batch, cache)
        if self._on("geometry"):
            out["geometry"] = geometry_consistency(est.features, self.model.encode(batch["gt"], est.mean))
        return out


class CAINObjective(Objective):
    """CAIN: L1 to the ground truth (the paper's only loss)."""

    family = "cain"
    DEFAULTS = {"l1": 1.0}

    def terms(self, batch: dict) -> dict[str, torch.Tensor]:
        return {"l1": l1_loss(self.model(batch["img0"], batch["img1"], batch["t"]), batch["gt"])}


class CSPAObjective(Objective):
    """CSPA: Charbonnier to the ground truth + texture consistency (weight 0.5, our choice) to the
    best-matching input patches."""

    family = "cspa"
    DEFAULTS = {"charbonnier": 1.0, "texture": 0.5}

    def terms(self, batch: dict) -> dict[str, torch.Tensor]:
        frame = self.model(batch["img0"], batch["img1"], batch["t"])
        out = {"charbonnier": charbonnier(frame, batch["gt"])}
        if self._on("texture"):
            out["texture"] = texture_consistency_loss(frame, batch["img0"], batch["img1"])
        return out


class UGSPObjective(Objective):
    """UGSP: its model's terms (reconstruction, uncertainty, mask_label, density; weights default to
    `vfi.models.ugsp.LOSS_WEIGHTS`) plus the optional self-contrast shortcut (weight 0: off)."""

    family = "ugsp"
    DEFAULTS = {"reconstruction": 1.0, "uncertainty": 0.1, "mask_label": 0.05, "density": 0.1, "self_contrast": 0.0}

    def __init__(self, model, teacher=None, **weights):
        from vfi.models.ugsp import LOSS_WEIGHTS

        defaults = {**self.DEFAULTS, **LOSS_WEIGHTS}
        super().__init__(model, teacher, **{**defaults, **weights})

    def terms(self, batch: dict) -> dict[str, torch.Tensor]:
        est = self.model.estimate(batch["img0"], batch["img1"], batch["t"])
        model_weights = {k: self.weights[k] for k in ("uncertainty", "mask_label", "density")}
        out = ugsp_losses(
            self.model,
            est,
            batch["gt"],
            model_weights,
            self_contrast=self.weights["self_contrast"],
            img0=batch["img0"],
            img1=batch["img1"],
            t=batch["t"],
        )
        out.pop("total")  # re-weighted by Objective.__call__ from the separate terms
        return out


class DBVFIObjective(Objective):
    """DBVFI (Yu et al., ECCV 2022): sum_k alpha_k * L1(I_t^(k), I_t^gt) over the K refinement
    steps' predictions, alpha from the model (2x: 1 each; 8x: 0.2, 0.4, 1, 1). The batch carries the
    outer context frames I_-1 (``img_m1``) and I_2 (``img2``).

    The paper's RAFT is pretrained and frozen. A teacher that is a flow estimator (``teacher =
    "raft"`` or a RAFT checkpoint) is that pretrained RAFT: its weights are copied into the model's
    frozen flow network once, here. Without one the flow network keeps whatever weights the model
    has (random for a fresh model: it then learns to refine from poor initial flows)."""

    family = "dbvfi"
    DEFAULTS = {"l1": 1.0}

    def __init__(self, model, teacher=None, **weights):
        super().__init__(model, teacher, **weights)
        if teacher is not None:
            from vfi.models.flow_estimators import is_flow_estimator

            if not is_flow_estimator(teacher.model):
                raise InputError(
                    'DBVFI\'s teacher is its pretrained flow network: give a flow estimator (teacher = "raft" or a RAFT '
                    f"checkpoint), not {type(teacher.model).__name__}"
                )
            model.flow_net.load_state_dict(teacher.model.state_dict())

    def terms(self, batch: dict) -> dict[str, torch.Tensor]:
        steps = self.model.estimate(batch["img0"], batch["img1"], batch["t"], batch["img_m1"], batch["img2"])
        alphas = self.model.alphas
        return {"l1": sum(alpha * l1_loss(frame, batch["gt"]) for alpha, frame in zip(alphas, steps))}


class _DistanceIndexed:
    """Mixin: the model gets D_t (from the teacher's flows at the batch's t) instead of t."""

    requires_teacher = True

    def timestep(self, batch: dict, cache: dict):
        flow = self._teacher_flow(batch, cache)
        return distance_index(flow[:, 0:2], flow[:, 2:4], batch["t"], eps=float(self.options["still_eps"]))


class RIFEDIObjective(_DistanceIndexed, RIFEObjective):
    """rife-4.0-di: RIFE's terms, with the distance map D_t as the model's timestep."""

    family = "rife-di"
    OPTIONS = {"robustness": "both", "still_eps": STILL_EPS}


class IFRNetDIObjective(_DistanceIndexed, IFRNetObjective):
    """ifrnet-di: IFRNet's terms, with the distance map D_t as the model's timestep."""

    family = "ifrnet-di"
    OPTIONS = {"robustness": "both", "still_eps": STILL_EPS}


#: objective family -> class
OBJECTIVES: dict[str, type[Objective]] = {
    cls.family: cls
    for cls in (
        RIFEObjective,
        IFRNetObjective,
        CAINObjective,
        CSPAObjective,
        UGSPObjective,
        RIFEDIObjective,
        IFRNetDIObjective,
        DBVFIObjective,
    )
}


def objective_family(name: str) -> str:
    """The objective family for an objective family name or a registered model name."""
    if name in OBJECTIVES:
        return name
    from vfi.models.registry import get_variant

    try:
        variant = get_variant(name)
    except InputError:
        raise InputError(
            f"no training objective for {name!r}; objective families: {', '.join(OBJECTIVES)} (or any registered model name)"
        ) from None
    family = variant.family
    if variant.hparams.get("timestep_mode") == "map" and not family.endswith("-di"):
        family = f"{family}-di"
    if family not in OBJECTIVES:
        raise InputError(f"model {name!r} (family {variant.family!r}) has no training objective yet")
    return family


def build_objective(family: str, model, teacher: Teacher | None = None, **weights) -> Objective:
    """The training objective of `family` (an objective family or a registered model name) for
    `model`. `teacher` (see `vfi.train.teacher`) enables flow distillation and is required by the
    distance-indexing families; `weights` override term weights and options (e.g. ``census=0.5``,
    ``robustness="agreement"``).

    Raises:
        InputError: unknown family or weight, or a distance-indexing family without a teacher.
    """
    for option in ("robustness",):
        if option in weights and weights[option] not in ROBUSTNESS_MODES:
            raise InputError(f"{option} must be one of {', '.join(ROBUSTNESS_MODES)}; got {weights[option]!r}")
    resolved = objective_family(family)
    # An "ifrnet-di" model's card names the family "ifrnet": a model that takes distance maps
    # trains with the distance-indexing objective of its family.
    if getattr(model, "timestep_mode", None) == "map" and f"{resolved}-di" in OBJECTIVES:
        resolved = f"{resolved}-di"
    return OBJECTIVES[resolved](model, teacher, **weights)


__all__ = ["OBJECTIVES", "Objective", "build_objective", "objective_family"]
