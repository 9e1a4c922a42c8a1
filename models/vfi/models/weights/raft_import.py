"""Convert an official RAFT checkpoint (princeton-vl/RAFT, e.g. ``raft-things.pth``) into a vfi
checkpoint of `vfi.models.raft.RAFT`.

The official files cannot be downloaded here; users who have one convert it with

    python -m vfi.models.weights.raft_import PATH/TO/raft-things.pth [--name raft-things] [--force]

which writes ``<cache>/weights/raft-things.safetensors``; `vfi.models.flow_estimators.
load_flow_estimator("raft")` and `vfi.train.teacher.load_teacher("raft")` then find it.

The official state dicts were saved from ``nn.DataParallel`` (keys prefixed ``module.``). Only the
full model converts (RAFT-small is another architecture). The context encoder's stride-2 residual
blocks register their shortcut norm twice in the reference (as ``norm3`` and as ``downsample.1``),
so its state dict holds both copies; the ``norm3`` copy is dropped after checking it equals the
other. The feature encoder's instance norms have no parameters in either layout.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from pathlib import Path

from vfi.core.errors import CheckpointError, WeightsMissing
from vfi.models.weights.key_rules import KeyRules, rename_key

WRAPPER_PREFIX = "module."
#: Default name of the converted checkpoint in the weights cache (the flow estimator's `pretrained`).
CHECKPOINT_NAME = "raft-things"
#: Bump when the key mapping or the written card changes.
CONVERTER_VERSION = 1

_ENCODERS = {"fnet": "feature_encoder", "cnet": "context_encoder"}
_GRU_GATES = {"z": "update_gate", "r": "reset_gate", "q": "candidate"}
_GRU_PASSES = {"1": "gru_horizontal", "2": "gru_vertical"}
_MOTION = {"convc1": "corr1", "convc2": "corr2", "convf1": "flow1", "convf2": "flow2", "conv": "merge"}
_FLOW_HEAD = {"conv1": "0", "conv2": "2"}

# Reference key (after `module.`) -> ours. `(\w+)` at the end is the tensor name (weight, bias,
# running_mean, running_var, num_batches_tracked).
_KEY_RULES: KeyRules = [
    (re.compile(r"(fnet|cnet)\.conv1\.(\w+)"), lambda m: f"{_ENCODERS[m[1]]}.stem.{m[2]}"),
    (re.compile(r"(fnet|cnet)\.norm1\.(\w+)"), lambda m: f"{_ENCODERS[m[1]]}.stem_norm.{m[2]}"),
    (re.compile(r"(fnet|cnet)\.conv2\.(\w+)"), lambda m: f"{_ENCODERS[m[1]]}.project.{m[2]}"),
    (
        re.compile(r"(fnet|cnet)\.layer([123])\.(\d+)\.(conv1|conv2|norm1|norm2)\.(\w+)"),
        lambda m: f"{_ENCODERS[m[1]]}.stages.{int(m[2]) - 1}.{m[3]}.{m[4]}.{m[5]}",
    ),
    (
        re.compile(r"(fnet|cnet)\.layer([123])\.(\d+)\.downsample\.([01])\.(\w+)"),
        lambda m: f"{_ENCODERS[m[1]]}.stages.{int(m[2]) - 1}.{m[3]}.shortcut.{m[4]}.{m[5]}",
    ),
    (
        re.compile(r"update_block\.encoder\.(convc1|convc2|convf1|convf2|conv)\.(\w+)"),
        lambda m: f"update.motion.{_MOTION[m[1]]}.{m[2]}",
    ),
    (
        re.compile(r"update_block\.gru\.conv([zrq])([12])\.(\w+)"),
        lambda m: f"update.{_GRU_PASSES[m[2]]}.{_GRU_GATES[m[1]]}.{m[3]}",
    ),
    (re.compile(r"update_block\.flow_head\.(conv1|conv2)\.(\w+)"), lambda m: f"update.flow_head.{_FLOW_HEAD[m[1]]}.{m[2]}"),
    (re.compile(r"update_block\.mask\.([02])\.(\w+)"), r"update.mask_head.\1.\2"),
]
#: The duplicate registration of the shortcut norm (see the module docstring).
_DUPLICATE = re.compile(r"(cnet|fnet)\.layer([123])\.(\d+)\.norm3\.(\w+)")


def convert_key(reference_key: str) -> str:
    """Our parameter name for a reference key (without `module.`); `CheckpointError` if none matches."""
    return rename_key(_KEY_RULES, reference_key, "RAFT")


def convert_state_dict(state_dict: dict) -> dict:
    """Official RAFT state dict -> `vfi.models.raft.RAFT` state dict.

    Raises `CheckpointError` naming keys that map to nothing (e.g. a RAFT-small checkpoint) or a
    ``norm3`` copy that differs from its ``downsample.1`` twin."""
    import torch

    stripped = {k.removeprefix(WRAPPER_PREFIX): v for k, v in state_dict.items()}
    converted, unknown = {}, []
    for key, value in stripped.items():
        duplicate = _DUPLICATE.fullmatch(key)
        if duplicate:
            twin = f"{duplicate[1]}.layer{duplicate[2]}.{duplicate[3]}.downsample.1.{duplicate[4]}"
            if twin not in stripped or not torch.equal(stripped[twin], value):
                raise CheckpointError(f"reference RAFT key {key!r} differs from (or lacks) its twin {twin!r}")
            continue
        try:
            converted[convert_key(key)] = value
        except CheckpointError:
            unknown.append(key)
    if unknown:
        raise CheckpointError(
            f"{len(unknown)} reference RAFT keys have no counterpart in vfi's RAFT (e.g. {unknown[:3]}); "
            "only the full model converts (not RAFT-small)"
        )
    return converted


def load_converted(model, state_dict: dict) -> None:
    """Load a converted state dict strictly; `CheckpointError` naming missing / unexpected keys."""
    try:
        result = model.load_state_dict(state_dict, strict=False)
    except RuntimeError as exc:  # shape mismatches are raised even when strict=False
        raise CheckpointError(f"converted RAFT weights do not fit RAFT ({' '.join(str(exc).split())[:300]})") from None
    if result.missing_keys or result.unexpected_keys:
        raise CheckpointError(
            f"converted RAFT weights do not match RAFT: {len(result.missing_keys)} missing "
            f"(e.g. {result.missing_keys[:3]}), {len(result.unexpected_keys)} unexpected "
            f"(e.g. {result.unexpected_keys[:3]})"
        )


def import_raft(
    checkpoint: str | Path, name: str = CHECKPOINT_NAME, force: bool = False, target: str | Path | None = None
) -> Path:
    """Convert the official checkpoint at `checkpoint` into ``<cache>/weights/<name>.safetensors``
    (or `target`); returns the written path (the existing one unless `force`).

    Raises `WeightsMissing` when the file does not exist and `CheckpointError` when its weights do
    not fit the architecture."""
    import torch

    import vfi.models as vm
    from vfi.core.cache import weights_dir
    from vfi.models.flow_estimators import create_flow_estimator

    source = Path(checkpoint).expanduser()
    if not source.is_file():
        raise WeightsMissing(
            f"RAFT checkpoint not found: {source}; pass the official raft-things.pth (or another full-model .pth)"
        )
    out = Path(target) if target is not None else weights_dir() / f"{name}.safetensors"
    if out.exists() and not force:
        return out
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    state_dict = torch.load(source, map_location="cpu", weights_only=True)
    model = create_flow_estimator("raft")
    load_converted(model, convert_state_dict(state_dict))
    provenance = {
        "source": str(source.name),
        "upstream": "princeton-vl/RAFT (Teed & Deng, ECCV 2020)",
        "licence": "BSD-3-Clause",
        "sha256": digest,
        "stripped_key_prefix": WRAPPER_PREFIX,
        "converter": __name__,
        "converter_version": CONVERTER_VERSION,
    }
    return vm.save(model, out, provenance=provenance)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Convert an official RAFT checkpoint into the vfi weights cache.")
    parser.add_argument("checkpoint", help="official RAFT .pth (e.g. raft-things.pth)")
    parser.add_argument("--name", default=CHECKPOINT_NAME, help="name in the weights cache (default: %(default)s)")
    parser.add_argument("--force", action="store_true", help="convert again even when the target exists")
    args = parser.parse_args(argv)
    try:
        path = import_raft(args.checkpoint, name=args.name, force=args.force)
    except (WeightsMissing, CheckpointError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
