"""Forward + backward throughput of the runtime's kernels against PyTorch on the CPU.

Each case is the gradient of the sum of one layer's output with respect to all its inputs,
at batch 64, as a user writes it: ``adc.value_and_grad`` of a Python function calling the
kernel (the generated, compiled derivative runs the forward pass and every adjoint). PyTorch
runs the same layer in NCHW with autograd and ``torch.set_num_threads(2)``, in the same run;
without torch installed only our times are printed. Times are medians over --repeats timings
of a warmed-up call. Ratios above 1 mean adcompiler is faster.

Usage: python benchmarks/kernels.py [--repeats 30]
"""
import argparse
import statistics
import time

import numpy as np

import adcompiler as adc
from adcompiler.runtime import conv2d, dense, depthwise_conv2d, max_pool2d

BATCH = 64


def conv_same(x, k):
    return np.sum(conv2d(x, k, 1, "SAME"))


def conv_valid(x, k):
    return np.sum(conv2d(x, k, 1, "VALID"))


def depthwise(x, k):
    return np.sum(depthwise_conv2d(x, k, 1, "VALID"))


def pool(x):
    return np.sum(max_pool2d(x, 2, 2, "VALID"))


def fully_connected(x, w, b):
    return np.sum(dense(x, w, b))


def cases(rng):
    """(label, function, float32 inputs NHWC/HWIO, the PyTorch equivalent's builder)."""
    def f32(*shape):
        return rng.standard_normal(shape).astype(np.float32)
    return [
        ("conv2d 28×28×1 → 5×5×6 SAME", conv_same, (f32(BATCH, 28, 28, 1), f32(5, 5, 1, 6)),
         lambda F, x, k: F.conv2d(x, k, padding="same")),
        ("conv2d 14×14×6 → 5×5×16 VALID", conv_valid,
         (f32(BATCH, 14, 14, 6), f32(5, 5, 6, 16)), lambda F, x, k: F.conv2d(x, k)),
        # PConv's second layer: 96 channels, one per pair of its 6 inputs and 16 outputs
        ("depthwise_conv2d 14×14×96 → 5×5×96×1 VALID", depthwise,
         (f32(BATCH, 14, 14, 96), f32(5, 5, 96, 1)),
         lambda F, x, k: F.conv2d(x, k.transpose(0, 1), groups=x.shape[1])),
        ("max_pool2d 2×2 on 28×28×6", pool, (f32(BATCH, 28, 28, 6),),
         lambda F, x: F.max_pool2d(x, 2, 2)),
        ("dense 784 → 128", fully_connected, (f32(BATCH, 784), f32(784, 128), f32(128)),
         lambda F, x, w, b: x @ w + b),
    ]


def median_time(call, repeats):
    for _ in range(3):
        call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def torch_inputs(torch, values):
    """NHWC -> NCHW images and HWIO -> OIHW kernels; other arrays as they are."""
    out = []
    for v in values:
        if v.ndim == 4 and not out:
            v = v.transpose(0, 3, 1, 2)
        elif v.ndim == 4:
            v = v.transpose(3, 2, 0, 1)
        out.append(torch.tensor(np.ascontiguousarray(v), requires_grad=True))
    return out


def torch_step(torch, F, layer, inputs):
    def step():
        y = layer(F, *inputs)
        return torch.autograd.grad(y.sum(), inputs)
    return step


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args(argv)
    try:
        import torch
        import torch.nn.functional as F
        torch.set_num_threads(2)
    except ImportError:
        torch = None
        print("torch is not installed: adcompiler's times only")
    rng = np.random.default_rng(0)
    print("| layer (batch 64, float32) | adcompiler (ms) | PyTorch (ms) | PyTorch / adcompiler |")
    print("|---|---:|---:|---:|")
    for label, f, values, layer in cases(rng):
        derivative = adc.value_and_grad(f, wrt=tuple(range(len(values))))
        ours = median_time(lambda: derivative(*values), args.repeats)
        if torch is None:
            print(f"| {label} | {ours * 1e3:.3f} | – | – |")
            continue
        theirs = median_time(torch_step(torch, F, layer, torch_inputs(torch, values)),
                             args.repeats)
        print(f"| {label} | {ours * 1e3:.3f} | {theirs * 1e3:.3f} | {theirs / ours:.2f} |")


if __name__ == "__main__":
    main()
