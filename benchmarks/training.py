"""Time per training step: adcompiler's compiled step against PyTorch (eager) doing the same
work in the same run.

- from3 (the lessons' 2-2-2 network with the custom layer MyDense written element by element,
  sigmoid, MSE, SGD with learning rate 1) at batch 1: the compiled step alone (one call running
  20,000 steps), a whole ``fit`` of 120 epochs divided by its 240 steps, and PyTorch's
  ``zero_grad, forward, loss, backward, step`` per sample;
- a 784-128-10 MLP (relu, softmax, sparse categorical cross-entropy, SGD) at batch 64 on 6,400
  random samples: one ``fit`` epoch divided by its 100 steps, and PyTorch's loop over the same
  batches.

Medians of several runs, after a warm-up (compilation excluded). Both trainings are checked to
end at the same weights (from3) or the same loss (the MLP) before they are timed.

Usage: python benchmarks/training.py [--repeats 7]   (needs torch installed)
"""
import argparse
import contextlib
import importlib.util
import io
import sys
from pathlib import Path

import numpy as np
import torch

from adcompiler.runtime import SGD, Dense, Input, Sequential
from kernels import median_time         # warmed up, then the median of timed calls

LESSONS = Path(__file__).resolve().parent.parent / "examples" / "lessons"


def lesson(name):
    sys.path.insert(0, str(LESSONS))
    spec = importlib.util.spec_from_file_location(name, LESSONS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------- from3
def from3_ours(repeats):
    from3, common = lesson("from3"), lesson("regression_common")
    model = from3.model()
    with contextlib.redirect_stdout(io.StringIO()):
        common.train_and_query(model)               # compiles, and trains as the lesson
    trained = model.get_weights()
    start = [np.array([[0.3, -0.8], [-0.4, 0.2]], np.float32), np.zeros(2, np.float32)] * 2

    def fit():
        model.set_weights(start)
        model.fit(common.AX, common.AY, epochs=120, batch_size=1, shuffle=False, verbose=0)
    fit_step = median_time(fit, repeats) / 240
    step = model.compiled.step_for(common.AX, common.AY)
    weights, order = model.weights, np.arange(20_000) % 2
    losses = np.zeros(len(order))
    lr = np.float32(1.0)

    def steps():
        step.function(*weights, np.zeros(1, np.int64), common.AX, common.AY, order, 1, 0,
                      len(order), 0, lr, np.float32(0.0), losses)
    compiled_step = median_time(steps, repeats) / len(order)
    return trained, compiled_step, fit_step


def from3_torch(repeats):
    common = lesson("regression_common")
    x, y = torch.tensor(common.AX), torch.tensor(common.AY)

    class MyDense(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.W = torch.nn.Parameter(torch.tensor([[0.3, -0.8], [-0.4, 0.2]]))
            self.b = torch.nn.Parameter(torch.zeros(2))

        def forward(self, inputs):
            z0 = inputs[:, 0] * self.W[0, 0] + inputs[:, 1] * self.W[1, 0] + self.b[0]
            z1 = inputs[:, 0] * self.W[0, 1] + inputs[:, 1] * self.W[1, 1] + self.b[1]
            return torch.stack([z0, z1], dim=1)

    def train(epochs):
        net = torch.nn.Sequential(MyDense(), torch.nn.Sigmoid(), MyDense())
        optimizer = torch.optim.SGD(net.parameters(), lr=1.0)
        for _ in range(epochs):
            for k in range(2):
                optimizer.zero_grad()
                loss = torch.nn.functional.mse_loss(net(x[k:k + 1]), y[k:k + 1])
                loss.backward()
                optimizer.step()
        return [p.detach().numpy() for p in net.parameters()]
    trained = train(120)
    return trained, median_time(lambda: train(120), repeats) / 240


# ---------------------------------------------------------------------------- MLP
def mlp_data():
    rng = np.random.default_rng(0)
    return (rng.standard_normal((6400, 784)).astype(np.float32),
            rng.integers(0, 10, 6400).astype(np.int64))


def mlp_ours(repeats):
    x, labels = mlp_data()
    model = Sequential([Input((784,)), Dense(128, activation="relu"),
                        Dense(10, activation="softmax")], seed=0)
    model.build()
    start = model.get_weights()
    model.compile(optimizer=SGD(learning_rate=0.01), loss="sparse_categorical_crossentropy")
    first = model.fit(x, labels, epochs=1, batch_size=64, shuffle=False, verbose=0)

    def epoch():
        model.fit(x, labels, epochs=1, batch_size=64, shuffle=False, verbose=0)
    seconds = median_time(epoch, repeats) / 100
    return start, first.history["loss"][0], seconds


def mlp_torch(start, repeats):
    x, labels = (torch.tensor(a) for a in mlp_data())
    net = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(),
                              torch.nn.Linear(128, 10))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01)

    def epoch():
        total = 0.0
        for k in range(0, 6400, 64):
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(x[k:k + 64]), labels[k:k + 64])
            loss.backward()
            optimizer.step()
            total += float(loss.detach())
        return total / 100
    with torch.no_grad():
        for layer, (kernel, bias) in zip((net[0], net[2]), (start[:2], start[2:])):
            layer.weight.copy_(torch.tensor(kernel.T))
            layer.bias.copy_(torch.tensor(bias))
    first = epoch()
    return first, median_time(epoch, repeats) / 100


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    ours_trained, compiled_step, fit_step = from3_ours(args.repeats)
    torch_trained, torch_step = from3_torch(args.repeats)
    for a, b in zip(ours_trained, torch_trained):
        np.testing.assert_allclose(a, b, atol=1e-5)
    start, our_loss, mlp_step = mlp_ours(args.repeats)
    torch_loss, torch_mlp_step = mlp_torch(start, args.repeats)
    assert abs(our_loss - torch_loss) < 1e-3 * abs(torch_loss), (our_loss, torch_loss)
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads; medians of "
          f"{args.repeats} runs\n")
    print("| network | adcompiler step (µs) | PyTorch eager step (µs) | PyTorch / adcompiler |")
    print("|---|---:|---:|---:|")
    rows = [("from3, batch 1: compiled step", compiled_step, torch_step),
            ("from3, batch 1: fit of 120 epochs / 240 steps", fit_step, torch_step),
            ("MLP 784-128-10, batch 64: fit epoch / 100 steps", mlp_step, torch_mlp_step)]
    for name, ours, theirs in rows:
        print(f"| {name} | {ours * 1e6:,.1f} | {theirs * 1e6:,.1f} | {theirs / ours:,.1f} |")


if __name__ == "__main__":
    main()
