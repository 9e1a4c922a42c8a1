"""Video files in and out (PyAV): RGB(A) frames at the source's depth, real timestamps, colour
metadata, the display matrix (rotation) and audio passed through.

Reading (`VideoReader`): every frame's presentation time is pts x time base; frames of a
constant-rate stream are put on the exact grid of its nominal rate (Matroska rounds times to
milliseconds), frames off that grid (variable rate, gaps) keep their own time. Sources deeper than
8 bits (yuv420p10le, gray16, rgb48, ...) decode to RGB uint16, others to RGB uint8; a source with
alpha (yuva, rgba, ...) to RGBA. A change of frame size or pixel format mid-stream is scaled to the
first frame's size and format (one warning, and the change point counts as a scene cut); a stream
that stops decoding part-way ends there (one warning saying how many frames were used).

Output codec by file suffix, or `--codec` (the rule `vfi interpolate --help` states):

- ``.mp4``, ``.mov``, ``.m4v`` (and ``--codec h264``): H.264 (libx264), constant quality ``crf``
  (default 18, visually near-lossless), 8-bit. Even sizes: ``yuv420p``, which every player shows.
  An odd width or height is kept exactly: 4:4:4 chroma (``yuv444p``, High 4:4:4 Predictive
  profile), which browsers and QuickTime may not play; never a replicated row or column. Deeper
  input is reduced to 8 bits with one warning.
- ``--codec hevc`` (for ``.mp4 .mov .m4v .mkv``): H.265 (libx265), 10-bit ``yuv420p10le``
  (``yuv444p10le`` for odd sizes), quality ``crf``; input deeper than 10 bits gets one warning.
- ``.mkv``, ``.avi`` (and ``--codec ffv1``): FFV1, lossless RGB: ``bgr0`` for 8-bit input,
  ``gbrp16le`` for deeper input (``bgra`` / ``gbrap16le`` with alpha): decoding returns the exact
  pixels the pipeline wrote.

Alpha goes only into FFV1 (and PNG folders); H.264 and H.265 drop it with one warning. Colour
primaries, transfer, matrix and range of the input are tagged on the output (and the RGB <-> YUV
conversions use its matrix and range); the input's display matrix (rotation) is copied to the
output stream. Audio of the input is remuxed (packets copied, not re-encoded) when the output
container accepts its codec; otherwise a warning is logged once and the audio is dropped.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from vfi.core.errors import InputError
from vfi.core.frames import convert_frame
from vfi.core.messages import short_error
from vfi.runtime.defaults import DEFAULT_CRF
from vfi.runtime.schedule import TimedFrame

log = logging.getLogger("vfi.runtime")

#: output suffix -> container format, by codec
H264_FORMATS = {".mp4": "mp4", ".mov": "mov", ".m4v": "mp4"}
FFV1_FORMATS = {".mkv": "matroska", ".avi": "avi"}
#: every video suffix an output may have -> its container format
OUTPUT_VIDEO_FORMATS = {**H264_FORMATS, **FFV1_FORMATS}
#: `--codec` values -> the suffixes whose containers hold that codec
CODEC_SUFFIXES = {
    "h264": (".mp4", ".mov", ".m4v", ".mkv"),
    "hevc": (".mp4", ".mov", ".m4v", ".mkv"),
    "ffv1": (".mkv", ".avi"),
}
#: bits per sample each output codec stores
CODEC_BITS = {"h264": 8, "hevc": 10, "ffv1": 16}
#: x265 settings for frames under 64 pixels a side: the libx265 of the PyAV wheel corrupts its heap
#: on such frames with real content (seen at 48x40 and 47x41, any CTU size) unless its lookahead
#: (slice-type decision) is off
X265_SMALL_FRAME_PARAMS = "rc-lookahead=0:lookahead-slices=0:bframes=0:b-adapt=0:scenecut=0"


@dataclass
class ColorInfo:
    """Colour metadata of a stream, as FFmpeg's enum values (None or 0: unspecified)."""

    primaries: int | None = None
    transfer: int | None = None
    matrix: int | None = None
    range: int | None = None

    @classmethod
    def of_frame(cls, frame) -> ColorInfo:
        return cls(frame.color_primaries, frame.color_trc, frame.colorspace, frame.color_range)


def default_codec(suffix: str) -> str:
    """The codec an output `suffix` gets when `--codec` is not given."""
    return "ffv1" if suffix.lower() in FFV1_FORMATS else "h264"


def check_codec(codec: str | None, suffix: str) -> str:
    """The codec an output named `suffix` gets with `--codec` `codec` (None: by suffix);
    `InputError` when the codec is unknown or its container cannot hold it."""
    suffix = suffix.lower()
    if codec is None:
        return default_codec(suffix)
    if codec not in CODEC_SUFFIXES:
        raise InputError(f"--codec {codec!r} is unknown; use one of {', '.join(CODEC_SUFFIXES)}", "codec")
    if suffix not in CODEC_SUFFIXES[codec]:
        raise InputError(
            f"--codec {codec} cannot go into a {suffix} file; use one of {', '.join(CODEC_SUFFIXES[codec])}", "codec"
        )
    return codec


class VideoReader:
    """Decodes the first video stream of a file into RGB(A) uint8/uint16 HWC frames with their times.

    Iterating yields the frames (numpy arrays); `frames()` yields `TimedFrame`s with presentation
    times. The first frame is decoded on opening, so its format, colour and rotation are known
    before the output is set up.

    Args:
        keep_depth: frames at the source's depth (uint16 above 8 bits) and with its alpha, as the
            pipeline reads them; False (default, for callers that want plain frames): RGB uint8.

    Attributes:
        path: the input file.
        fps: nominal frame rate (frames per second) as an exact fraction (average rate of the stream).
        time_base: the stream's time base (seconds per pts tick).
        start_time: presentation time (seconds) of the first frame.
        width, height: frame size (pixels).
        frame_count: number of frames if the container says so, else None.
        bits: bits per sample of the source (8, 10, 12, 16, ...); `dtype` holds the frames:
            uint8 for 8 bits (or without `keep_depth`), else uint16 (the full 0..65535 scale).
        has_alpha: frames are RGBA (the source has alpha and `keep_depth` is set).
        color: the source's `ColorInfo`; display_matrix: its 9 display-matrix ints, or None.
        rotation: counter-clockwise rotation (degrees) the display matrix asks for.
        variable_rate: True once a frame was found off the nominal-rate grid (variable frame rate
            or a gap); final after iteration.
        frames_decoded: frames yielded so far.
        audio_codec: codec name of the first audio stream, or None.
    """

    def __init__(self, path: str | Path, keep_depth: bool = False):
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
        self.time_base = Fraction(stream.time_base) if stream.time_base else None
        self.frame_count = int(stream.frames) if stream.frames else None
        audio = self._container.streams.audio
        self.audio_codec = audio[0].codec_context.name if audio else None
        self.variable_rate = False
        self.frames_decoded = 0
        self._reordered = False
        self._decoded = self._container.decode(stream)
        try:
            first = next(self._decoded, None)
        except (av.error.FFmpegError, ValueError) as exc:
            self._container.close()
            raise InputError(f"{self.path}: video could not be decoded ({short_error(exc)})") from None
        if first is None:
            self._container.close()
            raise InputError(f"{self.path}: video stream holds no decodable frame")
        self._first = first
        self.width, self.height = int(first.width), int(first.height)
        self._source_format = first.format.name
        components = first.format.components
        self.bits = max((c.bits for c in components if not c.is_alpha), default=8)
        self.has_alpha = keep_depth and any(c.is_alpha for c in components)
        deep = keep_depth and self.bits > 8
        self.dtype = np.dtype(np.uint16 if deep else np.uint8)
        self._rgb_format = {(False, False): "rgb24", (False, True): "rgba", (True, False): "rgb48le", (True, True): "rgba64le"}[
            (deep, self.has_alpha)
        ]
        self.color = ColorInfo.of_frame(first)
        self.display_matrix = _display_matrix(first)
        self.rotation = int(first.rotation or 0) if self.display_matrix else 0
        self._tick = self.time_base or (1 / self.fps)
        self.start_time = self._raw_time(first) if first.pts is not None else Fraction(0)

    def _raw_time(self, frame) -> Fraction:
        base = Fraction(frame.time_base) if frame.time_base else self._tick
        return frame.pts * base

    def _to_array(self, frame) -> np.ndarray:
        # yuv -> RGB with the stream's own matrix and range (swscale would assume BT.601 limited).
        kwargs = {}
        if not frame.format.is_rgb and frame.format.name not in ("gray", "gray16le", "gray16be", "pal8"):
            if frame.colorspace:
                kwargs["src_colorspace"] = frame.colorspace
            if frame.color_range:
                kwargs["src_color_range"] = frame.color_range
        return frame.reformat(format=self._rgb_format, **kwargs).to_ndarray()

    def frames(self) -> Iterator[TimedFrame]:
        """The frames with presentation times (see the module docstring), in display order."""
        import av

        nominal = 1 / self.fps
        # Snapping tolerance: the stream's rounding of times (one tick), and never half a frame.
        tolerance = min(self._tick, nominal / 2)
        previous: Fraction | None = None
        expected_size = (self.width, self.height, self._source_format)
        changed_once = False
        frame = self._first
        self._first = None
        while frame is not None:
            discontinuity = False
            if (frame.width, frame.height, frame.format.name) != expected_size:
                if not changed_once:
                    log.warning(
                        "%s: the stream changes from %dx%d %s to %dx%d %s at frame %d; later frames are scaled to "
                        "%dx%d and the change is treated as a scene cut",
                        self.path,
                        self.width,
                        self.height,
                        self._source_format,
                        frame.width,
                        frame.height,
                        frame.format.name,
                        self.frames_decoded,
                        self.width,
                        self.height,
                    )
                    changed_once = True
                expected_size = (frame.width, frame.height, frame.format.name)
                discontinuity = True
            if (frame.width, frame.height) != (self.width, self.height) or frame.format.name != self._source_format:
                frame = frame.reformat(width=self.width, height=self.height, format=self._source_format)
            image = self._to_array(frame)
            time = self._time(frame, previous, nominal, tolerance)
            duration = frame.duration * Fraction(frame.time_base) if frame.duration and frame.time_base else None
            if duration is not None and abs(duration - nominal) <= tolerance:
                duration = nominal  # the container's rounding of the nominal frame duration
            previous = time
            self.frames_decoded += 1
            yield TimedFrame(convert_frame(image, self.dtype, 4 if self.has_alpha else 3), time, duration, discontinuity)
            try:
                frame = next(self._decoded, None)
            except (av.error.FFmpegError, ValueError) as exc:
                log.warning(
                    "%s: the video could not be decoded past frame %d (%s); the %d frames before it were used",
                    self.path,
                    self.frames_decoded,
                    short_error(exc),
                    self.frames_decoded,
                )
                return

    def _time(self, frame, previous: Fraction | None, nominal: Fraction, tolerance: Fraction) -> Fraction:
        if previous is None:
            return self.start_time
        if frame.pts is None:
            return previous + nominal  # raw streams carry no times: the nominal rate
        raw = self._raw_time(frame)
        expected = previous + nominal
        if abs(raw - expected) <= tolerance:
            return expected  # on the constant-rate grid: the exact time, not the container's rounding
        if raw <= previous:
            if not self._reordered:
                log.warning(
                    "%s: frame %d has a timestamp before its predecessor's; such frames are shown one frame later",
                    self.path,
                    self.frames_decoded,
                )
                self._reordered = True
            self.variable_rate = True
            return expected
        self.variable_rate = True
        return raw

    def __iter__(self) -> Iterator[np.ndarray]:
        for timed in self.frames():
            yield timed.image

    def close(self) -> None:
        self._container.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def _display_matrix(frame) -> list[int] | None:
    """The 9 ints of a frame's display-matrix side data, or None (none, or the identity)."""
    import av

    for side_data in frame.side_data:
        if side_data.type == av.sidedata.sidedata.Type.DISPLAYMATRIX:
            matrix = np.frombuffer(bytes(side_data), dtype="<i4")[:9].tolist()
            return None if matrix == [65536, 0, 0, 0, 65536, 0, 0, 0, 1 << 30] else matrix
    return None


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
    """Encodes RGB(A) uint8/uint16 HWC frames into a video file (codec by `suffix`/`codec`, see
    the module doc), each at its own presentation time.

    Args:
        path: file to write (may be a temporary name; the codec follows `suffix`).
        fps: nominal output frame rate (frames per second); frames written without a time are
            shown at ``n / fps``.
        width, height: frame size (pixels) of every frame passed to `write`; kept exactly.
        suffix: the suffix of the final output name (".mp4", ".mkv", ...); defaults to `path`'s.
        crf: H.264/H.265 constant rate factor (0 to 51, lower is better; default 18). Ignored for FFV1.
        audio_from: a video whose first audio stream is copied into the output, or None.
        codec: "h264", "hevc" or "ffv1"; None: by suffix (`default_codec`).
        bits: significant bits per sample of the frames' source (8, 10, 16, ...), for the warning
            when the codec stores fewer; frames deeper than 8 bits come as uint16.
        alpha: frames are RGBA.
        color: colour metadata to tag (and to convert RGB -> YUV with), or None.
        display_matrix: 9 ints to store as the stream's display matrix (rotation), or None.
        time_base: output time base (seconds per tick); every frame time is rounded to it.
            Default ``1 / fps``.
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
        codec: str | None = None,
        bits: int = 8,
        alpha: bool = False,
        color: ColorInfo | None = None,
        display_matrix: list[int] | None = None,
        time_base: Fraction | None = None,
    ):
        import av

        self.path = Path(path)
        suffix = (suffix or self.path.suffix).lower()
        if suffix not in OUTPUT_VIDEO_FORMATS:
            raise InputError(
                f"unsupported output suffix {suffix!r}; use one of {', '.join(sorted(OUTPUT_VIDEO_FORMATS))} or a folder",
                "output",
            )
        codec = check_codec(codec, suffix)
        if not 0 <= crf <= 51:
            raise InputError(f"crf must be between 0 and 51, got {crf}", "crf")
        self.fps = Fraction(fps).limit_denominator(1_000_000)
        self.width, self.height = width, height
        self.codec = codec
        self.lossless = codec == "ffv1"
        self.time_base = Fraction(time_base) if time_base else 1 / self.fps
        deep = bits > 8
        odd = bool(width % 2 or height % 2)
        if codec == "ffv1":
            pix_fmt = {(False, False): "bgr0", (False, True): "bgra", (True, False): "gbrp16le", (True, True): "gbrap16le"}[
                (deep, alpha)
            ]
        elif codec == "hevc":
            pix_fmt = "yuv444p10le" if odd else "yuv420p10le"
        else:
            pix_fmt = "yuv444p" if odd else "yuv420p"
        if bits > CODEC_BITS[codec]:
            log.warning(
                "the input has %d bits per sample but %s output stores %d; it is reduced (use .mkv for lossless 16-bit FFV1%s)",
                bits,
                {"h264": "H.264", "hevc": "H.265"}[codec],
                CODEC_BITS[codec],
                "" if codec == "hevc" else ", or --codec hevc for 10-bit H.265",
            )
        if alpha and codec != "ffv1":
            log.warning(
                "the input has an alpha channel, which %s cannot hold; it is dropped (use .mkv or a PNG folder)", codec.upper()
            )
        self._alpha = alpha and codec == "ffv1"
        self._container = av.open(str(self.path), mode="w", format=OUTPUT_VIDEO_FORMATS[suffix])
        stream = self._container.add_stream({"ffv1": "ffv1", "hevc": "libx265", "h264": "libx264"}[codec], rate=self.fps)
        stream.pix_fmt = pix_fmt
        if codec == "hevc":
            params = "log-level=error" + (":" + X265_SMALL_FRAME_PARAMS if min(width, height) < 64 else "")
            stream.options = {"crf": str(int(crf)), "x265-params": params}
            if suffix in H264_FORMATS:
                stream.codec_tag = "hvc1"  # the tag QuickTime and Safari need for H.265 in MP4
        elif codec == "h264":
            stream.options = {"crf": str(int(crf))}
        stream.width, stream.height = width, height
        stream.codec_context.time_base = self.time_base
        self._yuv = codec != "ffv1"
        self._frame_format = {(False, False): "rgb24", (False, True): "rgba", (True, False): "rgb48le", (True, True): "rgba64le"}
        self._deep = deep
        self._color = self._tag(stream.codec_context, color or ColorInfo())
        if display_matrix:
            stream.set_display_matrix(display_matrix)
        self._stream = stream
        self._audio = None
        if audio_from is not None:
            try:
                self._audio = _AudioPassthrough(Path(audio_from), self._container)
            except Exception as exc:  # noqa: BLE001 -- audio is optional; the video must not fail over it
                log.warning("audio of %s could not be copied (%s); the output has no audio", audio_from, short_error(exc))
                self._audio = None
        self.frames_written = 0
        self._last_pts: int | None = None

    def _tag(self, target, color: ColorInfo) -> ColorInfo:
        """Tag `target` (codec context or frame) with `color`; RGB outputs carry no YUV matrix."""
        tagged = ColorInfo(color.primaries, color.transfer, color.matrix if self._yuv else 0, color.range if self._yuv else 2)
        if tagged.primaries:
            target.color_primaries = tagged.primaries
        if tagged.transfer:
            target.color_trc = tagged.transfer
        if tagged.matrix:
            target.colorspace = tagged.matrix
        if tagged.range:
            target.color_range = tagged.range
        return tagged

    def write(self, frame: np.ndarray, time: Fraction | None = None) -> None:
        """Encode one RGB(A) [H, W, 3 or 4] frame (uint8, or uint16 for deep output) shown at
        `time` (seconds); None: right after the previous one at the nominal rate."""
        import av

        if frame.shape[:2] != (self.height, self.width) or frame.shape[2] not in (3, 4):
            raise ValueError(f"frame shape {frame.shape} != ({self.height}, {self.width}, 3 or 4)")
        frame = convert_frame(frame, np.uint16 if self._deep else np.uint8, 4 if self._alpha else 3)
        video_frame = av.VideoFrame.from_ndarray(frame, format=self._frame_format[(self._deep, self._alpha)])
        if self._yuv:
            kwargs = {}
            if self._color.matrix:
                kwargs["dst_colorspace"] = self._color.matrix
            if self._color.range:
                kwargs["dst_color_range"] = self._color.range
            video_frame = video_frame.reformat(format=self._stream.pix_fmt, **kwargs)
        self._tag(video_frame, self._color)
        if time is None:
            time = self.frames_written / self.fps
        pts = round(Fraction(time) / self.time_base)
        if self._last_pts is not None and pts <= self._last_pts:
            pts = self._last_pts + 1  # two times closer than one tick: keep the order
        self._last_pts = pts
        video_frame.pts = pts
        video_frame.time_base = self.time_base
        if self._audio is not None:
            self._audio.mux_until(float(pts * self.time_base))
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


def write_video(frames, path: str | Path, fps: float = 25.0, crf: int = DEFAULT_CRF, codec: str | None = None) -> Path:
    """Write RGB(A) uint8 or uint16 frames as a video at `fps`; the codec follows the suffix (see
    the module doc) or `codec`."""
    frames = list(frames)
    height, width = frames[0].shape[:2]
    bits = 16 if frames[0].dtype == np.uint16 else 8
    writer = VideoWriter(path, fps, width, height, crf=crf, codec=codec, bits=bits, alpha=frames[0].shape[2] == 4)
    try:
        for frame in frames:
            writer.write(frame)
    except BaseException:
        writer.abort()
        raise
    writer.close()
    return Path(path)
