"""The sensor checks' fast pieces give what the slow numpy calls they replace give."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from detection.checks import nanmedian_last


@pytest.mark.parametrize("width", [1, 2, 3, 5, 6])
def test_nanmedian_last_equals_numpys_nanmedian_with_missing_values_and_empty_windows(width: int) -> None:
    rng = np.random.default_rng(width)
    windows = rng.normal(size=(400, 6, width))
    windows[rng.random(windows.shape) < 0.35] = np.nan
    windows[0, 0, :] = np.nan  # a window with nothing present
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanmedian(windows, axis=-1)
    got = nanmedian_last(windows)
    assert np.isnan(got[0, 0])
    np.testing.assert_array_equal(got, expected)
