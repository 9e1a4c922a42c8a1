import numpy as np
import pytest

from vfi.core.padding import crop_to, pad_to_multiple, padded_size


@pytest.mark.parametrize("height,width", [(33, 47), (64, 96), (65, 97), (1, 1)])
@pytest.mark.parametrize("multiple", [1, 8, 32])
def test_round_trip(height, width, multiple):
    rng = np.random.default_rng(0)
    batch = rng.random((2, 3, height, width), dtype=np.float32)
    padded = pad_to_multiple(batch, multiple)
    assert padded.shape[-2] % multiple == 0 and padded.shape[-1] % multiple == 0
    assert padded.shape[-2:] == padded_size(height, width, multiple)
    np.testing.assert_array_equal(crop_to(padded, height, width), batch)


def test_padding_replicates_edges():
    batch = np.arange(6, dtype=np.float32).reshape(1, 1, 2, 3)
    padded = pad_to_multiple(batch, 4)
    np.testing.assert_array_equal(padded[0, 0, :, 3], [2, 5, 5, 5])
    np.testing.assert_array_equal(padded[0, 0, 3], [3, 4, 5, 5])


def test_torch_tensors_pad_the_same_way_where_they_live():
    import torch

    batch = np.arange(30, dtype=np.float32).reshape(1, 1, 5, 6)
    expected = pad_to_multiple(batch, 4)
    padded = pad_to_multiple(torch.from_numpy(batch), 4)
    assert isinstance(padded, torch.Tensor)
    np.testing.assert_array_equal(padded.numpy(), expected)
    np.testing.assert_array_equal(crop_to(padded, 5, 6).numpy(), batch)


def test_round_up_and_refusals():
    from vfi.core.padding import pad_to_size, round_up

    assert [round_up(v, 8) for v in (1, 8, 9)] == [8, 8, 16]
    with pytest.raises(ValueError, match=">= 1"):
        round_up(5, 0)
    with pytest.raises(ValueError, match="cannot pad"):
        pad_to_size(np.zeros((1, 3, 8, 8)), 4, 8)
