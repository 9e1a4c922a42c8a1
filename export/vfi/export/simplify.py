"""Graph simplification with onnxslim (optional dependency).

onnxslim folds constants, removes dead nodes and fuses trivial patterns (it is pure Python, from
PyPI: ``pip install onnxslim``). It is optional: without it the exported graph is kept as the
exporter wrote it (the dynamo exporter already runs its own optimisation pass), and the sidecar
records ``"applied": false`` with the reason.

The simplified graph must keep the interface and pass the lint again; if onnxslim fails on a
graph (e.g. a construct it cannot handle), the unsimplified graph is kept and the reason recorded,
never silently.
"""

from __future__ import annotations

import logging

from vfi.core.messages import short_error

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install onnxslim"


def simplifier_version() -> str | None:
    """onnxslim's version, or None when it is not installed."""
    try:
        import onnxslim
    except ImportError:
        return None
    return getattr(onnxslim, "__version__", "unknown")


def simplify(model):
    """(model, report): the simplified model (or `model` itself) and a dict for the sidecar with
    keys tool, version, applied, note, nodes_before, nodes_after."""
    version = simplifier_version()
    report = {"tool": "onnxslim", "version": version, "applied": False, "note": "", "nodes_before": len(model.graph.node)}
    if version is None:
        report["note"] = f"onnxslim not installed ({INSTALL_HINT}); graph kept as exported"
        report["nodes_after"] = report["nodes_before"]
        return model, report
    import onnxslim

    try:
        slim = onnxslim.slim(model)
    except Exception as exc:  # a simplifier failure must not lose the (valid) exported graph
        report["note"] = f"onnxslim failed ({short_error(exc)}); graph kept as exported"
        report["nodes_after"] = report["nodes_before"]
        log.warning(report["note"])
        return model, report
    if [i.name for i in slim.graph.input] != [i.name for i in model.graph.input] or [o.name for o in slim.graph.output] != [
        o.name for o in model.graph.output
    ]:
        report["note"] = "onnxslim changed the graph interface; graph kept as exported"
        report["nodes_after"] = report["nodes_before"]
        return model, report
    report.update(applied=True, nodes_after=len(slim.graph.node))
    return slim, report
