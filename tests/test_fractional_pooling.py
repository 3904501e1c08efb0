"""Fractional max pooling: the region sequences' properties, the pooling against plain NumPy
maxima, and its derivatives (a fixed draw) against central finite differences in both modes,
with hypothesis over shapes, ratios, sequence kinds and both variants."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import adcompiler as adc
from adcompiler.runtime import fractional_max_pool2d, pooling_sequence
from gradcheck import check_both_modes

RATIOS = st.floats(1.05, 1.95)


@settings(max_examples=200, deadline=None)
@given(length=st.integers(2, 40), ratio=RATIOS, pseudo_random=st.booleans(),
       seed=st.integers(0, 2 ** 31))
def test_sequences_cover_the_axis_in_steps_of_one_and_two(length, ratio, pseudo_random, seed):
    sequence = pooling_sequence(length, ratio, pseudo_random, np.random.default_rng(seed))
    assert sequence.dtype == np.int64 and len(sequence) == math.floor(length / ratio) + 1
    assert sequence[0] == 0 and sequence[-1] == length
    k = length // (len(sequence) - 1)
    assert set(np.diff(sequence)) <= {k, k + 1}


def test_sequences_are_drawn_afresh_and_reproducibly():
    draws = {tuple(pooling_sequence(28, 2 ** 0.5, kind, np.random.default_rng(seed)))
             for kind in (False, True) for seed in range(20)}
    assert len(draws) > 10
    again = pooling_sequence(28, 2 ** 0.5, True, np.random.default_rng(3))
    np.testing.assert_array_equal(again, pooling_sequence(28, 2 ** 0.5, True,
                                                          np.random.default_rng(3)))


def reference(x, rows, columns, overlapping):
    extra = 1 if overlapping else 0
    y = np.empty((x.shape[0], len(rows) - 1, len(columns) - 1, x.shape[3]), x.dtype)
    for i in range(len(rows) - 1):
        for j in range(len(columns) - 1):
            window = x[:, rows[i]:rows[i + 1] + extra, columns[j]:columns[j + 1] + extra]
            y[:, i, j] = window.max(axis=(1, 2))
    return y


def pooled(x, w, rows, columns, overlapping):
    return np.sum(np.sin(fractional_max_pool2d(x, rows, columns, overlapping)) * w)


def case(draw):
    shape = (draw(st.integers(1, 2)), draw(st.integers(2, 7)), draw(st.integers(2, 7)),
             draw(st.integers(1, 3)))
    ratio, kind, seed = draw(RATIOS), draw(st.booleans()), draw(st.integers(0, 2 ** 31))
    rng = np.random.default_rng(seed)
    rows = pooling_sequence(shape[1], ratio, kind, rng)
    columns = pooling_sequence(shape[2], ratio, not kind, rng)
    return rng.standard_normal(shape), rows, columns, rng


@pytest.mark.parametrize("overlapping", [False, True], ids=["disjoint", "overlapping"])
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_pooling_is_the_maximum_of_each_region(overlapping, data):
    x, rows, columns, _ = case(data.draw)
    np.testing.assert_array_equal(fractional_max_pool2d(x, rows, columns, overlapping),
                                  reference(x, rows, columns, overlapping))
    x32 = x.astype(np.float32)
    assert fractional_max_pool2d(x32, rows, columns, overlapping).dtype == np.float32


@pytest.mark.parametrize("overlapping", [False, True], ids=["disjoint", "overlapping"])
@settings(max_examples=4, deadline=None)
@given(data=st.data())
def test_derivatives_against_finite_differences(overlapping, data):
    x, rows, columns, rng = case(data.draw)  # continuous values: no ties, smooth here
    w = rng.standard_normal((x.shape[0], len(rows) - 1, len(columns) - 1, x.shape[3]))
    check_both_modes(pooled, (x, w, rows, columns, overlapping), wrt=(0, 1))


def test_ties_and_overlaps_route_to_each_regions_first_maximum():
    x = np.array([[1.0, 3.0, 3.0], [3.0, 3.0, 0.0], [0.0, 0.0, 0.0]]).reshape(1, 3, 3, 1)
    rows = columns = np.array([0, 1, 3])

    def total(x):
        return np.sum(fractional_max_pool2d(x, rows, columns, True))
    for jit in (True, False):
        grad = adc.grad(total, jit=jit)(x).reshape(3, 3)
        # regions [0,1]x[0,1], [0,1]x[1,2], [1,2]x[0,1], [1,2]x[1,2]: first maxima (0,1) twice,
        # (1,0) and (1,1)
        np.testing.assert_array_equal(grad, [[0, 2, 0], [1, 1, 0], [0, 0, 0]])


@pytest.mark.parametrize("rows, message", [
    (np.array([0, 2, 4]), "must start at 0 and end"),
    (np.array([1, 2, 5]), "must start at 0 and end"),
    (np.array([0, 3, 3, 5]), "must rise"),
])
def test_bad_boundaries_are_errors(rows, message):
    x = np.zeros((1, 5, 4, 1))
    with pytest.raises(ValueError, match=message):
        fractional_max_pool2d(x, rows, np.array([0, 2, 4]))


@pytest.mark.parametrize("length, ratio", [(5, 1.0), (5, 0.5), (1, 1.5)])
def test_ratios_that_leave_no_pooling_are_errors(length, ratio):
    with pytest.raises(ValueError, match="ratio"):
        pooling_sequence(length, ratio, True, np.random.default_rng(0))
