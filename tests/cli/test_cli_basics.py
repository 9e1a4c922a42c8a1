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


def test_models_lists_the_default_model(capsys):
    main(["models"])
    out = capsys.readouterr().out
    assert "rife-hdv3" in out and "rife-hdv3-fast" in out
    assert "8.41M" in out or "8.4" in out


def test_unknown_model_is_one_line_error(capsys):
    import pytest

    from vfi.core.errors import InputError
    import vfi.models

    with pytest.raises(InputError, match="known models: .*rife-hdv3"):
        vfi.models.create("no-such-model")
