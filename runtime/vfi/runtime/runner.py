"""The `Runner` interface: one model on one backend, device and precision.

The pipeline talks to every backend through this class and knows nothing else about it.

Exchange format (both directions): numpy ``float32`` arrays, NCHW, RGB in [0, 1].
``infer(img0, img1, t)`` takes ``img0``, ``img1`` of shape [N, 3, H, W], already padded by the
caller to `Runner.pad_multiple`, and ``t`` of shape [N] (the fraction of the way from ``img0`` to
``img1``), and returns the [N, 3, H, W] frames at ``t``. A model with context frames
(`Runner.context` k > 1) also takes ``context``: its 2(k-1) further frames [N, 3, H, W], nearest
first (I_-1, I_2, ...; `vfi.core.graph_spec.context_input_names`).

    with create_runner("torch", "rife-4.0", device="cpu") as runner:
        middle = runner.infer(img0, img1, np.full([1], 0.5, np.float32))
"""

from __future__ import annotations

import time

import numpy as np

from vfi.core.errors import InputError
from vfi.core.precision import DEFAULT_PRECISION, artifact_precision, check_precision, require_supported
from vfi.runtime.model_source import ModelSpec, describe
from vfi.runtime.timings import RunningStats

DEVICES = ("cpu", "cuda")


class Runner:
    """Base class of the backends. Subclasses implement `_load`, `_infer`, `_close`, name the
    modules they import in `requires` (or override `is_available` / `version`), and declare the
    precisions they run per device in `precisions`.

    Args:
        model: a registered model name, a `.safetensors` checkpoint path, a torch module that
            carries a `ModelCard` in ``.card``, or (backends that run built artifacts) the path of
            an artifact with its sidecar.
        device: "cpu" or "cuda".
        precision: arithmetic precision inside the backend (`vfi.core.precision`; the exchange
            format stays float32). None: fp32 for a model, the artifact's own for an artifact. A
            built artifact runs at the precision it was built with; asking for another one is
            refused (`vfi.core.precision.artifact_precision`).
        threads: intra-op CPU threads, or None for the library's default. A runner that changes a
            process-wide thread setting restores it when it closes.
        hparams: hyper-parameters overriding the model's when it is loaded by name or checkpoint
            (those that leave the weights' shapes alone, e.g. RIFE's ``flow_scale``); a built
            artifact has its own, fixed in the graph, and refuses them.

    Attributes:
        card: the model card (available after `load`).
        timings: running statistics of the `infer` calls (`RunningStats`; seconds).
    """

    #: backend name as typed on the command line; set by subclasses
    name = "base"
    #: modules the backend imports; the first one's version is the backend's version
    requires: tuple[str, ...] = ()
    #: how this backend came to be used (`create_runner` says "auto: ..." when it picked it)
    backend_choice = "asked for"
    #: device -> precisions the backend runs a model at (artifacts run at their own)
    precisions: dict[str, tuple[str, ...]] = {"cpu": ("fp32",), "cuda": ("fp32",)}
    #: consecutive input pairs the pipeline may hand over in one `infer` call: more than one only
    #: where the backend runs a call's frames in parallel, so the pairs overlap
    pairs_per_call = 1
    #: whether the backend runs a model name or checkpoint (False: built artifacts only)
    runs_models = True

    @classmethod
    def model_precisions(cls) -> dict[str, tuple[str, ...]]:
        """Device -> precisions this backend runs a model at on this machine (for `vfi doctor`);
        empty for a backend that runs only built artifacts (they run at their own precision)."""
        return dict(cls.precisions) if cls.runs_models else {}

    def __init__(
        self,
        model: ModelSpec,
        device: str = "cpu",
        precision: str | None = None,
        threads: int | None = None,
        hparams: dict | None = None,
    ):
        if device not in DEVICES:
            raise InputError(f"device {device!r} is unknown; choose one of {', '.join(DEVICES)}", "device")
        if precision is not None:
            check_precision(precision)
        if threads is not None and threads < 1:
            raise InputError(f"threads must be >= 1, got {threads}", "threads")
        self.model = model
        self.device = device
        #: what the caller asked for (None: the default); `precision` is what runs
        self.requested_precision = precision
        self.precision = precision or DEFAULT_PRECISION
        self.threads = threads
        self.hparams = dict(hparams or {})
        self.card = None
        self.timings = RunningStats()
        self._loaded = False
        self._restore_threads = None

    def _check_model_precision(self) -> None:
        """Refuse a precision this backend cannot run a model at on this device (call from
        `__init__` of backends that run models, after the device checks)."""
        require_supported(self.precision, self.precisions.get(self.device, ()), f"the {self.name} backend on {self.device}")

    def _adopt_artifact(self, artifact) -> None:
        """Take the card, graph spec and shape fitter of a built artifact (`artifact.Artifact`)."""
        self._artifact = artifact
        self.card = artifact.card()
        self._spec = artifact.graph_spec()
        self._fitter = artifact.fitter()

    def _adopt_model_for_export(self) -> None:
        """Load the torch model that graphs are exported from on first use: its card, graph spec,
        module and fingerprint (the key of the graph cache)."""
        from vfi.models.registry import graph_spec
        from vfi.runtime.model_source import load_torch_model, model_fingerprint

        module = load_torch_model(self.model, self.hparams)
        self.card = module.card
        self._spec = graph_spec(module.card)
        self._module = module
        self._fingerprint = model_fingerprint(module)

    def _use_artifact_precision(self, built: str, artifact_name: str) -> None:
        """Run at the artifact's precision `built` (see `vfi.core.precision.artifact_precision`);
        also refuses `hparams`, which a built graph has fixed."""
        self.precision = artifact_precision(self.requested_precision, built, artifact_name)
        self._refuse_hparams(artifact_name)

    def _refuse_hparams(self, artifact_name: str) -> None:
        if self.hparams:
            raise InputError(
                f"{artifact_name} was built with its hyper-parameters fixed; build it again with "
                f"{', '.join(f'{k}={v}' for k, v in self.hparams.items())} instead",
                *self.hparams,
            )

    def _set_torch_threads(self) -> None:
        """Apply `threads` to torch's intra-op pool, remembering the previous value for `close`."""
        if self.threads is None:
            return
        import torch

        before = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        self._restore_threads = lambda: torch.set_num_threads(before)

    # -- class-level checks (used by `vfi doctor` and by create_runner) -------------------------

    @classmethod
    def is_available(cls) -> tuple[bool, str]:
        """(True, "") when this backend can run here, else (False, reason in one line).

        The default imports every module in `requires`; backends with more to check override it."""
        import importlib

        from vfi.core.messages import short_error

        for module in cls.requires:
            try:
                importlib.import_module(module)
            except Exception as exc:  # any import failure makes the backend unusable; report it
                return False, f"{module} cannot be imported ({short_error(exc, with_type=True)})"
        return True, ""

    @classmethod
    def version(cls) -> str:
        """Version of the library behind this backend (`requires[0]`), or "-" when it is missing."""
        import importlib

        try:
            return str(importlib.import_module(cls.requires[0]).__version__)
        except Exception:  # missing or broken library: doctor shows "-"
            return "-"

    # -- lifecycle ------------------------------------------------------------------------------

    def load(self) -> Runner:
        """Build or load the model on the backend; idempotent. Returns self.

        Raises `InputError` for a model that does not make frames (a flow estimator)."""
        if not self._loaded:
            try:
                self._load()
                self._refuse_non_interpolators()
            except BaseException:
                self._release_threads()
                raise
            self._loaded = True
        return self

    def _refuse_non_interpolators(self) -> None:
        task = getattr(self.card, "task", "interpolate")
        if task != "interpolate":
            self._close()
            raise InputError(
                f"model {self.card.variant} estimates optical flow ({task}); it does not make frames. Export it with "
                "`vfi export`, or use it as a flow teacher or DBVFI's flow estimator",
                "model",
            )

    def prepare(self, height: int, width: int) -> None:
        """Build whatever the backend needs for padded frames of `height` x `width` (pixels), e.g.
        an exported graph or engine, so that this one-off cost is not counted as inference time.
        Optional: `infer` prepares on first use anyway. The base class does nothing."""
        if not self._loaded:
            self.load()

    def infer(self, img0: np.ndarray, img1: np.ndarray, t: np.ndarray, context=()) -> np.ndarray:
        """The frames at fractions `t` between `img0` and `img1` (see the module docstring);
        `context`: the model's context frames (none for a two-frame model)."""
        if not self._loaded:
            self.load()
        t = np.asarray(t, dtype=np.float32).reshape(-1)
        if img0.shape != img1.shape or img0.ndim != 4 or t.shape[0] != img0.shape[0]:
            raise ValueError(f"infer expects img0, img1 [N,3,H,W] and t [N]; got {img0.shape}, {img1.shape}, {t.shape}")
        wanted = 2 * (self.context - 1)
        if len(context) != wanted or any(frame.shape != img0.shape for frame in context):
            raise ValueError(
                f"model {self.card.variant} takes {wanted} context frames shaped like img0 {img0.shape}, "
                f"got {[np.shape(frame) for frame in context]}"
            )
        context = tuple(np.ascontiguousarray(frame, np.float32) for frame in context)
        start = time.perf_counter()
        out = self._infer(np.ascontiguousarray(img0, np.float32), np.ascontiguousarray(img1, np.float32), t, context)
        self.timings.add(time.perf_counter() - start)
        return out

    def close(self) -> None:
        """Release the model and any device memory, and restore thread settings; idempotent."""
        if self._loaded:
            try:
                self._close()
            finally:
                self._loaded = False
                self._release_threads()

    def _release_threads(self) -> None:
        if self._restore_threads is not None:
            self._restore_threads()
            self._restore_threads = None

    def __enter__(self) -> Runner:
        return self.load()

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- properties from the card ----------------------------------------------------------------

    @property
    def pad_multiple(self) -> int:
        """Input height and width must be multiples of this (pixels)."""
        self._require_card()
        return int(self.card.pad_multiple)

    @property
    def timestep_mode(self) -> str:
        """ "scalar", "map" or "fixed" (see `vfi.core.graph_spec.TIMESTEP_MODES`)."""
        self._require_card()
        return str(self.card.timestep_mode)

    @property
    def context(self) -> int:
        """Frames the model sees on each side of the interval (1: the pair; see `infer`)."""
        self._require_card()
        return int(self.card.context)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({describe(self.model)!r}, device={self.device!r}, precision={self.precision!r})"

    # -- for subclasses ---------------------------------------------------------------------------

    def _load(self) -> None:
        raise NotImplementedError

    def _infer(self, img0: np.ndarray, img1: np.ndarray, t: np.ndarray, context: tuple = ()) -> np.ndarray:
        raise NotImplementedError

    def _close(self) -> None:
        pass

    def _require_card(self) -> None:
        if self.card is None:
            raise RuntimeError(f"{self!r} is not loaded; call load() or use it as a context manager")
