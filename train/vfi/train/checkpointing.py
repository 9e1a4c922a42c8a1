"""What a run leaves on disk, and exact resume.

- ``last.safetensors`` / ``best.safetensors``: the model (EMA weights when EMA is on) written with
  `vfi.models.save`, so `vfi.models.load`, `vfi eval` and `vfi export` read them directly; the
  card's provenance holds the recipe, the step and the validation figures.
- ``resume.pt``: everything else a bit-exact continuation needs (`torch.save`): live weights,
  optimizer, scheduler, grad scaler, EMA, step, data position, best figure, and the random states
  of python, numpy and torch (CPU and CUDA) of every rank. It holds only tensors and plain Python
  values, so it loads with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import random
from pathlib import Path

from vfi.core.atomic import AtomicOutput
from vfi.core.errors import InputError
from vfi.core.messages import short_error

RESUME_FILE = "resume.pt"
LAST_FILE = "last.safetensors"
BEST_FILE = "best.safetensors"
RESUME_FORMAT = 1


def capture_rng() -> dict:
    """The random states of python, numpy and torch in this process, as tensors and plain values."""
    import numpy as np
    import torch

    version, internal, gauss = random.getstate()
    np_state = np.random.get_state()
    state = {
        "python": {"version": version, "internal": torch.tensor(internal, dtype=torch.int64), "gauss": gauss},
        "numpy": {
            "name": np_state[0],
            "keys": torch.from_numpy(np_state[1].astype(np.int64)),
            "pos": int(np_state[2]),
            "has_gauss": int(np_state[3]),
            "cached_gaussian": float(np_state[4]),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict) -> None:
    """Inverse of `capture_rng`."""
    import numpy as np
    import torch

    py = state["python"]
    random.setstate((py["version"], tuple(int(v) for v in py["internal"].tolist()), py["gauss"]))
    n = state["numpy"]
    np.random.set_state((n["name"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached_gaussian"]))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_resume(run_dir: str | Path, state: dict) -> Path:
    """Write `state` to ``run_dir/resume.pt`` atomically."""
    import torch

    path = Path(run_dir) / RESUME_FILE
    with AtomicOutput(path) as out:
        torch.save({"format": RESUME_FORMAT, **state}, out.temp)
    return path


def load_resume(run_dir: str | Path) -> dict:
    """The resume state of the run in `run_dir`; `InputError` when there is none."""
    import torch

    path = Path(run_dir) / RESUME_FILE
    if not path.is_file():
        raise InputError(
            f"resume: no {RESUME_FILE} in {run_dir}; start the run without resume, or give its run folder as out", "resume", "out"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated or foreign file: say which and why
        raise InputError(f"resume: {path} is unreadable ({short_error(exc, 150, with_type=True)})", "resume") from None
    if state.get("format") != RESUME_FORMAT:
        raise InputError(f"resume: {path} has format {state.get('format')}, this vfi reads {RESUME_FORMAT}", "resume")
    return state


def save_weights(model, path: str | Path, provenance: dict) -> Path:
    """Write `model` (carrying ``.card``) as a vfi checkpoint with `provenance` in its card."""
    import vfi.models

    return vfi.models.save(model, path, provenance=provenance)


def _generators(obj, path: str = "", depth: int = 0, seen: set | None = None):
    """(attribute path, generator) of every numpy / torch random generator held by `obj` (a
    dataset), looking through attributes and wrapped datasets (Subset.dataset, Concat.datasets)."""
    import numpy as np
    import torch

    seen = set() if seen is None else seen
    if id(obj) in seen or depth > 3:
        return
    seen.add(id(obj))
    for name, value in sorted(vars(obj).items()) if hasattr(obj, "__dict__") else []:
        where = f"{path}.{name}" if path else name
        if isinstance(value, (np.random.Generator, torch.Generator)):
            yield where, value
        elif isinstance(value, (list, tuple)) and name == "datasets":
            for i, item in enumerate(value):
                yield from _generators(item, f"{where}.{i}", depth + 1, seen)
        elif (
            hasattr(value, "__dict__")
            and not isinstance(value, (type, torch.Tensor, torch.nn.Module))
            and type(value).__module__.startswith(("vfi.", "torch.utils.data"))
        ):
            yield from _generators(value, where, depth + 1, seen)


def capture_dataset_rng(dataset) -> dict:
    """The states of the random generators a dataset owns (its augmentation stream).

    `vfi.train.data` datasets draw crops, flips and timesteps from a generator of their own, not
    from the global state, so exact resume must save it too.
    """
    import torch

    out = {}
    for where, gen in _generators(dataset):
        out[where] = {"torch": gen.get_state()} if isinstance(gen, torch.Generator) else {"numpy": gen.bit_generator.state}
    return out


def restore_dataset_rng(dataset, state: dict) -> None:
    """Inverse of `capture_dataset_rng` (generators found at the same attribute paths)."""
    gens = dict(_generators(dataset))
    for where, saved in state.items():
        gen = gens.get(where)
        if gen is None:
            continue
        if "torch" in saved:
            gen.set_state(saved["torch"])
        else:
            gen.bit_generator.state = saved["numpy"]
