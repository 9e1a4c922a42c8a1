"""The contracts every stage shares, one home each (the bottom layer: it imports no other stage).

    errors          user-facing errors; they name the library parameters involved
    messages        the short form of an exception inside a one-line message
    cache           where derived files live ($VFI_CACHE_DIR, $XDG_CACHE_HOME/vfi, ~/.cache/vfi)
    lazy            registries of "module:attribute" strings, imported on first use
    atomic          output that appears complete or not at all
    precision       the precisions table and the rules every backend and builder applies
    graph_spec      the graph interface of a model family (names, forms, axes, opset, tolerances)
    sidecar         the JSON sidecar of every exported graph, engine and package
    tolerance       tolerances as data, and the comparison every parity check uses
    frames          frame files (natural order, one reader) and frame conversions
    padding         replicate padding to a multiple, and cropping back
    metrics         PSNR, SSIM, IE
    synthetic_scene rendered clips with known motion (training data, parity checks, demos, tests)
    vimeo90k        the Vimeo-90K layout
    tensorrt        the one way TensorRT is imported

Nothing here imports torch, onnx or PyAV at module import time.
"""
