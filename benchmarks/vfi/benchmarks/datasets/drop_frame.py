"""The drop-frame protocol on a stream of frames (a video, a folder of frames): keep the even
frames, predict each odd frame 2j+1 from frames 2j and 2j+2 (t = 0.5), score it against the real
frame.

For a model with k context frames on each side, the context frames are further kept frames, nearest
first: 2j-2 and 2j+4 for k = 2 (I_-1 and I_2 at the kept rate), repeating the first or last kept
frame at the clip's ends (`vfi.runtime.pipeline.window_indices`, as `vfi interpolate` builds
windows). At most 2k kept frames and one dropped frame are held at a time.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator

from vfi.benchmarks.datasets.base import Triplet


def drop_frame_triplets(frames: Iterable, context: int = 1, limit: int | None = None) -> Iterator[Triplet]:
    """Samples of the drop-frame protocol from `frames` (RGB uint8 [H, W, 3], in order).

    Args:
        frames: the clip's frames; read lazily.
        context: frames on each side the model takes (1: a pair).
        limit: stop after this many samples (None: all).
    """
    from vfi.runtime.pipeline import window_indices

    kept: deque = deque()  # (kept index m = frame 2m, frame), the window of the next sample
    dropped: dict[int, object] = {}  # m -> frame 2m+1, the ground truth between kept m and m+1
    made = 0

    def sample(j: int, last: int) -> Triplet:
        by_index = dict(kept)
        others = tuple(by_index[m] for m in window_indices(j, context, last, lambda _: False))
        return Triplet(f"frame{2 * j + 1:06d}", by_index[j], by_index[j + 1], dropped.pop(j), context=others)

    def forget(j: int) -> None:
        while kept and kept[0][0] < j + 1 - (context - 1):
            kept.popleft()

    last = -1
    for index, frame in enumerate(frames):
        if index % 2:
            dropped[index // 2] = frame
            continue
        last = index // 2
        kept.append((last, frame))
        j = last - context  # the sample whose whole right-hand context has now been kept
        if j >= 0:
            if limit is not None and made >= limit:
                return
            yield sample(j, last)
            made += 1
            forget(j)
    for j in range(max(0, last - context + 1), last):  # the last samples: windows end at the clip's end
        if limit is not None and made >= limit:
            return
        yield sample(j, last)
        made += 1
        forget(j)
