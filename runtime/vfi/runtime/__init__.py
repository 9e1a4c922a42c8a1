"""The runtime: run an interpolation model over a video or a folder of frames.

    from vfi.runtime.backends import create_runner
    from vfi.runtime.pipeline import interpolate

    with create_runner("torch", "rife-4.0", device="cpu") as runner:
        summary = interpolate("in.mp4", "out.mp4", runner, factor=2)

Modules, one idea each:
    runner          the `Runner` interface every backend implements
    timings         running statistics of a runner's calls
    backends/       backend registry (`create_runner`); torch, onnxruntime, compiled and tensorrt
                    runners; built artifacts and their shapes; the on-the-fly ONNX graph cache
    model_source    names / checkpoint paths / modules -> torch module, and its fingerprint
    pipeline        decode -> pad -> infer -> crop -> encode over bounded queues
    schedule        which output frames exist (factor, fps)
    synthesis       in-between frames of one pair (batching; bisection for t=0.5-only models)
    scene           scene-cut and duplicate detection
    defaults        option defaults the CLI shows (no numpy)
    media           which reader/writer a path gets; output checks
    video_io        PyAV reader and writer (H.264 / FFV1, audio passthrough)
    frame_folder_io frame folders in and out

Padding, frame conversion, atomic writes, sidecars and precisions are `vfi.core`'s. Nothing here
imports torch, PyAV or onnxruntime at module import time.
"""
