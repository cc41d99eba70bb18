"""Harmonic/percussive separation (HPSS) with an exact, fast running median.

``librosa.decompose.hpss`` spends most of its time in two
``scipy.ndimage.median_filter`` calls with 31-long windows (one along time, one
along frequency). A running median keeps the window sorted and updates it with one
removal and one insertion per step, instead of re-selecting from 31 values, and
returns the very same elements, so the output is bit-identical.
Used by :mod:`.segment` (notebook ``01_features``).
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _running_median_rows(padded, size):  # pragma: no cover - compiled
    rows, width = padded.shape
    n = width - size + 1
    half = size // 2
    out = np.empty((rows, n), padded.dtype)
    window = np.empty(size, padded.dtype)
    for r in range(rows):
        window[:] = np.sort(padded[r, :size])
        out[r, 0] = window[half]
        for i in range(1, n):
            old = padded[r, i - 1]
            new = padded[r, i + size - 1]
            # binary search for `old` (present in the window: same values, same order)
            lo, hi = 0, size - 1
            while lo < hi:
                mid = (lo + hi) // 2
                if window[mid] < old:
                    lo = mid + 1
                else:
                    hi = mid
            j = lo
            # slide the gap left or right until `new` fits, keeping the window sorted
            while j < size - 1 and window[j + 1] < new:
                window[j] = window[j + 1]
                j += 1
            while j > 0 and window[j - 1] > new:
                window[j] = window[j - 1]
                j -= 1
            window[j] = new
            out[r, i] = window[half]
    return out


def median_filter_1d(x: np.ndarray, size: int, *, axis: int = -1) -> np.ndarray:
    """Median over a ``size``-long window along one axis of a 2-D array.

    Equals ``scipy.ndimage.median_filter(x, size=shape, mode="reflect")`` where
    ``shape`` is ``size`` along ``axis`` and 1 elsewhere, bit for bit, for finite input
    at least ``size // 2 + 1`` long along ``axis``. Shorter input is reflected again
    and again (period twice its length), the same rule scipy states.

    Parameters
    ----------
    x : numpy.ndarray, 2-D, finite
    size : int
        Odd window length.
    axis : int
        0 (down the columns) or 1 / -1 (along the rows).

    Returns
    -------
    numpy.ndarray, same shape and dtype as ``x``
    """
    if x.ndim != 2 or size < 1 or size % 2 == 0:
        raise ValueError(f"median_filter_1d needs a 2-D array and an odd size, got {x.shape}, {size}")
    rows = np.moveaxis(x, axis, -1)
    half = size // 2
    # scipy's "reflect" (d c b a | a b c d) is NumPy's "symmetric"; np.pad keeps
    # reflecting when the window is longer than the data, where scipy's own result is
    # not well defined (it may mix in zeros or stale memory)
    padded = np.ascontiguousarray(np.pad(rows, ((0, 0), (half, half)), mode="symmetric"))
    return np.moveaxis(_running_median_rows(padded, size), -1, axis)


def hpss(stft: np.ndarray, *, kernel_size: int = 31,
         magnitude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Harmonic and percussive parts of a complex STFT, as ``librosa.decompose.hpss``.

    Same soft masks (power 2, margin 1) and bit-identical output, with the two
    median filters replaced by :func:`median_filter_1d`.

    Parameters
    ----------
    stft : numpy.ndarray of complex, shape (n_bins, n_frames)
    kernel_size : int
        Median window in frames (harmonic) and in bins (percussive).
    magnitude : numpy.ndarray, optional
        ``np.abs(stft)`` when the caller has it already.

    Returns
    -------
    harmonic, percussive : numpy.ndarray of complex, same shape as ``stft``
    """
    # librosa.magphase(stft), reusing the magnitude
    magnitude = np.abs(stft) if magnitude is None else magnitude
    zeros = magnitude == 0
    nonzero = magnitude + zeros
    phase = np.empty_like(stft)
    phase.real = stft.real / nonzero + zeros
    phase.imag = stft.imag / nonzero
    harmonic = np.empty_like(magnitude)
    harmonic[:] = median_filter_1d(magnitude, kernel_size, axis=1)
    percussive = np.empty_like(magnitude)
    percussive[:] = median_filter_1d(magnitude, kernel_size, axis=0)
    # librosa.util.softmask(X, X_ref, power=2, split_zeros=True), both masks from one pass
    z = np.maximum(harmonic, percussive)
    silent = z < np.finfo(z.dtype).tiny
    z[silent] = 1
    h, p = (harmonic / z) ** 2.0, (percussive / z) ** 2.0
    total = h + p
    mask_h = np.divide(h, total, out=np.full_like(h, 0.5), where=~silent)
    mask_p = np.divide(p, total, out=np.full_like(p, 0.5), where=~silent)
    return (magnitude * mask_h) * phase, (magnitude * mask_p) * phase
