"""Every op registered in `vfi.kernels.OPS` has every facet and a parity test."""

from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path

import pytest

from vfi.kernels import OPS
from vfi.kernels.spec import OpSpec

ROOT = Path(__file__).resolve().parents[2]
# Facets whose import needs an optional backend this machine may lack: checked by source instead.
NEEDS_TENSORRT = ("trt_plugin",)
FACET_CASES = [(name, facet) for name in OPS for facet in OpSpec.FACETS]


def test_registry_shape():
    assert {"backward_warp", "deform_conv2d", "sparse_conv2d"} <= set(OPS)
    for name, spec in OPS.items():
        assert spec.name == name
        assert set(spec.tolerances) >= {"float32", "float16"}, f"{name}: tolerances per dtype"


def test_importing_kernels_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, vfi.kernels as k; k.OPS; sys.exit(1 if 'torch' in sys.modules or 'triton' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.mark.parametrize(("name", "facet"), FACET_CASES, ids=[f"{n}-{f}" for n, f in FACET_CASES])
def test_facet_present(name, facet):
    spec = OPS[name]
    path = getattr(spec, facet)
    module_name, _, attr = path.partition(":")
    if facet in NEEDS_TENSORRT:
        found = importlib.util.find_spec(module_name)
        assert found is not None and found.origin, f"{name}: {facet} module {module_name} missing"
        tree = ast.parse(Path(found.origin).read_text())
        source = Path(found.origin).read_text()
        assert "trtp.register" in source and "trtp.aot_impl" in source, f"{name}: {facet} registers no AOT plugin"
        assert f"{spec.onnx_op_type}" in source or "OP_TYPE" in source
        if attr:
            names = {getattr(n, "name", None) for n in tree.body}
            assert attr in names, f"{name}: {module_name} has no {attr}"
        return
    obj = spec.facet(facet)
    assert obj is not None and (callable(obj) or hasattr(obj, "__file__")), f"{name}: facet {facet} -> {obj!r}"


@pytest.mark.parametrize("name", list(OPS))
def test_parity_test_exists(name):
    spec = OPS[name]
    assert spec.parity_test and (ROOT / spec.parity_test).is_file(), f"{name}: parity test {spec.parity_test} missing"


@pytest.mark.parametrize("name", list(OPS))
def test_onnx_op_type_is_not_builtin(name):
    from vfi.kernels.onnx_lint import builtin_op_types

    assert OPS[name].onnx_op_type not in builtin_op_types()


@pytest.mark.parametrize("name", list(OPS))
def test_executor_is_an_oprun_for_the_op_type(name):
    from onnx.reference.op_run import OpRun

    executor = OPS[name].facet("onnx_executor")
    assert issubclass(executor, OpRun) and executor.__name__ == OPS[name].onnx_op_type
    assert getattr(executor, "op_domain", None) == "vfi"
