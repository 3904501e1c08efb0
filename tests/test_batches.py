"""Kernels that share the batch among the cores: batches that are not a whole number of chunks,
against NumPy references and finite differences; results that do not depend on the number of
threads; the BLAS numba calls set to one thread, NumPy's left alone."""
import importlib
import json
import os
import subprocess
import sys

import numba
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from adcompiler.runtime import conv2d, dense, max_pool2d
from adcompiler.runtime.batches import IMAGES_PER_CHUNK, blas_called_by_numba
from gradcheck import check_both_modes
from test_runtime import conv2d_reference, max_pool_reference, randn

conv = importlib.import_module("adcompiler.runtime.conv")
dense_kernels = importlib.import_module("adcompiler.runtime.dense")
pooling = importlib.import_module("adcompiler.runtime.pooling")

BATCHES = [1, IMAGES_PER_CHUNK - 1, IMAGES_PER_CHUNK, IMAGES_PER_CHUNK + 1,
           2 * IMAGES_PER_CHUNK + 3]
CONVOLUTIONS = [((6, 6, 1), (3, 3, 1, 2), (1, 1), "SAME"),     # one channel at stride 1:
                ((2, 3, 1), (3, 4, 1, 2), (1, 1), "SAME"),     # no patches
                ((5, 4, 1), (2, 3, 1, 3), (1, 1), "VALID"),
                ((6, 9, 1), (3, 5, 1, 2), (1, 1), "SAME"),     # taps four at a time,
                ((5, 10, 1), (2, 6, 1, 3), (1, 1), "VALID"),   # and the rest
                ((7, 6, 1), (3, 2, 1, 2), (2, 1), "SAME"),     # patches by rows
                ((7, 5, 3), (2, 3, 3, 4), (2, 1), "VALID")]    # patches by columns


@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("image, kernel, strides, padding", CONVOLUTIONS)
def test_convolution_in_chunks(batch, image, kernel, strides, padding):
    x, k = randn((batch,) + image, batch), randn(kernel, batch + 1)
    y = conv2d(x, k, strides, padding)
    np.testing.assert_allclose(y, conv2d_reference(x, k, strides, padding), rtol=1e-10,
                               atol=1e-12)
    # both adjoints are transposes of linear maps: <conv(x, k), w> = <x, x_bar> = <k, k_bar>
    w = randn(y.shape, batch + 2)
    pair = conv.geometry(x, k, strides, padding)[:2]
    x_bar = conv.conv2d_adjoint_x(w, x, k, pair, padding)
    k_bar = conv.conv2d_adjoint_kernel(w, x, k, pair, padding)
    assert np.vdot(y, w) == pytest.approx(np.vdot(x, x_bar), rel=1e-12)
    assert np.vdot(y, w) == pytest.approx(np.vdot(k, k_bar), rel=1e-12)


def test_convolution_derivatives_across_chunks():
    x, k = randn((IMAGES_PER_CHUNK + 2, 4, 4, 1), 0), randn((3, 3, 1, 2), 1)
    w = randn((IMAGES_PER_CHUNK + 2, 4, 4, 2), 2)

    def loss(x, k, w):
        return np.sum(conv2d(x, k, 1, "SAME") * w)

    check_both_modes(loss, (x, k, w), wrt=(0, 1))


@pytest.mark.parametrize("rows", [1, 15, 17, 100])
def test_dense_in_blocks(rows):
    x, w, b = randn((rows, 37), rows), randn((37, 5), 1), randn(5, 2)
    y_bar = randn((rows, 5), 3)
    np.testing.assert_allclose(dense(x, w, b), x @ w + b, rtol=1e-12)
    np.testing.assert_allclose(dense_kernels.dense_adjoint_x(y_bar, x, w), y_bar @ w.T,
                               rtol=1e-12)
    np.testing.assert_allclose(dense_kernels.dense_adjoint_w(y_bar, x, w), x.T @ y_bar,
                               rtol=1e-12)
    batched = randn((3, rows, 37), 4)
    np.testing.assert_allclose(dense(batched, w, b), batched @ w + b, rtol=1e-12)


def max_pool_adjoint_reference(y_bar, x, pool, strides):
    """Each VALID window's adjoint to its first maximum, in plain loops."""
    x_bar = np.zeros_like(x)
    for n in range(x.shape[0]):
        for i in range(y_bar.shape[1]):
            for j in range(y_bar.shape[2]):
                for c in range(x.shape[3]):
                    window = x[n, i * strides[0]:i * strides[0] + pool[0],
                               j * strides[1]:j * strides[1] + pool[1], c]
                    a, b = np.unravel_index(np.argmax(window), window.shape)
                    x_bar[n, i * strides[0] + a, j * strides[1] + b, c] += y_bar[n, i, j, c]
    return x_bar


@pytest.mark.parametrize("batch", [1, 5, 11])
def test_max_pooling_image_by_image(batch):
    x = np.round(randn((batch, 7, 6, 3), batch), 1)    # rounded: ties
    pool, strides = (3, 2), (2, 1)                        # overlapping windows
    y = max_pool2d(x, pool, strides)
    np.testing.assert_array_equal(y, max_pool_reference(x, pool, strides, "VALID"))
    y_bar = randn(y.shape, batch + 1)
    np.testing.assert_allclose(pooling.max_pool2d_adjoint(y_bar, x, pool, strides, "VALID"),
                               max_pool_adjoint_reference(y_bar, x, pool, strides), rtol=1e-14)


@settings(max_examples=40, deadline=None)
@given(shape=st.tuples(st.integers(1, 3), st.integers(2, 7), st.integers(2, 7),
                       st.integers(1, 9)),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2 ** 31))
def test_two_by_two_pooling_kernels_against_plain_loops(shape, dtype, seed):
    """2x2 windows at stride 2 inside the image have kernels of their own: against the
    reference, with many ties (values 0..2), odd sizes (rows and columns no window covers),
    and a float64 adjoint for float32 inputs."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, shape).astype(dtype)
    y = max_pool2d(x, 2)
    np.testing.assert_array_equal(y, max_pool_reference(x, (2, 2), (2, 2), "VALID"))
    y_bar = rng.standard_normal(y.shape)
    np.testing.assert_array_equal(pooling.max_pool2d_adjoint(y_bar, x, 2, 2, "VALID"),
                                  max_pool_adjoint_reference(y_bar, x, (2, 2), (2, 2)))
    if shape[1] % 2 == 0 and shape[2] % 2 == 0:     # SAME is VALID here
        np.testing.assert_array_equal(pooling.max_pool2d_adjoint(y_bar, x, 2, 2, "SAME"),
                                      max_pool_adjoint_reference(y_bar, x, (2, 2), (2, 2)))


def test_results_do_not_depend_on_the_number_of_threads():
    x = randn((3 * IMAGES_PER_CHUNK + 5, 9, 9, 2), 0).astype(np.float32)
    k = randn((3, 3, 2, 4), 1).astype(np.float32)
    w = randn((3 * IMAGES_PER_CHUNK + 5, 9, 9, 4), 2).astype(np.float32)
    rows, weights = randn((53, 20), 3).astype(np.float32), randn((20, 7), 4).astype(np.float32)
    rows_bar = randn((53, 7), 5).astype(np.float32)

    def results():
        return (conv2d(x, k, 1, "SAME"),
                conv.conv2d_adjoint_kernel(w, x, k, (1, 1), "SAME"),
                conv.conv2d_adjoint_x(w, x, k, (1, 1), "SAME"),
                dense_kernels.dense_adjoint_w(rows_bar, rows, weights),
                pooling.max_pool2d_adjoint(w[:, :4, :4], x, (2, 2), (2, 2), "VALID"))

    everyone = results()
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        alone = results()
    finally:
        numba.set_num_threads(before)
    for shared, single in zip(everyone, alone):
        np.testing.assert_array_equal(shared, single)


def test_the_blas_numba_calls_runs_one_thread():
    assert blas_called_by_numba()
    assert all(library.num_threads == 1 for library in blas_called_by_numba())


def test_numpys_own_blas_is_left_alone():
    script = """
import json, numpy
from threadpoolctl import threadpool_info
def blas():
    return {i["filepath"]: i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}
before = blas()
import adcompiler.runtime
from adcompiler.runtime.batches import blas_called_by_numba
ours = {library.filepath for library in blas_called_by_numba()}
print(json.dumps([[before[path], threads] for path, threads in blas().items()
                  if path in before and path not in ours]))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    for before, after in json.loads(result.stdout.splitlines()[-1]):
        assert after == before


def test_importing_the_runtime_starts_numbas_threads():
    # compiled code calling a kernel, loaded from numba's cache, does not start them and
    # crashes in the kernel's parallel loop (numba issue 8578)
    script = """
import numba.np.ufunc.parallel as parallel
before = parallel._is_initialized
import adcompiler.runtime
print(before, parallel._is_initialized)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
def test_a_forked_process_runs_the_kernels():
    # multiprocessing's default on Linux; GNU OpenMP's threads would stop the child
    script = """
import os
import numpy as np
from adcompiler.runtime import conv2d
x, k = np.ones((17, 6, 6, 1)), np.ones((3, 3, 1, 2))
expected = conv2d(x, k, 1, "SAME").sum()
child = os.fork()
if child == 0:
    os._exit(0 if conv2d(x, k, 1, "SAME").sum() == expected else 1)
_, status = os.waitpid(child, 0)
print(os.waitstatus_to_exitcode(status))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "0", result.stderr
