"""The runtime: run an interpolation model over a video or a folder of frames.

    from vfi.runtime.backends import create_runner
    from vfi.runtime.pipeline import interpolate

    with create_runner("torch", "rife-hdv3", device="cpu", precision="fp32") as runner:
        summary = interpolate("in.mp4", "out.mp4", runner, factor=2)

Modules, one idea each:
    runner          the `Runner` interface every backend implements
    backends/       backend registry (`create_runner`), torch and ONNX Runtime runners, ONNX export cache
    model_source    names / checkpoint paths / modules -> torch module, and its fingerprint
    pipeline        decode -> pad -> infer -> crop -> encode over bounded queues
    schedule        which output frames exist (--factor, --fps)
    synthesis       in-between frames of one pair (batching; bisection for t=0.5-only models)
    scene           scene-cut and duplicate detection
    defaults        option defaults the CLI shows (no numpy)
    padding         replicate-pad to the model's multiple and crop back
    media           which reader/writer a path gets; output checks
    video_io        PyAV reader and writer (H.264 / FFV1, audio passthrough)
    frame_folder_io PNG/JPEG frame folders
    atomic_output   temporary output renamed into place on success, removed on failure

Nothing here imports torch, PyAV or onnxruntime at module import time.
"""
