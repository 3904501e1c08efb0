"""Nested tuples, lists and dicts of values (pytrees), as leaves and a shape (a treedef).

A treedef is None for a leaf, ``("tuple", (children...))``, ``("list", (children...))`` or
``("dict", (keys...), (children...))``, keys in insertion order. Values flatten to their leaves
depth first; the compiler's tuple values (``ast.Tuple`` of atoms, and ``ast.Dict`` with constant
string keys) flatten the same way, so a structure passed to a function or returned by it
travels as its leaves.
"""
import ast

LEAF = None


def flatten(value):
    """``(treedef, leaves)`` of a Python value: tuples, lists and dicts are structure,
    anything else a leaf."""
    return _flatten(value, _parts)


def _parts(value):
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("dicts passed to derivatives must have string keys")
        return "dict", tuple(value), list(value.values())
    if isinstance(value, (tuple, list)):
        return ("list" if isinstance(value, list) else "tuple"), None, list(value)
    return None


def _node_parts(node):
    if isinstance(node, ast.Dict):
        return "dict", tuple(k.value for k in node.keys), node.values
    if isinstance(node, ast.Tuple):
        return "tuple", None, node.elts
    return None


def _flatten(value, parts):
    split = parts(value)
    if split is None:
        return LEAF, [value]
    kind, keys, items = split
    defs, leaves = [], []
    for item in items:
        shape, found = _flatten(item, parts)
        defs.append(shape)
        leaves += found
    return ((kind, keys, tuple(defs)) if kind == "dict" else (kind, tuple(defs))), leaves


def unflatten(treedef, leaves):
    """The value of shape ``treedef`` made of ``leaves`` (consumed in order)."""
    return _build(treedef, iter(leaves), _value)


def _value(kind, keys, items):
    if kind == "dict":
        return dict(zip(keys, items))
    return items if kind == "list" else tuple(items)


def _node(kind, keys, items):
    if kind == "dict":
        return ast.Dict([ast.Constant(k) for k in keys], items)
    return ast.Tuple(items, ast.Load())


def _build(treedef, leaves, make):
    if treedef is LEAF:
        return next(leaves)
    keys = treedef[1] if treedef[0] == "dict" else None
    return make(treedef[0], keys, [_build(d, leaves, make) for d in treedef[-1]])


def paths(treedef, prefix=""):
    """A name suffix per leaf, in order: ``_w``, ``_0``, ``_layer1_w``."""
    if treedef is LEAF:
        return [prefix]
    keys = treedef[1] if treedef[0] == "dict" else range(len(treedef[1]))
    return [p for k, d in zip(keys, treedef[-1]) for p in paths(d, f"{prefix}_{_word(k)}")]


def _word(key):
    """A key as a part of a name: ``hidden-1`` as ``hidden_1``."""
    return "".join(c if c.isalnum() or c == "_" else "_" for c in str(key))


def is_structure(node):
    """True for the compiler's structure values: ``ast.Tuple`` and ``ast.Dict``."""
    return isinstance(node, (ast.Tuple, ast.Dict))


def flatten_node(node):
    """``(treedef, leaf atoms)`` of a structure value (tuples become "tuple")."""
    return _flatten(node, _node_parts)


def unflatten_node(treedef, leaves):
    """The structure value of shape ``treedef`` made of the atoms ``leaves``."""
    return _build(treedef, iter(leaves), _node)


def nested(node):
    """True if the structure value holds a structure or is a dict (not a flat tuple)."""
    return isinstance(node, ast.Dict) or (isinstance(node, ast.Tuple)
                                          and any(map(is_structure, node.elts)))
