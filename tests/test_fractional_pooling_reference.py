"""Fractional max pooling (Graham 2014, arXiv 1412.6071) and its boundary sequences, checked
against a plain NumPy reference written from the definition: the regions are
[rows[i], rows[i+1]) x [columns[j], columns[j+1]) of each NHWC image and channel, and the
overlapping variant also takes rows[i+1] and columns[j+1] where they lie inside the input.
Derivatives are checked against central finite differences (float64, inputs without ties) and,
with ties, against the rule that each region's whole adjoint goes to its first maximum in
row-major order, overlapping regions each sending their own."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import adcompiler as adc
from adcompiler.runtime import fractional_max_pool2d, pooling_sequence

FEW = settings(max_examples=25, deadline=None)
GRADIENTS = settings(max_examples=12, deadline=None)

ratios = st.floats(1.0, 2.0, exclude_min=True, exclude_max=True, allow_nan=False)
seeds = st.integers(0, 2 ** 32 - 1)


# ------------------------------------------------------------------ NumPy references

def region(boundaries, i, size, overlapping):
    """The index range of region ``i`` along one axis: [b[i], b[i+1]), plus b[i+1] when
    ``overlapping`` and b[i+1] lies inside the axis."""
    start, stop = int(boundaries[i]), int(boundaries[i + 1])
    if overlapping and stop < size:
        stop += 1
    return start, stop


def reference_pool(x, rows, columns, overlapping):
    n, h, w, c = x.shape
    out = np.empty((n, len(rows) - 1, len(columns) - 1, c), dtype=x.dtype)
    for i in range(len(rows) - 1):
        r0, r1 = region(rows, i, h, overlapping)
        for j in range(len(columns) - 1):
            c0, c1 = region(columns, j, w, overlapping)
            out[:, i, j, :] = x[:, r0:r1, c0:c1, :].max(axis=(1, 2))
    return out


def reference_gradient(x, rows, columns, overlapping, weights):
    """d sum(pool(x) * weights) / dx: each region's weight goes to its first maximum in
    row-major order over the region (the extra row and column included)."""
    n, h, w, c = x.shape
    grad = np.zeros(x.shape, dtype=np.float64)
    for i in range(len(rows) - 1):
        r0, r1 = region(rows, i, h, overlapping)
        for j in range(len(columns) - 1):
            c0, c1 = region(columns, j, w, overlapping)
            width = c1 - c0
            for b in range(n):
                for ch in range(c):
                    window = x[b, r0:r1, c0:c1, ch]
                    k = int(np.argmax(window.reshape(-1)))      # first maximum, row-major
                    grad[b, r0 + k // width, c0 + k % width, ch] += weights[b, i, j, ch]
    return grad


def pseudo_random_candidates(length, regions):
    """Every sequence ceil(alpha (i + u)) - ceil(alpha u), i = 0..regions, for u in [0, 1),
    alpha = length / regions: evaluated at each point where a term jumps and between them."""
    alpha = length / regions
    points = {0.0}
    for i in range(regions + 1):
        for m in range(math.floor(alpha * i), math.ceil(alpha * (i + 1)) + 1):
            u = m / alpha - i
            if 0.0 <= u < 1.0:
                points.add(u)
    points = sorted(points) + [1.0]
    probes = points[:-1] + [(a + b) / 2 for a, b in zip(points, points[1:])]
    candidates = set()
    for u in probes:
        seq = [math.ceil(alpha * (i + u)) - math.ceil(alpha * u) for i in range(regions + 1)]
        candidates.add(tuple(seq))
    return candidates


def float_region_count(length, ratio):
    return math.floor(length / ratio)


@st.composite
def boundaries(draw, size, pseudo_random=None):
    """A boundary sequence for an axis of ``size`` from pooling_sequence."""
    ratio = draw(ratios)
    kind = draw(st.booleans()) if pseudo_random is None else pseudo_random
    rng = np.random.default_rng(draw(seeds))
    return pooling_sequence(size, ratio, kind, rng)


def tied_values(shape, seed, dtype, minus_inf=True):
    """Small integers (many ties, negatives included), some entries -inf."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 3, size=shape).astype(dtype)
    if minus_inf:
        x[rng.random(shape) < 0.1] = -np.inf
    return x


def distinct_values(shape, seed):
    """A scaled random permutation: every value distinct, so every maximum is unique."""
    rng = np.random.default_rng(seed)
    return (rng.permutation(int(np.prod(shape))).reshape(shape) - np.prod(shape) / 2) / 10.0


# ------------------------------------------------------------------ pooling_sequence

def check_sequence(seq, length, ratio, pseudo_random):
    regions = float_region_count(length, ratio)
    assert isinstance(seq, np.ndarray) and seq.ndim == 1
    assert np.issubdtype(seq.dtype, np.integer)
    assert len(seq) == regions + 1, (length, ratio, seq)
    assert seq[0] == 0 and seq[-1] == length
    k = length // regions
    steps = np.diff(seq)
    assert np.all((steps == k) | (steps == k + 1)), (length, ratio, seq)
    if pseudo_random:
        assert tuple(int(a) for a in seq) in pseudo_random_candidates(length, regions), \
            (length, ratio, seq)


@FEW
@given(length=st.integers(2, 40), ratio=ratios, pseudo_random=st.booleans(), seed=seeds)
def test_sequence_properties(length, ratio, pseudo_random, seed):
    seq = pooling_sequence(length, ratio, pseudo_random, np.random.default_rng(seed))
    assert seq.dtype == np.int64
    check_sequence(seq, length, ratio, pseudo_random)


@pytest.mark.parametrize("pseudo_random", [True, False], ids=["pseudo", "random"])
@pytest.mark.parametrize("length, ratio", [(2, 1.5), (3, 1.5), (5, 1.9), (7, 1.01), (10, 1.5),
                                           (25, 1.414), (40, 1.999), (9, 2.5), (13, 3.2)])
def test_sequence_fixed_cases(length, ratio, pseudo_random):
    for seed in range(5):
        seq = pooling_sequence(length, ratio, pseudo_random, np.random.default_rng(seed))
        check_sequence(seq, length, ratio, pseudo_random)


@pytest.mark.parametrize("pseudo_random", [True, False], ids=["pseudo", "random"])
def test_sequence_is_deterministic_for_a_seeded_generator(pseudo_random):
    for length, ratio in [(25, 1.414), (17, 1.3), (9, 1.7)]:
        first = [pooling_sequence(length, ratio, pseudo_random, np.random.default_rng(s))
                 for s in range(10)]
        np.random.seed(123)         # the global state must play no part
        second = [pooling_sequence(length, ratio, pseudo_random, np.random.default_rng(s))
                  for s in range(10)]
        for a, b in zip(first, second):
            np.testing.assert_array_equal(a, b)
        # one generator drawn twice in a row, replayed from the same seed
        g1, g2 = np.random.default_rng(7), np.random.default_rng(7)
        pairs1 = [pooling_sequence(length, ratio, pseudo_random, g1) for _ in range(3)]
        pairs2 = [pooling_sequence(length, ratio, pseudo_random, g2) for _ in range(3)]
        for a, b in zip(pairs1, pairs2):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("pseudo_random", [True, False], ids=["pseudo", "random"])
def test_sequence_draws_vary(pseudo_random):
    rng = np.random.default_rng(2024)
    draws = {tuple(pooling_sequence(25, 1.414, pseudo_random, rng)) for _ in range(60)}
    assert len(draws) > 1
    for seq in draws:
        check_sequence(np.array(seq), 25, 1.414, pseudo_random)


def test_random_sequence_is_a_uniform_shuffle():
    # 5 pixels, 3 regions: steps are a shuffle of (1, 2, 2): three arrangements, each 1/3
    rng = np.random.default_rng(99)
    counts = {}
    for _ in range(450):
        seq = tuple(int(s) for s in np.diff(pooling_sequence(5, 1.6, False, rng)))
        counts[seq] = counts.get(seq, 0) + 1
    assert set(counts) == {(1, 2, 2), (2, 1, 2), (2, 2, 1)}
    assert all(90 <= n <= 210 for n in counts.values()), counts


@pytest.mark.parametrize("length, ratio", [(5, 1.0), (5, 0.5), (5, 0.0), (5, -1.5), (5, 1),
                                           (1, 1.5), (3, 3.5), (5, 6.0), (4, 4.5), (0, 1.5),
                                           (5, float("nan"))])
@pytest.mark.parametrize("pseudo_random", [True, False], ids=["pseudo", "random"])
def test_sequence_rejects_invalid_ratio(length, ratio, pseudo_random):
    with pytest.raises(ValueError, match="ratio") as raised:
        pooling_sequence(length, ratio, pseudo_random, np.random.default_rng(0))
    assert str(ratio) in str(raised.value) or str(length) in str(raised.value)


@pytest.mark.parametrize("pseudo_random", [True, False], ids=["pseudo", "random"])
def test_sequence_length_follows_the_floating_point_quotient(pseudo_random):
    for length, ratio in [(8, 1.6), (11, 1.1), (9, 1.8), (13, 1.3)]:
        assert length / ratio == math.floor(length / ratio)     # a whole number of regions
        seq = pooling_sequence(length, ratio, pseudo_random, np.random.default_rng(0))
        assert len(seq) == math.floor(length / ratio) + 1, (length, ratio, seq)


# ------------------------------------------------------------------ values

@FEW
@given(batch=st.integers(1, 3), height=st.integers(2, 9), width=st.integers(2, 9),
       channels=st.integers(1, 4), data=st.data(), overlapping=st.booleans(),
       dtype=st.sampled_from([np.float32, np.float64]), seed=seeds)
def test_values_match_the_reference(batch, height, width, channels, data, overlapping, dtype,
                                    seed):
    rows = data.draw(boundaries(height))
    columns = data.draw(boundaries(width))
    shape = (batch, height, width, channels)
    for x in (tied_values(shape, seed, dtype),
              np.random.default_rng(seed).standard_normal(shape).astype(dtype)):
        before = x.copy()
        y = fractional_max_pool2d(x, rows, columns, overlapping)
        assert y.dtype == dtype
        assert y.shape == (batch, len(rows) - 1, len(columns) - 1, channels)
        np.testing.assert_array_equal(y, reference_pool(x, rows, columns, overlapping))
        np.testing.assert_array_equal(x, before)        # the input is not written


@pytest.mark.parametrize("overlapping", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_batch_one_many_channels_non_square(overlapping, dtype):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1, 7, 13, 64)).astype(dtype) - 10.0      # all negative
    rows = pooling_sequence(7, 1.4, True, rng)
    columns = pooling_sequence(13, 1.7, False, rng)
    y = fractional_max_pool2d(x, rows, columns, overlapping)
    np.testing.assert_array_equal(y, reference_pool(x, rows, columns, overlapping))


def test_values_default_is_overlapping():
    x = distinct_values((2, 6, 5, 3), 1)
    rows, columns = np.array([0, 1, 3, 4, 6]), np.array([0, 2, 3, 5])
    expected = reference_pool(x, rows, columns, True)
    np.testing.assert_array_equal(fractional_max_pool2d(x, rows, columns), expected)
    # the two variants differ on this input
    assert not np.array_equal(reference_pool(x, rows, columns, False), expected)


def test_one_pixel_regions():
    x = distinct_values((2, 4, 5, 3), 2)
    rows, columns = np.arange(5), np.arange(6)
    # disjoint 1-pixel regions: the identity
    np.testing.assert_array_equal(fractional_max_pool2d(x, rows, columns, False), x)
    # overlapping 1-pixel regions: 2x2 windows at stride 1, cut at the last row and column
    padded = np.pad(x, ((0, 0), (0, 1), (0, 1), (0, 0)), constant_values=-np.inf)
    expected = np.maximum(np.maximum(padded[:, :-1, :-1], padded[:, 1:, :-1]),
                          np.maximum(padded[:, :-1, 1:], padded[:, 1:, 1:]))
    np.testing.assert_array_equal(fractional_max_pool2d(x, rows, columns, True), expected)


@pytest.mark.parametrize("overlapping", [True, False])
def test_one_region_is_the_global_maximum(overlapping):
    x = tied_values((3, 5, 4, 2), 3, np.float64)
    y = fractional_max_pool2d(x, np.array([0, 5]), np.array([0, 4]), overlapping)
    np.testing.assert_array_equal(y, x.max(axis=(1, 2), keepdims=True))


@pytest.mark.parametrize("overlapping", [True, False])
def test_wide_regions_and_infinities(overlapping):
    x = np.full((1, 6, 6, 2), -np.inf)
    x[0, 4, 5, 0] = np.inf
    x[0, 0, 0, 1] = -1e300
    rows, columns = np.array([0, 3, 4, 6]), np.array([0, 1, 4, 6])
    y = fractional_max_pool2d(x, rows, columns, overlapping)
    np.testing.assert_array_equal(y, reference_pool(x, rows, columns, overlapping))
    assert y[0, 0, 0, 1] == -1e300 and y[0, 2, 2, 0] == np.inf
    assert y[0, 2, 0, 0] == -np.inf     # a region of -inf only


def test_non_contiguous_input():
    x = distinct_values((2, 3, 7, 6), 4).transpose(0, 3, 2, 1)      # (2, 6, 7, 3), a view
    rows, columns = np.array([0, 2, 3, 5, 6]), np.array([0, 1, 3, 5, 7])
    for overlapping in (True, False):
        np.testing.assert_array_equal(fractional_max_pool2d(x, rows, columns, overlapping),
                                      reference_pool(x, rows, columns, overlapping))


@pytest.mark.parametrize("rows", [np.array([1, 3, 5]), np.array([0, 2, 4]),
                                  np.array([0, 2, 6]), np.array([0, 3, 2, 5]),
                                  np.array([0, 2, 2, 5]), np.array([0]),
                                  np.array([-1, 2, 5])],
                         ids=["late-start", "early-end", "past-end", "falling", "repeated",
                              "single", "negative"])
def test_rejects_bad_boundaries(rows):
    x = np.zeros((1, 5, 6, 1))
    columns = np.array([0, 2, 4, 6])
    with pytest.raises(ValueError, match="fractional_max_pool2d"):
        fractional_max_pool2d(x, rows, columns, True)
    with pytest.raises(ValueError, match="fractional_max_pool2d"):
        fractional_max_pool2d(np.zeros((1, 6, 5, 1)), columns, rows, True)


@pytest.mark.parametrize("rows", [np.array([0.0, 1.5, 5.0]), np.array([0.0, np.nan, 5.0])],
                         ids=["half", "nan"])
def test_rejects_non_integral_boundaries(rows):
    x = np.arange(30, dtype=np.float64).reshape(1, 5, 6, 1)
    with pytest.raises(ValueError):
        fractional_max_pool2d(x, rows, np.array([0, 6]), False)


# ------------------------------------------------------------------ derivatives

def pooled_overlapping(x, rows, columns, w):
    return np.sum(fractional_max_pool2d(x, rows, columns, True) * w)


def pooled_disjoint(x, rows, columns, w):
    return np.sum(fractional_max_pool2d(x, rows, columns, False) * w)


LOSSES = {True: pooled_overlapping, False: pooled_disjoint}


def finite_difference_gradient(f, x, args, step=1e-6):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += step
        minus[index] -= step
        grad[index] = (f(plus, *args) - f(minus, *args)) / (2 * step)
    return grad


@GRADIENTS
@given(batch=st.integers(1, 2), height=st.integers(2, 6), width=st.integers(2, 6),
       channels=st.integers(1, 2), row_kind=st.booleans(), column_kind=st.booleans(),
       overlapping=st.booleans(), data=st.data(), seed=seeds)
def test_gradient_matches_finite_differences(batch, height, width, channels, row_kind,
                                             column_kind, overlapping, data, seed):
    rows = data.draw(boundaries(height, row_kind))
    columns = data.draw(boundaries(width, column_kind))
    x = distinct_values((batch, height, width, channels), seed)
    w = np.random.default_rng(seed + 1).standard_normal(
        (batch, len(rows) - 1, len(columns) - 1, channels))
    f = LOSSES[overlapping]
    grad = adc.grad(f, wrt=0)(x, rows, columns, w)
    assert grad.shape == x.shape and grad.dtype == np.float64
    expected = finite_difference_gradient(f, x, (rows, columns, w))
    np.testing.assert_allclose(grad, expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(grad, reference_gradient(x, rows, columns, overlapping, w),
                               rtol=1e-12, atol=1e-12)


@GRADIENTS
@given(batch=st.integers(1, 2), height=st.integers(2, 7), width=st.integers(2, 7),
       channels=st.integers(1, 3), overlapping=st.booleans(), data=st.data(), seed=seeds)
def test_gradient_with_ties_matches_the_reference(batch, height, width, channels,
                                                  overlapping, data, seed):
    rows = data.draw(boundaries(height))
    columns = data.draw(boundaries(width))
    x = tied_values((batch, height, width, channels), seed, np.float64)
    w = np.random.default_rng(seed + 1).standard_normal(
        (batch, len(rows) - 1, len(columns) - 1, channels))
    grad = adc.grad(LOSSES[overlapping], wrt=0)(x, rows, columns, w)
    np.testing.assert_allclose(grad, reference_gradient(x, rows, columns, overlapping, w),
                               rtol=1e-12, atol=1e-12)


def test_ties_send_the_gradient_to_the_first_maximum_in_row_major_order():
    rows, columns = np.array([0, 2, 3]), np.array([0, 2, 3])
    w = np.array([1.0, 10.0, 100.0, 1000.0]).reshape(1, 2, 2, 1)

    # disjoint regions: region (0, 0) = x[0:2, 0:2] holds 5 at (0, 1) and (1, 0);
    # row-major order reaches (0, 1) first (column-major would reach (1, 0))
    x = np.array([[0.0, 5.0, 0.0],
                  [5.0, 5.0, 0.0],
                  [0.0, 0.0, 0.0]]).reshape(1, 3, 3, 1)
    expected = np.array([[0.0, 1.0, 10.0],
                         [0.0, 0.0, 0.0],
                         [100.0, 0.0, 1000.0]])
    for jit in (True, False):
        grad = adc.grad(pooled_disjoint, wrt=0, jit=jit)(x, rows, columns, w)
        np.testing.assert_array_equal(grad.reshape(3, 3), expected)

    # overlapping: region (0, 0) = x[0:3, 0:3]; its maxima are at (0, 2), in the extra
    # column, and (1, 0), in the region proper: row-major order over the whole region
    # reaches (0, 2) first
    x = np.array([[0.0, 0.0, 5.0],
                  [5.0, 0.0, 0.0],
                  [0.0, 0.0, 5.0]]).reshape(1, 3, 3, 1)
    # region (0, 1) = x[0:3, 2:3] -> (0, 2); region (1, 0) = x[2:3, 0:3] -> (2, 2);
    # region (1, 1) = x[2:3, 2:3] -> (2, 2)
    expected = np.array([[0.0, 0.0, 1.0 + 10.0],
                         [0.0, 0.0, 0.0],
                         [0.0, 0.0, 100.0 + 1000.0]])
    for jit in (True, False):
        grad = adc.grad(pooled_overlapping, wrt=0, jit=jit)(x, rows, columns, w)
        np.testing.assert_array_equal(grad.reshape(3, 3), expected)


def test_all_minus_inf_region_sends_its_gradient_to_its_first_element():
    x = np.full((1, 4, 4, 1), -np.inf)
    x[0, 3, 3, 0] = 1.0
    rows = columns = np.array([0, 2, 4])
    w = np.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 2, 2, 1)
    grad = adc.grad(pooled_disjoint, wrt=0)(x, rows, columns, w)
    expected = np.zeros((4, 4))
    expected[0, 0], expected[0, 2], expected[2, 0], expected[3, 3] = 1.0, 2.0, 3.0, 4.0
    np.testing.assert_array_equal(grad.reshape(4, 4), expected)


def test_overlapping_regions_each_send_their_gradient():
    # the maximum sits at (1, 1), the boundary row and column shared by all four regions
    x = np.array([[0.0, 1.0, 2.0],
                  [3.0, 9.0, 4.0],
                  [5.0, 6.0, 7.0]]).reshape(1, 3, 3, 1)
    rows = columns = np.array([0, 1, 3])
    w = np.array([1.0, 2.0, 4.0, 8.0]).reshape(1, 2, 2, 1)
    grad = adc.grad(pooled_overlapping, wrt=0)(x, rows, columns, w)
    expected = np.zeros((3, 3))
    expected[1, 1] = 15.0
    np.testing.assert_array_equal(grad.reshape(3, 3), expected)
    # disjoint: region (0, 0) is x[0, 0] alone, (0, 1) is x[0, 1:3], (1, 0) is x[1:3, 0]
    grad = adc.grad(pooled_disjoint, wrt=0)(x, rows, columns, w)
    expected = np.zeros((3, 3))
    expected[0, 0], expected[0, 2], expected[2, 0], expected[1, 1] = 1.0, 2.0, 4.0, 8.0
    np.testing.assert_array_equal(grad.reshape(3, 3), expected)


@pytest.mark.parametrize("overlapping", [True, False])
def test_value_and_grad_and_float32(overlapping):
    rng = np.random.default_rng(11)
    x = distinct_values((2, 7, 5, 3), 12)
    rows, columns = pooling_sequence(7, 1.5, True, rng), pooling_sequence(5, 1.3, False, rng)
    w = rng.standard_normal((2, len(rows) - 1, len(columns) - 1, 3))
    f = LOSSES[overlapping]
    value, grad = adc.value_and_grad(f, wrt="x")(x, rows, columns, w)
    np.testing.assert_allclose(value, np.sum(reference_pool(x, rows, columns, overlapping) * w),
                               rtol=1e-12)
    np.testing.assert_allclose(grad, reference_gradient(x, rows, columns, overlapping, w),
                               rtol=1e-12, atol=1e-12)
    x32, w32 = x.astype(np.float32), w.astype(np.float32)
    grad32 = adc.grad(f, wrt=0)(x32, rows, columns, w32)
    assert grad32.dtype == np.float32 and grad32.shape == x.shape
    np.testing.assert_allclose(grad32, reference_gradient(x32, rows, columns, overlapping, w32),
                               rtol=1e-6)


def test_integer_boundaries_are_not_differentiated():
    x = distinct_values((1, 4, 4, 1), 0)
    rows = columns = np.array([0, 1, 3, 4])
    w = np.ones((1, 3, 3, 1))
    with pytest.raises(TypeError, match="integer"):
        adc.grad(pooled_overlapping, wrt=1)(x, rows, columns, w)


def test_tangent_matches_finite_differences():
    rng = np.random.default_rng(21)
    x = distinct_values((2, 6, 7, 2), 22)
    rows, columns = pooling_sequence(6, 1.6, False, rng), pooling_sequence(7, 1.4, True, rng)
    w = rng.standard_normal((2, len(rows) - 1, len(columns) - 1, 2))
    v = rng.standard_normal(x.shape)
    value, tangent = adc.jvp(pooled_overlapping, wrt=(0,))((x, rows, columns, w), (v,))
    step = 1e-6
    expected = (pooled_overlapping(x + step * v, rows, columns, w)
                - pooled_overlapping(x - step * v, rows, columns, w)) / (2 * step)
    np.testing.assert_allclose(value, pooled_overlapping(x, rows, columns, w), rtol=1e-12)
    np.testing.assert_allclose(tangent, expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("overlapping", [True, False])
def test_large_batch_values_and_gradient(overlapping):
    # enough images that the batch is split among threads
    rng = np.random.default_rng(31)
    x = distinct_values((19, 5, 6, 9), 32)
    rows, columns = pooling_sequence(5, 1.2, True, rng), pooling_sequence(6, 1.9, False, rng)
    np.testing.assert_array_equal(fractional_max_pool2d(x, rows, columns, overlapping),
                                  reference_pool(x, rows, columns, overlapping))
    w = rng.standard_normal((19, len(rows) - 1, len(columns) - 1, 9))
    grad = adc.grad(LOSSES[overlapping], wrt=0)(x, rows, columns, w)
    np.testing.assert_allclose(grad, reference_gradient(x, rows, columns, overlapping, w),
                               rtol=1e-12, atol=1e-12)


def test_boundaries_of_other_integer_types_and_not_written():
    x = tied_values((2, 6, 5, 2), 41, np.float64)
    rows, columns = np.array([0, 2, 3, 5, 6]), np.array([0, 1, 3, 5])
    expected = reference_pool(x, rows, columns, True)
    for kind in (np.int32, np.int64):
        r, c = rows.astype(kind), columns.astype(kind)
        np.testing.assert_array_equal(fractional_max_pool2d(x, r, c, True), expected)
        np.testing.assert_array_equal(r, rows)
        np.testing.assert_array_equal(c, columns)
