"""`vfi export` and `vfi build` through the CLI: success writes the files, bad input is one line
on stderr, exit 2, nothing left behind."""

from __future__ import annotations

import json

import pytest

from vfi.cli.app import main


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    """A random-init RIFE 4.0 fast with narrow blocks, saved as a checkpoint (no weights import)."""
    import vfi.models

    model = vfi.models.create("rife-4.0-fast", block_widths=(16, 16, 16, 16))
    return vfi.models.save(model, tmp_path_factory.mktemp("ckpt") / "tiny.safetensors")


def _run(argv, capsys):
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_export_checkpoint_with_serving(tiny_checkpoint, tmp_path, capsys):
    out = tmp_path / "out" / "tiny.onnx"
    code, stdout, err = _run(
        [
            "export",
            str(tiny_checkpoint),
            "-o",
            str(out),
            "--flavour",
            "portable",
            "--shape",
            "64x64",
            "--serving",
            str(tmp_path / "repo"),
        ],
        capsys,
    )
    assert code == 0, err
    assert "parity vs torch" in stdout and out.is_file()
    side = json.loads((tmp_path / "out" / "tiny.onnx.json").read_text())
    assert side["model_card"]["hparams"]["block_widths"] == [16, 16, 16, 16] and side["parity"]["passed"]
    assert (tmp_path / "repo" / "rife-4.0-fast" / "config.pbtxt").is_file()
    # serving from the existing artifact alone
    code, _, err = _run(["export", str(out), "--serving", str(tmp_path / "repo2")], capsys)
    assert code == 0, err and (tmp_path / "repo2" / "rife-4.0-fast" / "1" / "model.onnx").is_file()


@pytest.mark.parametrize(
    "args,message",
    [
        (["--shape", "65x64"], "not a multiple of the model's pad multiple 64"),
        (["--shape", "64x64", "--opset", "20"], "opset 20 refused"),
        (["--shape", "64x64", "--flavour", "nvidia"], "--flavour 'nvidia'"),
        (["--shape", "64x64", "--precision", "int8"], "--precision 'int8'"),
        (["--shape", "sixty"], "is not a size"),
        ([], "give a static --shape HxW or make the graph --dynamic"),
        (["--shape", "64x64", "--serving", "repo"], "--serving with an ONNX graph needs --flavour portable"),
    ],
)
def test_export_bad_inputs(args, message, tiny_checkpoint, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, stdout, err = _run(["export", str(tiny_checkpoint), "-o", str(tmp_path / "m.onnx"), *args], capsys)
    assert code == 2 and err.count("\n") == 1 and err.startswith("vfi: error: ") and message in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_export_unknown_model_and_bad_output(tmp_path, capsys):
    code, _, err = _run(["export", "no-such-model", "-o", str(tmp_path / "m.onnx"), "--shape", "64x64"], capsys)
    assert code == 2 and "unknown model" in err and err.count("\n") == 1
    code, _, err = _run(["export", "rife-4.0-fast", "-o", str(tmp_path / "m.trt"), "--shape", "64x64"], capsys)
    assert code == 2 and "must end in .onnx" in err
    assert list(tmp_path.iterdir()) == []


def test_build_without_tensorrt_is_one_line(tiny_checkpoint, tmp_path, capsys):
    import importlib.util

    if importlib.util.find_spec("tensorrt") is not None:
        pytest.skip("TensorRT is installed here; this checks the line shown without it")
    graph = tmp_path / "m.onnx"
    assert _run(["export", str(tiny_checkpoint), "-o", str(graph), "--shape", "64x64", "--no-validate"], capsys)[0] == 0
    code, _, err = _run(["build", str(graph), "-o", str(tmp_path / "m.engine")], capsys)
    assert code == 2 and err.count("\n") == 1
    assert "NVIDIA's package index" in err and "tensorrt-cu13" in err and "Traceback" not in err
    assert not (tmp_path / "m.engine").exists()


@pytest.mark.parametrize(
    "args,message",
    [
        (["-o", "m.bin"], "cannot tell the target"),
        (["-o", "m.engine", "--target", "gpu"], "--target 'gpu'"),
        (["-o", "m.pt2", "--target", "compiled", "--shape", "64x64", "--device", "cuda"], "--device cuda"),
    ],
)
def test_build_bad_inputs(args, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(["build", "rife-4.0-fast", *args], capsys)
    assert code == 2 and message in err and err.count("\n") == 1, err
    assert list(tmp_path.iterdir()) == []


def test_build_missing_graph(tmp_path, capsys):
    code, _, err = _run(["build", str(tmp_path / "none.onnx"), "-o", str(tmp_path / "m.engine")], capsys)
    assert code == 2 and "does not exist" in err
