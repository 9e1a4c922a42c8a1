"""Frames as the toolkit exchanges them, and the one way image files are found and read.

* On disk: image files (`IMAGE_SUFFIXES`) in **natural name order** everywhere (``frame2.png``
  before ``frame10.png``): frame folders of `vfi interpolate`, training clips, triplet datasets.
* In memory, decoded: RGB [H, W, 3] or RGBA [H, W, 4], uint8, or uint16 for deeper sources
  (10/12/16-bit video, 16-bit PNG: the full 0..65535 scale, never clipped to 8 bits). `read_image`
  returns RGB uint8 unless asked to keep the depth (``keep_depth=True``).
* Into a model: float32 [1, 3, H, W] in [0, 1] (`to_model_input`, alpha left out), and back with
  `to_hwc` (to the depth of the input, rounded to nearest, clipped) or `to_uint8_hwc`.

`read_image` is the one image reader: it raises `InputError` naming the file. 16-bit PNGs are
decoded with PyAV (Pillow reads 16-bit colour PNGs as 8-bit); everything else with Pillow.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from vfi.core.errors import InputError

#: still-image files a frame folder or dataset may hold (case-insensitive)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
#: video files recognised when a folder is scanned for videos (case-insensitive)
VIDEO_SUFFIXES = (".mp4", ".mkv", ".avi", ".mov", ".m4v", ".webm")


def natural_key(path: Path | str) -> list:
    """Sort key that orders digit runs by value: ``frame2`` before ``frame10``; case-insensitive."""
    name = Path(path).name
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def list_image_files(folder: Path | str) -> list[Path]:
    """The image files directly in `folder` (other files are ignored), in natural name order;
    `InputError` when the folder cannot be read."""
    folder = Path(folder)
    try:
        entries = list(folder.iterdir())
    except OSError as exc:
        raise InputError(f"{folder}: cannot read the folder ({exc.strerror or exc}); check its permissions") from None
    return sorted((p for p in entries if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES), key=natural_key)


#: Most pixels (width x height) an image may have before it is refused unread, as a decompression
#: bomb would be: 2**28 (16384 x 16384). `set_max_image_pixels` (``--max-image-pixels``) raises it.
MAX_IMAGE_PIXELS = 2**28


def set_max_image_pixels(pixels: int) -> None:
    """Raise or lower the pixel limit of `read_image` and friends (process-wide; set it before
    readers start)."""
    global MAX_IMAGE_PIXELS
    if int(pixels) != pixels or pixels < 1:
        raise InputError(f"max_image_pixels must be a positive integer, got {pixels}", "max_image_pixels")
    MAX_IMAGE_PIXELS = int(pixels)


def _open_image(path: Path | str, prefix: str = ""):
    """`PIL.Image.open(path)` after checking the header's size against `MAX_IMAGE_PIXELS` (PIL's
    own check only warns below twice its limit and raises a bare exception above it)."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = None  # our limit applies, with a message that says what to do
    image = Image.open(path)
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        image.close()
        raise InputError(
            f"{prefix}{path}: image is {width}x{height}, more than {MAX_IMAGE_PIXELS:,} pixels (a decompression bomb?); "
            "raise max_image_pixels to read it",
            "max_image_pixels",
        )
    return image


#: largest sample value of each frame dtype (the value that means 1.0)
FRAME_MAX = {np.dtype(np.uint8): 255, np.dtype(np.uint16): 65535}

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def read_image(path: Path | str, what: str | None = None, keep_depth: bool = False) -> np.ndarray:
    """An image file as RGB uint8 [H, W, 3]; with `keep_depth`, at its own depth and with its alpha.

    Args:
        what: who reads it, put in front of the message ("middlebury"), or None.
        keep_depth: return uint16 for 16-bit files (grayscale replicated to RGB) and RGBA [H, W, 4]
            for files with alpha (or transparency), instead of RGB uint8.

    Raises:
        InputError: the file is missing or is not a readable image (the message names it).
    """
    from PIL import UnidentifiedImageError

    prefix = f"{what}: " if what else ""
    try:
        if keep_depth and png_bit_depth(path) == 16:
            _open_image(path, prefix).close()  # the size check, from the header
            return _read_png16(path)
        with _open_image(path, prefix) as image:
            if not keep_depth:
                return np.asarray(image.convert("RGB"))
            if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
                gray = np.asarray(image).astype(np.uint16)
                return np.repeat(gray[..., None], 3, axis=2)
            alpha = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info
            return np.asarray(image.convert("RGBA" if alpha else "RGB"))
    except FileNotFoundError:
        raise InputError(f"{prefix}{path}: image file is missing") from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise InputError(f"{prefix}{path}: not a readable image ({exc})") from None


def png_bit_depth(path: Path | str) -> int | None:
    """Bits per sample of a PNG file from its header (1, 2, 4, 8 or 16); None for other files."""
    with open(path, "rb") as file:
        head = file.read(26)
    if len(head) < 26 or not head.startswith(_PNG_SIGNATURE):
        return None
    return head[24]


def image_format(path: Path | str) -> tuple[int, bool]:
    """(bits per sample, has alpha) of an image file from its header, without decoding pixels."""
    from PIL import UnidentifiedImageError

    try:
        with _open_image(path) as image:
            bits = 16 if image.mode.startswith("I") or png_bit_depth(path) == 16 else 8
            alpha = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info
            return bits, alpha
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(f"{path}: not a readable image ({exc})") from None


def _read_png16(path: Path | str) -> np.ndarray:
    import av

    decoder = av.CodecContext.create("png", "r")
    frames = decoder.decode(av.Packet(Path(path).read_bytes()))
    if not frames:
        raise OSError("no image decoded")
    frame = frames[0]
    alpha = any(c.is_alpha for c in frame.format.components)
    return frame.to_ndarray(format="rgba64le" if alpha else "rgb48le")


def convert_frame(frame: np.ndarray, dtype, channels: int) -> np.ndarray:
    """`frame` (RGB or RGBA, uint8 or uint16) at `dtype` and with `channels` (3 or 4; an added
    alpha is opaque). Depth changes rescale exactly (x * 257 up, nearest down)."""
    dtype = np.dtype(dtype)
    if frame.dtype != dtype:
        if dtype == np.uint16:
            frame = frame.astype(np.uint16) * np.uint16(257)
        else:
            frame = to_uint8(frame.astype(np.float32) / np.float32(FRAME_MAX[frame.dtype]))
    if frame.shape[2] > channels:
        frame = frame[..., :channels]
    elif frame.shape[2] < channels:
        opaque = np.full(frame.shape[:2] + (1,), FRAME_MAX[dtype], dtype)
        frame = np.concatenate([frame, opaque], axis=2)
    return np.ascontiguousarray(frame)


def image_size(path: Path | str) -> tuple[int, int]:
    """(width, height) of an image file from its header, without decoding pixels."""
    from PIL import UnidentifiedImageError

    try:
        with _open_image(path) as image:
            return image.size
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(f"{path}: not a readable image ({exc})") from None


def write_png(frame: np.ndarray, path: Path | str, compress_level: int = 1) -> Path:
    """Write an RGB or RGBA [H, W, 3 or 4] frame as a PNG at its depth: uint8 as 8-bit (Pillow),
    uint16 as 16-bit (PyAV; Pillow cannot write 16-bit colour). Lossless at any level; 1 is fastest."""
    if frame.dtype == np.uint16:
        import av

        formats = {3: ("rgb48le", "rgb48be"), 4: ("rgba64le", "rgba64be")}[frame.shape[2]]
        encoder = av.CodecContext.create("png", "w")
        encoder.width, encoder.height, encoder.pix_fmt = frame.shape[1], frame.shape[0], formats[1]
        encoder.time_base = 1
        encoder.options = {"compression_level": str(compress_level)}
        image = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format=formats[0]).reformat(format=formats[1])
        Path(path).write_bytes(b"".join(bytes(p) for p in [*encoder.encode(image), *encoder.encode(None)]))
        return Path(path)
    from PIL import Image

    Image.fromarray(frame).save(path, compress_level=compress_level)
    return Path(path)


def write_png_folder(frames, folder: Path | str) -> Path:
    """Write uint8 frames as ``00000.png``, ``00001.png``, ... into `folder` (created)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for index, frame in enumerate(frames):
        write_png(frame, folder / f"{index:05d}.png")
    return folder


def to_model_input(frame: np.ndarray) -> np.ndarray:
    """RGB(A) uint8 or uint16 [H, W, 3 or 4] -> float32 [1, 3, H, W] in [0, 1] (alpha left out),
    C-contiguous (engines and compiled packages read the buffer as laid out NCHW)."""
    scale = np.float32(FRAME_MAX.get(frame.dtype, 1.0))
    return np.ascontiguousarray(frame[..., :3].transpose(2, 0, 1)[None], dtype=np.float32) / scale


def to_uint8(frame: np.ndarray) -> np.ndarray:
    """A float frame in [0, 1] (any layout) rounded to the nearest uint8 on 0..255, clipped.

    The arithmetic keeps the input's float type (float32 frames are rounded in float32)."""
    array = np.asarray(frame)
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    return np.clip(np.rint(array * 255.0), 0, 255).astype(np.uint8)


def to_uint8_hwc(frame: np.ndarray) -> np.ndarray:
    """float [3, H, W] in [0, 1] -> RGB uint8 [H, W, 3], rounded to nearest (see `to_uint8`)."""
    return np.ascontiguousarray(to_uint8(frame).transpose(1, 2, 0))


def to_hwc(frame: np.ndarray, dtype=np.uint8) -> np.ndarray:
    """float [C, H, W] in [0, 1] -> [H, W, C] of `dtype` (uint8 or uint16: 0..65535), rounded to
    nearest, clipped; the frame's own float type is kept for the arithmetic."""
    dtype = np.dtype(dtype)
    if dtype == np.uint8:
        return to_uint8_hwc(frame)
    array = np.asarray(frame)
    top = FRAME_MAX[dtype]
    return np.ascontiguousarray(np.clip(np.rint(array * top), 0, top).astype(dtype).transpose(1, 2, 0))
