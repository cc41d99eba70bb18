"""The running median equals scipy's median filter bit for bit."""

import numpy as np
import pytest
import scipy.ndimage as ndi

from gtzan_helpers.features.hpss import median_filter_1d


def _samples(shape, seed):
    rng = np.random.default_rng(seed)
    return (np.abs(rng.normal(size=shape)).astype(np.float32),
            np.round(rng.normal(size=shape), 1).astype(np.float32),  # many ties
            np.zeros(shape, np.float32))


@pytest.mark.parametrize("shape", [(1025, 130), (40, 70), (200, 16)])
@pytest.mark.parametrize("axis", [0, 1])
def test_equals_scipy_reflect(shape, axis):
    for x in _samples(shape, sum(shape) + axis):
        size = (31, 1) if axis == 0 else (1, 31)
        assert np.array_equal(median_filter_1d(x, 31, axis=axis),
                              ndi.median_filter(x, size=size, mode="reflect"))


@pytest.mark.parametrize("length", [1, 2, 3, 7, 15])
def test_window_longer_than_the_data_keeps_reflecting(length):
    # brute-force oracle: the median of each window of the periodically reflected rows
    for x in _samples((4, length), length):
        padded = np.pad(x, ((0, 0), (15, 15)), mode="symmetric")
        windows = np.lib.stride_tricks.sliding_window_view(padded, 31, axis=1)
        expected = np.median(windows, axis=-1).astype(np.float32)
        assert np.array_equal(median_filter_1d(x, 31), expected)
        assert np.array_equal(median_filter_1d(x.T, 31, axis=0), expected.T)


def test_known_answer():
    x = np.array([[5.0, 1.0, 4.0, 2.0, 3.0]], np.float32)
    # windows of 3 with reflected edges: [5 5 1], [5 1 4], [1 4 2], [4 2 3], [2 3 3]
    assert median_filter_1d(x, 3).tolist() == [[5.0, 4.0, 2.0, 3.0, 3.0]]


def test_rejects_even_sizes_and_other_ranks():
    with pytest.raises(ValueError):
        median_filter_1d(np.zeros((3, 3)), 4)
    with pytest.raises(ValueError):
        median_filter_1d(np.zeros(3), 3)
