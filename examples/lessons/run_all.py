"""Run every lesson program in turn, printing what each lesson prints.

    python examples/lessons/run_all.py          # values only
    python examples/lessons/run_all.py --show   # with each generated derivative
"""
import importlib.util
import sys
from pathlib import Path

LESSONS = [
    ("chain_rule", "autodiff2.py: y = exp(sin(x**2)) at x = 2"),
    ("perceptron1", "perceptron1.py: one neuron, scalar variables"),
    ("perceptron1b", "perceptron1b.py: one neuron, tensors"),
    ("perceptron2", "perceptron2.py: a batch of two samples"),
    ("neuron_figure_f", "homework, figure F: x=0.5, y=0.4, w=-0.2, b=0.7"),
    ("two_layer", "regressao1.py, figure 7: two-layer network, linear output"),
    ("conv1", "conv1.py: conv2d (VALID) -> relu -> average pooling -> MAE"),
    ("from1", "from1.py (program 6): Dense -> sigmoid -> Dense, SGD, 120 epochs"),
    ("from2", "from2.py (program 8): custom layer MyDense with a matrix product"),
    ("from3", "from3.py (program 7): MyDense element by element, fixed initial weights"),
    ("from4", "from4.py: from3 printing inside the layer while training (run eagerly)"),
    ("exponenc2", "exponenc2.py: the Exponenc layer, powers instead of products"),
    ("antirectifier", "exercise: the antirectifier in place of the sigmoid"),
]


def main(argv=()):
    here = Path(__file__).resolve().parent
    sys.path.insert(0, str(here))           # regression_common, shared by the from* programs
    for name, title in LESSONS:
        print(f"== {title}")
        spec = importlib.util.spec_from_file_location(name, here / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.main(list(argv))
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
