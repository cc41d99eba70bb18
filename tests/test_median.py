"""The running median equals scipy's median filter bit for bit."""

import numpy as np
import pytest
import scipy.ndimage as ndi

from gtzan_helpers.median import median_filter_1d


@pytest.mark.parametrize("shape", [(1025, 130), (40, 7), (3, 200)])
@pytest.mark.parametrize("axis", [0, 1])
def test_equals_scipy_reflect(shape, axis):
    rng = np.random.default_rng(sum(shape) + axis)
    for x in (np.abs(rng.normal(size=shape)).astype(np.float32),
              np.round(rng.normal(size=shape), 1).astype(np.float32),  # many ties
              np.zeros(shape, np.float32)):
        size = (31, 1) if axis == 0 else (1, 31)
        assert np.array_equal(median_filter_1d(x, 31, axis=axis),
                              ndi.median_filter(x, size=size, mode="reflect"))


def test_known_answer():
    x = np.array([[5.0, 1.0, 4.0, 2.0, 3.0]], np.float32)
    # windows of 3 with reflected edges: [5 5 1], [5 1 4], [1 4 2], [4 2 3], [2 3 3]
    assert median_filter_1d(x, 3).tolist() == [[5.0, 4.0, 2.0, 3.0, 3.0]]


def test_rejects_even_sizes_and_other_ranks():
    with pytest.raises(ValueError):
        median_filter_1d(np.zeros((3, 3)), 4)
    with pytest.raises(ValueError):
        median_filter_1d(np.zeros(3), 3)
