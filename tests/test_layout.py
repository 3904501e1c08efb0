"""The package's layout: small modules, no import cycle, no module reaching into another's
private names (docs/how-it-works.md names each module's one job)."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"adcompiler": ROOT / "adcompiler", "adcompiler.runtime": ROOT / "runtime"}
LONGEST = 400       # lines


def modules():
    """Dotted name -> path of every module of the packages."""
    out = {}
    for package, root in PACKAGES.items():
        for path in sorted(root.rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            parts = parts[:-1] if parts[-1] == "__init__" else parts
            out[".".join((package,) + parts)] = path
    return out


def imports(name, path):
    """(module imported, names taken from it) for each import of a module of the packages."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rsplit(".", 1)[0]
            source = f"{base}.{node.module}" if node.level and node.module else \
                base if node.level else node.module
            names = [a.name for a in node.names]
            if node.level and not node.module:          # from . import a, b
                out += [(f"{base}.{n}", []) for n in names]
            else:
                out.append((source, names))
        elif isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names]
    return [(source, names) for source, names in out if source.split(".")[0] == "adcompiler"]


MODULES = modules()


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_are_small(name):
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= LONGEST, f"{name} has {lines} lines"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_imports_private_names(name):
    private = [(source, n) for source, names in imports(name, MODULES[name])
               for n in names if n.startswith("_") and not n.startswith("__")]
    assert not private, private


def test_no_import_cycle():
    graph = {name: {source for source, _ in imports(name, path) if source in MODULES}
             for name, path in MODULES.items()}
    for package in PACKAGES:        # a package's __init__ importing its modules is no cycle
        for name in graph:
            if name.startswith(package + ".") and name != package:
                graph[name].discard(package)
    state = {}

    def visit(name, path):
        state[name] = "open"
        for dep in sorted(graph[name]):
            if state.get(dep) == "open":
                raise AssertionError("import cycle: " + " -> ".join(path + [dep]))
            if dep not in state:
                visit(dep, path + [dep])
        state[name] = "done"
    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
