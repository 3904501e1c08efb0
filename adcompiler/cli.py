"""The ``adc`` command: ``adc show FILE.py:FUNC [--wrt NAMES] [--of NAME] [--mode MODE]``;
``adc train mnist [options]`` and ``adc evaluate CHECKPOINT`` (runtime/train_command.py)."""
import argparse
import importlib.util
import sys
from pathlib import Path

from .api import show
from .errors import DifferentiationError


def _load_function(target):
    path, sep, name = target.rpartition(":")
    if not sep or not path or not name:
        raise SystemExit(f"adc: expected FILE.py:FUNCTION, got {target!r}")
    file = Path(path)
    if not file.is_file():
        raise SystemExit(f"adc: no such file: {path}")
    module_name = "_adc_cli_" + file.stem
    spec = importlib.util.spec_from_file_location(module_name, file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    sys.path.insert(0, str(file.parent.resolve()))
    spec.loader.exec_module(module)
    func = module
    for part in name.split("."):
        func = getattr(func, part, None)
        if func is None:
            raise SystemExit(f"adc: {path} has no function {name!r}")
    return func


def _wrt(text):
    items = [int(w) if w.lstrip("-").isdigit() else w for w in text.split(",") if w]
    return items[0] if len(items) == 1 else tuple(items)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="adc", description="adcompiler: derivatives of "
                                     "Python/NumPy functions as readable, compiled source.")
    commands = parser.add_subparsers(dest="command", required=True)
    show_cmd = commands.add_parser("show", help="print the generated derivative source")
    show_cmd.add_argument("target", help="FILE.py:FUNCTION")
    show_cmd.add_argument("--wrt", default="0", help="parameters or locals to differentiate "
                          "with respect to: positions or names, comma-separated (default 0)")
    show_cmd.add_argument("--of", default=None, help="the local to differentiate (default: "
                          "the return value)")
    show_cmd.add_argument("--mode", default="reverse", choices=["reverse", "forward"],
                          help="reverse: the gradient; forward: the tangent (JVP) function")
    from .runtime import train_command       # the model API loads only for these commands
    train_command.add_commands(commands)
    args = parser.parse_args(argv)
    if args.command in ("train", "evaluate"):
        return train_command.run(args)
    func = _load_function(args.target)
    try:
        show(func, wrt=_wrt(args.wrt), of=args.of, mode=args.mode)
    except (DifferentiationError, ValueError, TypeError) as exc:
        print(f"adc: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
