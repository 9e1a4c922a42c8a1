"""The CLI's cheap commands: --help stays light, doctor reports, models lists names."""

from __future__ import annotations

import subprocess
import sys

from vfi.cli.app import main


def test_cli_import_pulls_in_no_heavy_library():
    code = (
        "import sys, vfi.cli.app\n"
        "heavy = [m for m in ('torch', 'onnxruntime', 'onnx', 'av', 'triton', 'tensorrt') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_no_generic_top_level_modules_are_importable_from_site():
    # Stage folders are namespace portions of vfi only: their roots hold vfi/, never a stage package.
    code = (
        "import importlib.util, os, sys\n"
        "sys.path = [p for p in sys.path if os.path.abspath(p or '.') != os.getcwd()]\n"
        "print([m for m in ('models','kernels','train','export','runtime','benchmarks') if importlib.util.find_spec(m)])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/")
    assert out.stdout.strip() == "[]"


def test_doctor_reports_torch_and_tensorrt_state(capsys):
    main(["doctor"])
    out = capsys.readouterr().out
    import torch

    assert torch.__version__ in out
    assert "tensorrt" in out and "onnxruntime" in out
    assert "backend torch" in out


def test_doctor_says_which_precisions_each_backend_runs_a_model_at():
    from vfi.cli.commands.doctor import check_backends
    from vfi.runtime.backends.torch_backend import TorchRunner

    checks = {c.name: c for c in check_backends()}
    torch_row = checks["backend torch"]
    cpu = ", ".join(TorchRunner.precisions["cpu"])
    assert torch_row.ok and f"model precisions: cpu {cpu}; cuda" in torch_row.detail
    if checks["backend compiled"].ok:
        assert checks["backend compiled"].detail == "runs built artifacts, each at its own precision"
    if checks["backend openvino"].ok:
        from vfi.core.openvino import cpu_precisions

        assert checks["backend openvino"].detail == "model precisions: cpu " + ", ".join(cpu_precisions())


def test_models_lists_the_default_model(capsys):
    main(["models"])
    out = capsys.readouterr().out
    assert "rife-4.0" in out and "rife-4.0-fast" in out
    assert "8.41M" in out or "8.4" in out


def test_unknown_model_is_one_line_error(capsys):
    import pytest

    import vfi.models
    from vfi.core.errors import InputError

    with pytest.raises(InputError, match="known models: .*rife-4.0"):
        vfi.models.create("no-such-model")


def test_library_errors_are_written_with_this_commands_flags(tmp_path, capsys):
    """The library names its parameters; the CLI line names the flags of the command that ran,
    including flags that differ from the parameter's name (--workspace for workspace_mb)."""
    import pytest

    from vfi.cli.app import flag_spelling

    spelling = flag_spelling(["build", "x.onnx", "-o", "x.engine"])
    assert spelling["workspace_mb"] == "--workspace" and spelling["hardware_compat"] == "--hardware-compat"
    assert flag_spelling(["interpolate", "a", "-o", "b"])["input_fps"] == "--input-fps"
    assert flag_spelling(["weights", "import", "rife"])["wheel"] == "--wheel"
    assert flag_spelling(["nonsense"]) == {}

    clip = tmp_path / "in"
    clip.mkdir()
    with pytest.raises(SystemExit) as info:
        main(["interpolate", str(clip), "-o", str(tmp_path / "out"), "--factor", "1"])
    assert info.value.code == 2
    assert capsys.readouterr().err == "vfi: error: --factor must be an integer >= 2, got 1\n"
    (tmp_path / "g.onnx").write_bytes(b"")
    with pytest.raises(SystemExit):
        main(["build", str(tmp_path / "g.onnx"), "-o", str(tmp_path / "g.engine"), "--workspace", "0"])
    assert capsys.readouterr().err == "vfi: error: --workspace must be an integer in 1..1048576, got 0\n"


def test_export_refuses_a_built_package_or_ir_in_one_line(tmp_path, capsys):
    """A .pt2 or .xml given to `vfi export` is named as the built artifact it is (it used to be read
    as a .safetensors checkpoint and refused as unreadable)."""
    import pytest

    for name in ("m.pt2", "m.xml", "M.PT2"):
        (tmp_path / name).write_bytes(b"built")
        with pytest.raises(SystemExit) as info:
            main(["export", str(tmp_path / name), "-o", str(tmp_path / "out.onnx")])
        err = capsys.readouterr().err
        assert info.value.code == 2 and err.count("\n") == 1 and "is a built" in err and "safetensors checkpoint" in err, err
        assert not (tmp_path / "out.onnx").exists()


def test_numeric_options_are_checked_before_anything_loads(tmp_path, capsys):
    import pytest

    for args, line in (
        (["train", "ifrnet", "--lr", "nan"], "vfi: error: --lr must be a finite number > 0, got nan\n"),
        (
            ["export", "rife-4.0", "-o", str(tmp_path / "m.onnx"), "--shape", "8192x8192"],
            "vfi: error: --shape: height must be an integer in 1..4096 pixels, got 8192\n",
        ),
        (["serve", "rife-4.0", "--max-batch", "0"], "vfi: error: --max-batch must be an integer in 1..256, got 0\n"),
    ):
        with pytest.raises(SystemExit) as info:
            main(args)
        assert info.value.code == 2 and capsys.readouterr().err == line
    assert list(tmp_path.iterdir()) == []
