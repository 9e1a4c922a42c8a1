"""Synthetic clips with known motion: textured shapes moving over a textured, panning background.

Every frame is rendered from a continuous description (linear motion in pixels per frame, plus,
for training scenes, acceleration, spin and zoom), so the frame at ANY time ``t`` is known
exactly: drop frames from a rendered clip, interpolate them back, and compare with
`SyntheticScene.render` at the dropped times.

Textures come from scikit-image's bundled sample photographs (astronaut, coffee, chelsea, rocket;
they ship inside the wheel, no download) so the content looks natural to a flow network; without
scikit-image a procedural multi-scale noise texture is used instead.

    scene = make_scene(height=96, width=128, seed=0)
    frames = [scene.render(t) for t in range(7)]          # uint8 [96, 128, 3]
    middle = scene.render(0.5)                             # the exact in-between frame

Sub-pixel positions are rendered by bilinear sampling of the textures and an analytic one-pixel
anti-aliased edge for the shapes, so motion is smooth and the truth at fractional t is exact for
this generative model. `make_training_scene` draws the random, non-linear scenes of the
"synthetic" training data set (`vfi.train.data.synthetic`) from a wider bank of photographs
(`load_texture_bank`). It lives in `core` because every stage renders with it: training data,
export and build parity, scene-cut calibration, the demo and the tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: scikit-image sample photographs used as textures, in order
SAMPLE_IMAGES = ("astronaut", "coffee", "chelsea", "rocket")


@dataclass(frozen=True)
class Shape:
    """One textured object (a sprite cut from a photograph) moving over the background.

    The default motion is a straight line at constant speed. Optional terms make it non-linear, as
    real objects move: a constant acceleration (curved, accelerating paths), a spin, and a scale
    change (approach / recede). The texture turns and scales with the object, so the sprite stays
    rigid in its own frame.

    Attributes:
        kind: "disc" or "box".
        center: (x, y) position at t = 0 (pixels, x to the right, y down).
        velocity: (vx, vy) in pixels per frame.
        size: radius (disc) or (half width, half height) (box), pixels, at t = 0.
        texture: index into the scene's textures.
        texture_offset: (x, y) where the shape's centre lies in its texture (pixels).
        acceleration: (ax, ay) in pixels per frame squared: centre(t) = c + v t + a t^2 / 2.
        spin: rotation speed, radians per frame (positive turns x towards y, i.e. clockwise on
            screen); the angle at t is spin * t.
        zoom: scale change per frame; the size at t is size * exp(zoom * t).
    """

    kind: str
    center: tuple[float, float]
    velocity: tuple[float, float]
    size: tuple[float, float]
    texture: int
    texture_offset: tuple[float, float]
    acceleration: tuple[float, float] = (0.0, 0.0)
    spin: float = 0.0
    zoom: float = 0.0

    def center_at(self, t: float) -> tuple[float, float]:
        """(x, y) of the shape's centre at time `t` (frames)."""
        ax, ay = self.acceleration
        return (
            self.center[0] + self.velocity[0] * t + 0.5 * ax * t * t,
            self.center[1] + self.velocity[1] * t + 0.5 * ay * t * t,
        )

    def angle_at(self, t: float) -> float:
        """Rotation (radians) of the shape at time `t` relative to t = 0."""
        return self.spin * t

    def scale_at(self, t: float) -> float:
        """Size factor of the shape at time `t` relative to t = 0."""
        return float(np.exp(self.zoom * t))

    def is_rigid_translation(self) -> bool:
        """True when the shape only translates at constant velocity (the original motion model)."""
        return self.acceleration == (0.0, 0.0) and self.spin == 0.0 and self.zoom == 0.0


@dataclass
class SyntheticScene:
    """A background texture panning at `background_velocity` and shapes drawn on top in order.

    Attributes:
        height, width: frame size (pixels).
        textures: float32 [h, w, 3] images in [0, 1]; textures[0] is the background.
        background_velocity: (vx, vy) pixels per frame the background content moves by.
        background_offset: (x, y) texture position shown at pixel (0, 0) at t = 0.
        shapes: drawn in list order (later shapes on top).
        background_acceleration: (ax, ay) pixels per frame squared: the background is displaced by
            v t + a t^2 / 2 at time t (a curved camera pan); zero by default.
    """

    height: int
    width: int
    textures: list[np.ndarray]
    background_velocity: tuple[float, float]
    background_offset: tuple[float, float]
    shapes: list[Shape] = field(default_factory=list)
    background_acceleration: tuple[float, float] = (0.0, 0.0)

    def render_float(self, t: float) -> np.ndarray:
        """The frame at time `t` (frames) as float32 [H, W, 3] in [0, 1]."""
        ys, xs = np.mgrid[0 : self.height, 0 : self.width].astype(np.float64)
        vx, vy = self.background_velocity
        ax, ay = self.background_acceleration
        ox, oy = self.background_offset
        # Content moving by +d means pixel x shows texture position x - d.
        shift_x, shift_y = vx * t + 0.5 * ax * t * t, vy * t + 0.5 * ay * t * t
        frame = _bilinear_wrap(self.textures[0], xs + ox - shift_x, ys + oy - shift_y)
        for shape in self.shapes:
            cx, cy = shape.center_at(t)
            dx, dy = xs - cx, ys - cy
            if not shape.is_rigid_translation():
                # Object coordinates: undo the rotation, then the scale, so that a point of the
                # sprite keeps its coordinates at every t. Distances are measured in object units
                # and converted back to pixels (times the scale) for the anti-aliased edge.
                angle, scale = shape.angle_at(t), shape.scale_at(t)
                cos, sin = np.cos(angle), np.sin(angle)
                dx, dy = (cos * dx + sin * dy) / scale, (-sin * dx + cos * dy) / scale
            else:
                scale = 1.0
            if shape.kind == "disc":
                signed = (np.hypot(dx, dy) - shape.size[0]) * scale
            else:
                signed = np.maximum(np.abs(dx) - shape.size[0], np.abs(dy) - shape.size[1]) * scale
            # One-pixel linear ramp across the edge: coverage of a pixel by the shape, so the edge
            # moves smoothly with sub-pixel positions.
            alpha = np.clip(0.5 - signed, 0.0, 1.0)[..., None]
            if not alpha.any():
                continue
            tx, ty = shape.texture_offset
            colour = _bilinear_wrap(self.textures[shape.texture], dx + tx, dy + ty)
            frame = frame * (1.0 - alpha) + colour * alpha
        return frame.astype(np.float32)

    def render(self, t: float) -> np.ndarray:
        """The frame at time `t` (frames) as RGB uint8 [H, W, 3] (rounded to nearest)."""
        return np.clip(np.rint(self.render_float(t) * 255.0), 0, 255).astype(np.uint8)

    def render_clip(self, times) -> list[np.ndarray]:
        """Frames at each of `times` (frames), uint8."""
        return [self.render(float(t)) for t in times]


def _bilinear_wrap(texture: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Sample `texture` [h, w, C] at float positions with bilinear weights, wrapping around the
    edges (the textures tile, so any time t has content)."""
    h, w = texture.shape[:2]
    x0 = np.floor(x)
    y0 = np.floor(y)
    fx = (x - x0)[..., None]
    fy = (y - y0)[..., None]
    x0 = x0.astype(np.int64) % w
    y0 = y0.astype(np.int64) % h
    x1 = (x0 + 1) % w
    y1 = (y0 + 1) % h
    top = texture[y0, x0] * (1 - fx) + texture[y0, x1] * fx
    bottom = texture[y1, x0] * (1 - fx) + texture[y1, x1] * fx
    return top * (1 - fy) + bottom * fy


def load_textures(count: int = len(SAMPLE_IMAGES), seed: int = 0) -> list[np.ndarray]:
    """`count` float32 [h, w, 3] textures in [0, 1]: scikit-image sample photographs, or procedural
    noise textures when scikit-image is not installed."""
    try:
        import skimage.data
    except ImportError:
        rng = np.random.default_rng(seed)
        return [procedural_texture(256, 256, rng) for _ in range(count)]
    textures = []
    for i in range(count):
        image = getattr(skimage.data, SAMPLE_IMAGES[i % len(SAMPLE_IMAGES)])()
        textures.append(np.asarray(image[..., :3], dtype=np.float32) / 255.0)
    return textures


def procedural_texture(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Smooth multi-scale colour noise in [0, 1], float32 [height, width, 3] (tiles seamlessly)."""
    from numpy.fft import fft2, fftfreq, ifft2

    fy = fftfreq(height)[:, None]
    fx = fftfreq(width)[None, :]
    # 1/f amplitude spectrum: structure at every scale, like natural images.
    amplitude = 1.0 / np.maximum(np.hypot(fx, fy), 1.0 / max(height, width))
    channels = []
    for _ in range(3):
        phase = np.exp(2j * np.pi * rng.random((height, width)))
        channel = np.real(ifft2(fft2(rng.standard_normal((height, width))) * amplitude * phase))
        channel = (channel - channel.min()) / (channel.max() - channel.min() + 1e-12)
        channels.append(channel)
    return np.stack(channels, axis=-1).astype(np.float32)


def make_scene(
    height: int = 96,
    width: int = 128,
    n_shapes: int = 3,
    speed: float = 3.0,
    background_speed: float = 1.5,
    seed: int = 0,
) -> SyntheticScene:
    """A random scene (deterministic for a given `seed`).

    Args:
        height, width: frame size (pixels).
        n_shapes: number of moving objects.
        speed: largest object speed (pixels per frame); each object gets 50% to 100% of it in a
            random direction.
        background_speed: background pan speed (pixels per frame), random direction.
        seed: random seed for layout, motion and texture crops.
    """
    rng = np.random.default_rng(seed)
    textures = load_textures(seed=seed)
    angle = rng.uniform(0, 2 * np.pi)
    background_velocity = (background_speed * np.cos(angle), background_speed * np.sin(angle))
    bh, bw = textures[0].shape[:2]
    background_offset = (rng.uniform(0, bw), rng.uniform(0, bh))
    shapes = []
    scale = min(height, width)
    for i in range(n_shapes):
        angle = rng.uniform(0, 2 * np.pi)
        shape_speed = speed * rng.uniform(0.5, 1.0)
        kind = "disc" if i % 2 == 0 else "box"
        size = (rng.uniform(0.12, 0.22) * scale,) * 2 if kind == "disc" else tuple(rng.uniform(0.1, 0.2, 2) * scale)
        texture = 1 + i % (len(textures) - 1)
        th, tw = textures[texture].shape[:2]
        shapes.append(
            Shape(
                kind=kind,
                center=(rng.uniform(0.25, 0.75) * width, rng.uniform(0.25, 0.75) * height),
                velocity=(shape_speed * np.cos(angle), shape_speed * np.sin(angle)),
                size=(float(size[0]), float(size[1])),
                texture=texture,
                texture_offset=(rng.uniform(0, tw), rng.uniform(0, th)),
            )
        )
    return SyntheticScene(height, width, textures, background_velocity, background_offset, shapes)


#: Photographs scikit-image ships inside its wheel (no download), used as training textures:
#: colour photographs first, then greyscale ones (replicated to RGB).
TRAINING_IMAGES = (
    "astronaut",
    "coffee",
    "chelsea",
    "rocket",
    "hubble_deep_field",
    "immunohistochemistry",
    "retina",
    "colorwheel",
    "brick",
    "grass",
    "gravel",
    "camera",
    "moon",
    "coins",
)
#: Textures larger than this (pixels, longer side) are downsampled by an integer factor on load.
TEXTURE_MAX_SIDE = 512


def load_texture_bank(names=TRAINING_IMAGES, max_side: int = TEXTURE_MAX_SIDE, seed: int = 0) -> list[np.ndarray]:
    """Float32 [h, w, 3] textures in [0, 1] from scikit-image's bundled photographs `names`
    (greyscale ones replicated to RGB, large ones downsampled by block averaging to at most
    `max_side`); procedural noise textures when scikit-image is not installed."""
    try:
        import skimage.data
    except ImportError:
        rng = np.random.default_rng(seed)
        return [procedural_texture(256, 256, rng) for _ in range(max(4, len(names)))]
    bank = []
    for name in names:
        image = np.asarray(getattr(skimage.data, name)())
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=-1)
        image = image[..., :3].astype(np.float32) / 255.0
        factor = int(np.ceil(max(image.shape[:2]) / max_side))
        if factor > 1:
            h, w = (image.shape[0] // factor) * factor, (image.shape[1] // factor) * factor
            image = image[:h, :w].reshape(h // factor, factor, w // factor, factor, 3).mean(axis=(1, 3))
        bank.append(np.ascontiguousarray(image, dtype=np.float32))
    return bank


def make_training_scene(
    height: int,
    width: int,
    rng: np.random.Generator,
    textures: list[np.ndarray],
    max_motion: float = 24.0,
    shapes: tuple[int, int] = (2, 6),
    nonlinear: bool = True,
) -> SyntheticScene:
    """A random scene for training, time unit = one input interval (t = 0 and t = 1 are the inputs).

    Layered sprites cut from the photographs in `textures` move over another photograph; sprites
    overlap (occlusion, disocclusion) and may leave the frame. With `nonlinear`, each sprite also
    accelerates (curved path), spins and zooms by random amounts, and the background pan
    accelerates, so the frame at t is not a linear blend of positions: the ground truth at any t is
    still exact because every frame is rendered from the continuous description.

    Args:
        height, width: frame size (pixels).
        rng: the random source (seed it per sample for a deterministic data set).
        textures: photographs (see `load_texture_bank`); textures[k] for k >= 1 may be sprites.
        max_motion: largest displacement of a sprite between t = 0 and t = 1 (pixels); the
            background moves up to half of it.
        shapes: (fewest, most) sprites, inclusive.
        nonlinear: add acceleration, spin and zoom.
    """
    scale = min(height, width)
    background = int(rng.integers(len(textures)))
    bh, bw = textures[background].shape[:2]
    angle = rng.uniform(0, 2 * np.pi)
    speed = rng.uniform(0, 0.5 * max_motion)
    bg_velocity = (speed * np.cos(angle), speed * np.sin(angle))
    bg_acceleration = tuple(rng.normal(0, 0.1 * max_motion, 2)) if nonlinear else (0.0, 0.0)
    # The background is textures[0] of the scene: reorder so that the chosen one comes first.
    order = [background] + [k for k in range(len(textures)) if k != background]
    scene_textures = [textures[k] for k in order]
    sprites = []
    for _ in range(int(rng.integers(shapes[0], shapes[1] + 1))):
        kind = "disc" if rng.random() < 0.5 else "box"
        if kind == "disc":
            radius = rng.uniform(0.08, 0.25) * scale
            size = (float(radius), float(radius))
        else:
            size = tuple(float(v) for v in rng.uniform(0.06, 0.25, 2) * scale)
        angle = rng.uniform(0, 2 * np.pi)
        speed = rng.uniform(0.1, 1.0) * max_motion
        texture = int(rng.integers(1, len(scene_textures)))
        th, tw = scene_textures[texture].shape[:2]
        sprites.append(
            Shape(
                kind=kind,
                center=(float(rng.uniform(0.1, 0.9) * width), float(rng.uniform(0.1, 0.9) * height)),
                velocity=(float(speed * np.cos(angle)), float(speed * np.sin(angle))),
                size=size,
                texture=texture,
                texture_offset=(float(rng.uniform(0, tw)), float(rng.uniform(0, th))),
                acceleration=tuple(float(v) for v in rng.normal(0, 0.25 * max_motion, 2)) if nonlinear else (0.0, 0.0),
                spin=float(rng.normal(0, 0.3)) if nonlinear else 0.0,
                zoom=float(rng.normal(0, 0.15)) if nonlinear else 0.0,
            )
        )
    return SyntheticScene(
        height,
        width,
        scene_textures,
        background_velocity=(float(bg_velocity[0]), float(bg_velocity[1])),
        background_offset=(float(rng.uniform(0, bw)), float(rng.uniform(0, bh))),
        shapes=sprites,
        background_acceleration=(float(bg_acceleration[0]), float(bg_acceleration[1])),
    )


def drop_frame_example(scene: SyntheticScene, n_frames: int = 7) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The drop-frame benchmark on `scene`: (inputs, truths).

    `inputs` are the frames at even times 0, 2, 4, ... < n_frames; `truths` the dropped frames at
    the odd times in between, which a 2x interpolation of `inputs` should reproduce.
    """
    inputs = scene.render_clip(range(0, n_frames, 2))
    truths = scene.render_clip(range(1, n_frames - 1, 2))
    return inputs, truths
