"""MNIST throughput of the zoo's LeNet-5 and 784-128-10 MLP: adcompiler against PyTorch.

adcompiler and PyTorch (eager, CPU) are measured in the same run.

Both sides train the same network (``adcompiler.runtime.zoo.lenet5()`` / ``mlp()``, float32,
SGD with learning rate 0.01, sparse categorical cross-entropy at batch 64) from the same
initial weights; PyTorch's model is the NCHW equivalent with ``torch.set_num_threads(2)``.

- training (images/s): one ``model.fit(x, y, epochs=1, batch_size=64, shuffle=False,
  verbose=0)`` over 6,400 synthetic MNIST-shaped images, after a warm-up fit that compiles the
  step, against PyTorch's ``zero_grad, forward, loss, backward, step`` loop over the same
  batches. The first epochs' losses are checked to agree before anything is timed;
- inference (images/s): ``model.predict(x, batch_size=1000)`` on 10,000 images against
  PyTorch's forward pass (and softmax) under ``torch.no_grad()``, checked to agree;
- first training call (s): the first ``fit`` of a new process, compilation included, in a
  subprocess given a new, empty ``ADC_CACHE_DIR`` and ``NUMBA_CACHE_DIR`` ("cold": generated
  code and the runtime's kernels are all compiled), then in a second one reusing those caches
  ("warm"). Imports are not counted. Cached modules are named by a hash of adcompiler's
  sources: if they change between the two processes, the warm time is reported as not measured;
- with ``--epoch``: the seconds of one epoch (``shuffle=False``) over the 60,000 training images
  of the MNIST files in ``--data`` (default: ``../shared/data/mnist`` beside the repository).

Throughputs are medians of --repeats timings. The ratio column is adcompiler's speed over
PyTorch's: above 1, adcompiler is faster. The header names the kernels of the BLAS that numba's
matrix products call (OpenBLAS picks them for the processor unless ``OPENBLAS_CORETYPE`` is set):
on an AVX-512 processor its AVX2 ("Haswell") kernels are 1.4 to 1.8 times slower on these
networks' products than its AVX-512 ("SkylakeX") ones.

Usage: python benchmarks/mnist.py [--repeats 5] [--model lenet|mlp|both] [--epoch]
                                  [--data DIR]          (needs torch installed)
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from adcompiler.runtime import SGD, load_mnist, zoo
from kernels import median_time         # warmed up, then the median of timed calls

ROOT = Path(__file__).resolve().parent.parent
TRAIN_IMAGES, INFER_IMAGES, BATCH, INFER_BATCH = 6400, 10_000, 64, 1000
NAMES = {"lenet": "LeNet-5", "mlp": "MLP 784-128-10"}


def synthetic(n, seed):
    rng = np.random.default_rng(seed)
    return (rng.random((n, 28, 28, 1), dtype=np.float32),
            rng.integers(0, 10, n).astype(np.int64))


def our_model(name):
    model = zoo.MODELS[name](seed=0)
    model.compile(optimizer=SGD(learning_rate=0.01), loss="sparse_categorical_crossentropy")
    return model


def fit_once(model, x, y):
    return model.fit(x, y, epochs=1, batch_size=BATCH, shuffle=False, verbose=0)


# ---------------------------------------------------------------------------- PyTorch
def torch_model(torch, name):
    nn = torch.nn
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


def copy_weights(torch, net, weights):
    """Our weights into ``net``: HWIO kernels to OIHW, (in, out) matrices to (out, in); the
    dense layer after LeNet's flatten reads (h, w, c) rows where PyTorch reads (c, h, w)."""
    with torch.no_grad():
        for k, (parameter, w) in enumerate(zip(net.parameters(), weights)):
            if w.ndim == 4:
                w = w.transpose(3, 2, 0, 1)
            elif w.ndim == 2 and w.shape[0] == 400:
                w = w.reshape(5, 5, 16, -1).transpose(2, 0, 1, 3).reshape(400, -1).T
            elif w.ndim == 2:
                w = w.T
            parameter.copy_(torch.tensor(np.ascontiguousarray(w)))


def torch_epoch(torch, net, optimizer, x, y):
    """One epoch over (x, y) in batches of 64, in order; the mean of the batches' losses."""
    total, count = 0.0, 0
    for k in range(0, len(x), BATCH):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(x[k:k + BATCH]), y[k:k + BATCH])
        loss.backward()
        optimizer.step()
        total += float(loss.detach()) * len(y[k:k + BATCH])
        count += len(y[k:k + BATCH])
    return total / count


def torch_predict(torch, net, x):
    with torch.no_grad():
        return torch.cat([torch.softmax(net(x[k:k + INFER_BATCH]), dim=1)
                          for k in range(0, len(x), INFER_BATCH)])


def nchw(torch, x):
    return torch.tensor(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


# ---------------------------------------------------------------------------- first call
def first_call(name):
    """Run in the subprocess: the first fit of one batch, compilation included; printed with
    the hash of adcompiler's sources that names the cached modules."""
    from adcompiler.compile import build_hash
    x, y = synthetic(BATCH, 0)
    model = our_model(name)
    model.get_weights()                 # builds the layers: not part of the step's compile
    start = time.perf_counter()
    fit_once(model, x, y)
    print(time.perf_counter() - start, build_hash())


def first_call_times(name):
    """(cold, warm) seconds of the first training call, in fresh processes. The warm time is
    None if adcompiler's sources changed between the two (the cache was not reusable)."""
    with tempfile.TemporaryDirectory(prefix="adc-bench-") as tmp:
        env = dict(os.environ, ADC_CACHE_DIR=os.path.join(tmp, "adc"),
                   NUMBA_CACHE_DIR=os.path.join(tmp, "numba"), ADC_QUIET="1")
        runs = []
        for _ in ("cold", "warm"):
            out = subprocess.run([sys.executable, __file__, "--first-call", name], env=env,
                                 check=True, capture_output=True, text=True).stdout
            seconds, source_hash = out.split()[-2:]
            runs.append((float(seconds), source_hash))
        (cold, before), (warm, after) = runs
        return cold, warm if before == after else None


# ---------------------------------------------------------------------------- one model
def benchmark(torch, name, repeats, full):
    """The table's rows for one model: (measure, ours, theirs, ours' speed / theirs)."""
    x, y = synthetic(TRAIN_IMAGES, 0)
    x_infer, _ = synthetic(INFER_IMAGES, 1)
    tx, ty, tx_infer = nchw(torch, x), torch.tensor(y), nchw(torch, x_infer)
    model, net = our_model(name), torch_model(torch, name)
    copy_weights(torch, net, model.get_weights())
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01)

    our_loss = fit_once(model, x, y).history["loss"][0]         # compiles
    torch_loss = torch_epoch(torch, net, optimizer, tx, ty)
    assert abs(our_loss - torch_loss) < 1e-3 * abs(torch_loss), (name, our_loss, torch_loss)
    ours = TRAIN_IMAGES / median_time(lambda: fit_once(model, x, y), repeats)
    theirs = TRAIN_IMAGES / median_time(
        lambda: torch_epoch(torch, net, optimizer, tx, ty), repeats)
    rows = [(f"training, batch {BATCH} (images/s)", ours, theirs, ours / theirs)]

    copy_weights(torch, net, model.get_weights())
    np.testing.assert_allclose(model.predict(x_infer[:INFER_BATCH], batch_size=INFER_BATCH),
                               torch_predict(torch, net, tx_infer[:INFER_BATCH]).numpy(),
                               atol=1e-5)
    ours = INFER_IMAGES / median_time(
        lambda: model.predict(x_infer, batch_size=INFER_BATCH), repeats)
    theirs = INFER_IMAGES / median_time(lambda: torch_predict(torch, net, tx_infer), repeats)
    rows.append((f"inference, batch {INFER_BATCH} (images/s)", ours, theirs, ours / theirs))

    cold, warm = first_call_times(name)
    rows += [("first training call, cold caches (s)", cold, None, None),
             ("first training call, warm caches (s)",
              "(sources changed: not measured)" if warm is None else warm, None, None)]

    if full is not None:
        fx, fy = full
        start = time.perf_counter()
        fit_once(model, fx, fy)
        ours = time.perf_counter() - start
        tfx, tfy = nchw(torch, fx), torch.tensor(fy)
        start = time.perf_counter()
        torch_epoch(torch, net, optimizer, tfx, tfy)
        theirs = time.perf_counter() - start
        rows.append((f"one epoch, {len(fx):,} images (s)", ours, theirs, theirs / ours))
    return rows


def cell(value):
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    return f"{value:,.0f}" if value >= 1000 else f"{value:.2f}"


def blas_kernels():
    """The BLAS numba calls, and the kernels it runs (threadpoolctl's "architecture")."""
    from adcompiler.runtime.batches import blas_called_by_numba
    return ", ".join(f"{library.internal_api} {library.version} "
                     f"({getattr(library, 'architecture', None) or 'kernels not reported'})"
                     for library in blas_called_by_numba())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--model", choices=("lenet", "mlp", "both"), default="both")
    parser.add_argument("--epoch", action="store_true",
                        help="also time one epoch on the full training data in --data")
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "mnist"),
                        help="directory of the MNIST .gz files (for --epoch)")
    parser.add_argument("--first-call", choices=("lenet", "mlp"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.first_call:
        return first_call(args.first_call)

    import torch
    torch.set_num_threads(2)
    full = None
    if args.epoch:
        try:
            data = load_mnist(args.data, download=False, quiet=True)
            full = data.x_train, data.y_train
        except Exception as exc:        # DataError, or a directory that is not there
            print(f"--epoch: no MNIST data in {args.data} ({exc}); the epoch is not timed")
    names = ("lenet", "mlp") if args.model == "both" else (args.model,)
    results = {name: benchmark(torch, name, args.repeats, full) for name in names}

    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads; medians of "
          f"{args.repeats} runs; numba's BLAS: {blas_kernels()}\n")
    print("| model | measure | adcompiler | PyTorch | adcompiler / PyTorch (speed) |")
    print("|---|---|---:|---:|---:|")
    for name, rows in results.items():
        for measure, ours, theirs, ratio in rows:
            print(f"| {NAMES[name]} | {measure} | {cell(ours)} | {cell(theirs)} | "
                  f"{'–' if ratio is None else f'{ratio:.2f}'} |")


if __name__ == "__main__":
    main()
