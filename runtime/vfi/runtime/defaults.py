"""Defaults of the runtime's user-facing options, in a module that imports nothing, so that the CLI
can show them in `--help` without loading numpy (`scene` and `video_io` re-export them)."""

#: default `--scene-threshold` (see `vfi.runtime.scene` for the measurements behind it)
DEFAULT_CUT_THRESHOLD = 0.2
#: default H.264 `--crf` (visually lossless for interpolated frames)
DEFAULT_CRF = 18
