"""Video files in and out (PyAV): RGB uint8 frames, frame rate, audio passed through.

Output codec by file suffix (the rule `vfi interpolate --help` states):

- ``.mp4``, ``.mov``, ``.m4v``: H.264 (libx264), constant quality ``crf`` (default 18, visually
  near-lossless), ``yuv420p`` so every player can show it. yuv420p needs even sizes: an odd
  height or width is padded by one replicated row or column (the output is then 1 px larger),
  because cropping would lose content and 4:4:4 H.264 does not play in browsers or QuickTime.
- ``.mkv``, ``.avi``: FFV1, lossless RGB (``bgr0``): decoding returns the exact pixels.

Audio of the input is remuxed (packets copied, not re-encoded) when the output container accepts
its codec; otherwise a warning is logged once and the audio is dropped.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np

from vfi.core.errors import InputError
from vfi.core.messages import short_error
from vfi.runtime.defaults import DEFAULT_CRF

log = logging.getLogger("vfi.runtime")

#: output suffix -> container format, by codec
H264_FORMATS = {".mp4": "mp4", ".mov": "mov", ".m4v": "mp4"}
FFV1_FORMATS = {".mkv": "matroska", ".avi": "avi"}
#: every video suffix an output may have -> its container format
OUTPUT_VIDEO_FORMATS = {**H264_FORMATS, **FFV1_FORMATS}


class VideoReader:
    """Decodes the first video stream of a file into RGB uint8 HWC frames.

    Attributes:
        path: the input file.
        fps: frame rate (frames per second) as an exact fraction (average rate of the stream).
        width, height: frame size (pixels).
        frame_count: number of frames if the container says so, else None.
        audio_codec: codec name of the first audio stream, or None.
    """

    def __init__(self, path: str | Path):
        import av

        self.path = Path(path)
        try:
            self._container = av.open(str(self.path))
        except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
            raise InputError(f"{self.path}: not a readable video ({short_error(exc)})") from None
        if not self._container.streams.video:
            self._container.close()
            raise InputError(f"{self.path}: has no video stream")
        stream = self._container.streams.video[0]
        stream.thread_type = "AUTO"
        self._stream = stream
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        if not rate or rate <= 0:
            self._container.close()
            raise InputError(f"{self.path}: video stream has no frame rate")
        self.fps = snap_frame_rate(Fraction(rate))
        self.width = int(stream.codec_context.width)
        self.height = int(stream.codec_context.height)
        self.frame_count = int(stream.frames) if stream.frames else None
        audio = self._container.streams.audio
        self.audio_codec = audio[0].codec_context.name if audio else None

    def __iter__(self) -> Iterator[np.ndarray]:
        import av

        try:
            for frame in self._container.decode(self._stream):
                yield frame.to_ndarray(format="rgb24")
        except av.error.FFmpegError as exc:
            raise InputError(f"{self.path}: video could not be decoded ({short_error(exc)})") from None

    def close(self) -> None:
        self._container.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class _AudioPassthrough:
    """Copies the audio packets of `source` into `container`, interleaved with the video by time."""

    def __init__(self, source: Path, container):
        import av

        self._input = av.open(str(source))
        self._in_stream = self._input.streams.audio[0]
        codec = self._in_stream.codec_context.name
        self.stream = None
        if codec not in container.supported_codecs:
            log.warning("audio codec %s cannot go into a %s file; the output has no audio", codec, container.format.name)
            self._input.close()
            return
        self.stream = container.add_stream_from_template(self._in_stream)
        self._packets = self._input.demux(self._in_stream)
        self._pending = None
        self._container = container

    def mux_until(self, seconds: float) -> None:
        """Write the audio packets that start before `seconds` (output time)."""
        while self.stream is not None:
            packet = self._next_packet()
            if packet is None:
                return
            if packet.pts is not None and packet.time_base is not None and float(packet.pts * packet.time_base) > seconds:
                self._pending = packet
                return
            self._mux(packet)

    def finish(self) -> None:
        """Write every remaining audio packet and close the input."""
        while self.stream is not None:
            packet = self._next_packet()
            if packet is None:
                break
            self._mux(packet)
        self._input.close()

    def _next_packet(self):
        if self._pending is not None:
            packet, self._pending = self._pending, None
            return packet
        if self._packets is None:
            return None
        packet = next(self._packets, None)
        if packet is None:
            self._packets = None
        return packet

    def _mux(self, packet) -> None:
        if packet.dts is None:  # demuxer flush packets carry no data
            return
        packet.stream = self.stream
        self._container.mux(packet)

    def close(self) -> None:
        self._input.close()


class VideoWriter:
    """Encodes RGB uint8 HWC frames into a video file (codec chosen by `suffix`, see module doc).

    Args:
        path: file to write (may be a temporary name; the codec follows `suffix`).
        fps: output frame rate (frames per second).
        width, height: frame size (pixels) of every frame passed to `write`.
        suffix: the suffix of the final output name (".mp4", ".mkv", ...); defaults to `path`'s.
        crf: H.264 constant rate factor (0 to 51, lower is better; default 18). Ignored for FFV1.
        audio_from: a video whose first audio stream is copied into the output, or None.
    """

    def __init__(
        self,
        path: str | Path,
        fps: Fraction | float,
        width: int,
        height: int,
        suffix: str | None = None,
        crf: int = DEFAULT_CRF,
        audio_from: str | Path | None = None,
    ):
        import av

        self.path = Path(path)
        suffix = (suffix or self.path.suffix).lower()
        if suffix not in OUTPUT_VIDEO_FORMATS:
            raise InputError(
                f"unsupported output suffix {suffix!r}; use one of {', '.join(sorted(OUTPUT_VIDEO_FORMATS))} or a folder",
                "output",
            )
        if not 0 <= crf <= 51:
            raise InputError(f"crf must be between 0 and 51, got {crf}", "crf")
        self.fps = Fraction(fps).limit_denominator(1_000_000)
        self.width, self.height = width, height
        self.lossless = suffix in FFV1_FORMATS
        self._container = av.open(str(self.path), mode="w", format=OUTPUT_VIDEO_FORMATS[suffix])
        if self.lossless:
            stream = self._container.add_stream("ffv1", rate=self.fps)
            stream.pix_fmt = "bgr0"
            self._pad = (0, 0)
        else:
            stream = self._container.add_stream("libx264", rate=self.fps)
            stream.pix_fmt = "yuv420p"
            stream.options = {"crf": str(int(crf))}
            self._pad = (height % 2, width % 2)
        stream.width = width + self._pad[1]
        stream.height = height + self._pad[0]
        stream.codec_context.time_base = 1 / self.fps
        self._stream = stream
        self._audio = None
        if audio_from is not None:
            try:
                self._audio = _AudioPassthrough(Path(audio_from), self._container)
            except Exception as exc:  # noqa: BLE001 -- audio is optional; the video must not fail over it
                log.warning("audio of %s could not be copied (%s); the output has no audio", audio_from, short_error(exc))
                self._audio = None
        self.frames_written = 0

    def write(self, frame: np.ndarray) -> None:
        """Encode one RGB uint8 [H, W, 3] frame."""
        import av

        if frame.shape != (self.height, self.width, 3):
            raise ValueError(f"frame shape {frame.shape} != ({self.height}, {self.width}, 3)")
        if any(self._pad):
            frame = np.pad(frame, ((0, self._pad[0]), (0, self._pad[1]), (0, 0)), mode="edge")
        video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
        video_frame.pts = self.frames_written
        video_frame.time_base = self._stream.codec_context.time_base
        if self._audio is not None:
            self._audio.mux_until(float(self.frames_written / self.fps))
        for packet in self._stream.encode(video_frame):
            self._container.mux(packet)
        self.frames_written += 1

    def close(self) -> None:
        """Flush the encoder, write the remaining audio, and close the file."""
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        if self._audio is not None:
            self._audio.finish()
        self._container.close()

    def abort(self) -> None:
        """Close without flushing (after an error); the caller deletes the file."""
        try:
            if self._audio is not None:
                self._audio.close()
            self._container.close()
        except Exception:  # noqa: BLE001 -- closing a half-written file may fail; it is deleted anyway
            pass


def snap_frame_rate(rate: Fraction) -> Fraction:
    """`rate` replaced by the nearest standard rate (an integer or an NTSC n*1000/1001 rate) when
    within 0.01% of it.

    Matroska stores times in milliseconds, so a 60000/1001 fps file reads back as 19001/317; the
    schedule's exact arithmetic should see the rate the file was made with.
    """
    for candidate in (Fraction(round(rate)), Fraction(round(rate * Fraction(1001, 1000)) * 1000, 1001)):
        if candidate > 0 and abs(candidate - rate) <= rate * Fraction(1, 10_000):
            return candidate
    return rate


def duration_seconds(n_frames: int, fps: Fraction) -> float:
    """Duration (seconds) of `n_frames` shown at `fps`."""
    return float(n_frames / fps) if fps else math.nan


def write_video(frames, path: str | Path, fps: float = 25.0, crf: int = DEFAULT_CRF) -> Path:
    """Write RGB uint8 frames as a video; the codec follows the suffix (see the module doc)."""
    frames = list(frames)
    height, width = frames[0].shape[:2]
    writer = VideoWriter(path, fps, width, height, crf=crf)
    try:
        for frame in frames:
            writer.write(frame)
    except BaseException:
        writer.abort()
        raise
    writer.close()
    return Path(path)
