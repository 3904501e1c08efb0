"""Expressions for the normalizer: every operator or call result gets its own name (``t1``,
``t2``, ...), so an expression becomes operations on atoms (names and constants). A primitive's
call binds its arguments to its rule; a call of a user function is normalized with it.
"""
import ast
import copy
import inspect
import operator

import numpy as np

from . import array_rules, closures, refusals, structures, syntax
from .ir import If, Op, OpKind, walk_ops
from .naming import unique_name
from .parse import MISSING, ParsedFunction
from .rules import lookup

BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "truediv",
          ast.Pow: "pow", ast.MatMult: "matmul", ast.Mod: "mod"}
INTEGER_BINOPS = (ast.FloorDiv, ast.LShift, ast.RShift, ast.BitAnd, ast.BitOr, ast.BitXor)
LIBRARIES = {"numpy", "scipy", "numba", "math", "builtins", "adcompiler"}


class Expressions:
    """The Normalizer's methods that lower expressions to atoms."""

    def atom(self, node):
        """``node`` as a Name or Constant (operations emitted as needed)."""
        return self.value(node)

    def value(self, node, target=None, allow_tuple=False):
        """Emit the operations computing ``node``; return an atom (Name, Constant) or a Tuple of
        atoms. With ``target``, a computed result is assigned to that name."""
        refused = refusals.refusal(node)
        if refused:
            raise self.error(*refused)
        if isinstance(node, ast.Constant):
            return ast.Constant(node.value)
        if isinstance(node, ast.Name):
            return self.name(node, allow_tuple)
        if isinstance(node, (ast.Tuple, ast.List)):
            if not allow_tuple:
                raise self.error(node, "a tuple or list is only supported as a call argument, "
                                       "an assigned value or a return value")
            return ast.Tuple([self.value(e, allow_tuple=True) for e in node.elts], ast.Load())
        if isinstance(node, ast.Dict):
            if not allow_tuple:
                raise self.error(node, "a dict is only supported as a call argument, an "
                                       "assigned value or a return value")
            if not all(isinstance(k, ast.Constant) and isinstance(k.value, str)
                       for k in node.keys):
                raise self.error(node, "dict keys must be strings written in the code")
            return ast.Dict([ast.Constant(k.value) for k in node.keys],
                            [self.value(v, allow_tuple=True) for v in node.values])
        if isinstance(node, ast.Attribute):
            return self.attribute(node, target)
        if isinstance(node, ast.BinOp):
            return self.binop(node, target)
        if isinstance(node, ast.UnaryOp):
            return self.unaryop(node, target)
        if isinstance(node, ast.BoolOp) and not all(map(syntax.is_boolean, node.values)):
            return self.if_expression(syntax.as_if_expression(node), target)
        if isinstance(node, (ast.Compare, ast.BoolOp)):
            return self.constant_op(self.rebuild(node), target)
        if isinstance(node, ast.Call):
            return self.call(node, target)
        if isinstance(node, ast.IfExp):
            return self.if_expression(node, target)
        if isinstance(node, ast.Subscript):
            return self.subscript(node, target)
        raise self.error(node, f"'{type(node).__name__}' expressions are not supported")

    def name(self, node, allow_tuple):
        if node.id in self.current:
            version = self.current[node.id]
            if version in self.aliases:
                if not allow_tuple:
                    raise self.error(node, f"tuple {node.id!r} can only be unpacked, indexed "
                                           "by a constant, passed or returned")
                return copy.deepcopy(self.aliases[version])    # new nodes at every read
            return ast.Name(version, ast.Load())
        obj = self.p.lookup(node.id)
        return self.global_value(node, node.id, obj, allow_tuple)

    def global_value(self, node, text, obj, allow_tuple=False):
        """A global's value as a constant: a number, a string, None, or a tuple of them
        (where a tuple may stand)."""
        if obj is MISSING:
            raise self.error(node, f"name {text!r} is not defined")
        if isinstance(obj, tuple) and obj and all(map(_is_constant, obj)):
            if not allow_tuple:
                raise self.error(node, f"tuple {text!r} can only be passed, assigned or "
                                       "returned")
            return ast.Tuple([_constant(v) for v in obj], ast.Load())
        if _is_constant(obj):
            return _constant(obj)
        if isinstance(obj, np.ndarray) and isinstance(node, ast.Name) \
                and np.issubdtype(obj.dtype, np.number):
            reader, key = self.p.reader(text)
            return ast.Name(self.hidden_input(text, reader, key), ast.Load())
        raise self.error(node, f"{text!r} ({type(obj).__name__}) is a global value: pass it "
                               "as an argument (numbers, strings, None, tuples of them and "
                               "arrays may be read from globals or the closure)")

    def hidden_input(self, name, reader, key):
        """The parameter holding a global or closure array, read at every call: added after
        the function's own parameters, once per variable."""
        if key not in self.hidden:
            clash = name in self.current or name in {p for p, _ in self.hidden.values()}
            param = unique_name(name, self.taken) if clash else name   # (two modules' G)
            self.taken.add(param)
            self.hidden[key] = (param, reader)
        return self.hidden[key][0]

    def attribute(self, node, target):
        base = node.value
        if not self.is_global_chain(base):
            atom = self.value(base)
            if node.attr in array_rules.CONSTANT_ATTRIBUTES:
                return self.constant_op(ast.Attribute(atom, node.attr, ast.Load()), target)
            if node.attr in array_rules.ATTRIBUTES:
                return self.rule_op(node, array_rules.ATTRIBUTES[node.attr], [atom], {}, target)
            raise self.error(node, f"attribute '.{node.attr}' of an array is not supported")
        obj = self.p.resolve(node)
        if isinstance(obj, float) and ast.unparse(node.value) in ("np", "math", "numpy"):
            prefix = "math" if ast.unparse(node.value) == "math" else "np"
            return self.constant_op(ast.parse(f"{prefix}.{node.attr}", mode="eval").body, target) \
                if target else ast.Constant(obj)
        return self.global_value(node, ast.unparse(node), obj)

    def binop(self, node, target):
        left, right = self.atom(node.left), self.atom(node.right)
        if isinstance(node.op, INTEGER_BINOPS):
            return self.constant_op(ast.BinOp(left, node.op, right), target)
        return self.rule_op(node, getattr(operator, BINOPS[type(node.op)]), [left, right], {},
                            target)

    def unaryop(self, node, target):
        operand = self.atom(node.operand)
        if isinstance(node.op, ast.UAdd):
            return operand
        if isinstance(node.op, ast.USub):
            if isinstance(operand, ast.Constant):
                return ast.Constant(-operand.value)
            return self.rule_op(node, operator.neg, [operand], {}, target)
        return self.constant_op(ast.UnaryOp(node.op, operand), target)

    def rebuild(self, node):
        """A comparison or boolean expression with every operand normalized to an atom."""
        if isinstance(node, ast.Compare):
            return ast.Compare(self.atom(node.left), node.ops,
                               [self.atom(c) for c in node.comparators])
        return ast.BoolOp(node.op, [self.atom(v) for v in node.values])

    def subscript(self, node, target):
        base = self.value(node.value, allow_tuple=True)
        index = self.index(node.slice)
        if isinstance(base, ast.Dict):
            keys = [k.value for k in base.keys]
            if not (isinstance(index, ast.Constant) and isinstance(index.value, str)):
                raise self.error(node, "a dict can only be indexed by a string written in the "
                                       "code")
            if index.value not in keys:
                raise self.error(node, f"key {index.value!r} is not in the dict (its keys: "
                                       f"{', '.join(map(repr, keys))})")
            return base.values[keys.index(index.value)]
        if isinstance(base, ast.Tuple):
            if isinstance(index, ast.Constant) and isinstance(index.value, int):
                if not -len(base.elts) <= index.value < len(base.elts):
                    raise self.error(node, f"tuple index {index.value} out of range (the tuple "
                                           f"has {len(base.elts)} values)")
                return base.elts[index.value]
            raise self.error(node, "a tuple can only be indexed by a constant integer")
        if not isinstance(base, ast.Name):
            raise self.error(node.value, "only variables can be indexed")
        return self.rule_op(node, operator.getitem, [base, index], {}, target)

    def index(self, node):
        if isinstance(node, ast.Slice):
            return ast.Slice(*(None if part is None else self.atom(part)
                               for part in (node.lower, node.upper, node.step)))
        if isinstance(node, ast.Tuple):
            return ast.Tuple([self.index(e) for e in node.elts], ast.Load())
        return self.atom(node)

    def call(self, node, target):
        func = node.func
        if isinstance(func, ast.Attribute) and not self.is_global_chain(func.value):
            return self.method_call(node, target)
        if isinstance(func, ast.Name) and func.id in self.local_functions \
                and func.id not in self.current:
            args, kwargs = self.arguments(node)
            return self.user_call(node, self.local_functions[func.id], args, kwargs, target)
        obj = self.p.resolve(func)
        if obj is MISSING:
            raise self.error(func, f"name {ast.unparse(func)!r} is not defined")
        args, kwargs = self.arguments(node)
        rule = lookup(obj)
        if rule is not None:
            return self.rule_op(node, obj, args, kwargs, target)
        if inspect.isfunction(obj) and not _from_library(obj):
            return self.user_call(node, obj, args, kwargs, target)
        raise self.error(func, f"call to {ast.unparse(func)!r} has no derivative rule and no "
                               "Python source to differentiate; register a rule with "
                               "adcompiler.primitive")

    def arguments(self, node):
        """(positional atoms, keyword atoms) of a call; ``*t`` passes a tuple's values."""
        args = []
        for arg in node.args:
            if not isinstance(arg, ast.Starred):
                args.append(self.value(arg, allow_tuple=True))
                continue
            value = self.value(arg.value, allow_tuple=True)
            if not isinstance(value, ast.Tuple):
                raise self.error(arg, "only a tuple's values can be passed with '*' (f(*t))")
            args += value.elts
        return args, {k.arg: self.value(k.value, allow_tuple=True) for k in node.keywords}

    def is_global_chain(self, node):
        """True for ``np`` or ``np.linalg``: a name chain not rooted in a local variable."""
        while isinstance(node, ast.Attribute):
            node = node.value
        return isinstance(node, ast.Name) and node.id not in self.current

    def method_call(self, node, target):
        method = node.func.attr
        if syntax.is_list_method(node, "pop") and node.func.value.id in self.lists:
            return self.pop(node, target)
        if method not in array_rules.METHODS:
            raise self.error(node.func, f"method '.{method}()' is not supported")
        base = self.value(node.func.value)
        args, kwargs = self.arguments(node)
        packed = array_rules.VARARG_METHODS.get(method)
        if packed and len(args) > 1:
            args = [ast.Tuple(args, ast.Load())]
        return self.rule_op(node, array_rules.METHODS[method], [base] + args, kwargs, target)

    def rule_op(self, node, obj, args, kwargs, target):
        rule = lookup(obj)
        for arg in list(args) + list(kwargs.values()):
            if structures.nested(arg):
                raise self.error(node, "nested tuples and dicts can only be passed to your own "
                                       "functions, indexed, assigned or returned")
        if rule.nondiff:
            call = ast.Call(ast.parse(rule.name, mode="eval").body, args,
                            [ast.keyword(k, v) for k, v in kwargs.items()])
            return self.constant_op(call, target, rule, dict(zip(rule.params, args)))
        if rule.folds and len(args) > len(rule.params):     # max(a, b, c)
            first = self.rule_op(node, obj, args[:len(rule.params)], {}, None)
            return self.rule_op(node, obj, [first] + args[len(rule.params):], kwargs, target)
        try:
            bound = rule.bind(args, kwargs)
        except TypeError as exc:
            raise self.error(node, f"{rule.name}: {exc}") from None
        refused = refusals.rule_arguments(rule, bound)
        if refused:
            raise self.error(node, refused)
        expr = rule.render(args, kwargs, bound)
        inputs = []
        for p in rule.diff_params():
            value = bound[p]
            elts = value.elts if isinstance(value, ast.Tuple) else [value]
            inputs += [e.id for e in elts if isinstance(e, ast.Name)]
        named, target = target is not None, target or self.fresh("t")
        if rule.view and isinstance(bound.get("x"), ast.Name):
            self.view(target, bound["x"].id, named)
        constant = all(name in self.constants for name in inputs)
        self.ops.append(Op((target,), expr, OpKind.CONST if constant else OpKind.RULE,
                           self.origin, rule=rule, args=bound,
                           inputs=tuple(dict.fromkeys(inputs))))
        if constant:
            self.constants.add(target)
        return ast.Name(target, ast.Load())

    def user_call(self, node, func, args, kwargs, target):
        """A call of a user function ``func``, or of a nested one (its ParsedFunction)."""
        parsed = func if isinstance(func, ParsedFunction) else None
        signature = closures.signature(parsed) if parsed else inspect.signature(func)
        called = parsed.name if parsed else func.__name__
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise self.error(node, f"{called}(): {exc}") from None
        bound.apply_defaults()
        named, extra = {}, None     # the named parameters' values, then those of *args
        for name, value in bound.arguments.items():
            if signature.parameters[name].kind is inspect.Parameter.VAR_POSITIONAL:
                extra = list(value)     # one parameter each, after the named ones
                continue
            if not isinstance(value, ast.AST):
                value = self.global_value(node, name, value, allow_tuple=True)
            named[name] = value
        nones = frozenset(p for p, a in named.items()
                          if isinstance(a, ast.Constant) and a.value is None)
        shapes = {}                     # a tuple or dict argument travels as its leaves
        atoms = []
        for name, value in named.items():
            if structures.is_structure(value):
                shapes[name], leaves = structures.flatten_node(value)
                atoms += leaves
            else:
                atoms.append(value)
        atoms += extra or []
        callee = self.library.program(func, node, self, nones=nones, parsed=parsed,
                                      extra=None if extra is None else len(extra),
                                      shapes=frozenset(shapes.items()))
        if callee.written_params:
            raise self.error(node, f"{called}() writes into its argument "
                                   f"{callee.written_params[0]!r} in place, which in Python "
                                   "changes the caller's array; return the new array from "
                                   f"{called}() instead")
        for key, (param, reader) in callee.hidden.items():  # its global arrays, passed on
            atoms.append(ast.Name(self.hidden_input(param, reader, key), ast.Load()))
        if callee not in self.callees:
            self.callees.append(callee)
        expr = ast.Call(ast.Name(callee.name, ast.Load()), atoms, [])
        inputs = tuple(dict.fromkeys(a.id for a in atoms if isinstance(a, ast.Name)))
        named = target is not None and not isinstance(callee.result, ast.Tuple)
        targets = tuple(self.fresh("t") for _ in callee.result.elts) \
            if isinstance(callee.result, ast.Tuple) else (target or self.fresh("t"),)
        arguments = dict(zip(callee.params, atoms))
        for name, params in zip(targets, callee.returned_views):
            for param in params:                # a view of that argument, or the argument
                if isinstance(arguments.get(param), ast.Name):
                    self.view(name, arguments[param].id, named)
        self.ops.append(Op(targets, expr, OpKind.CALL, self.origin, callee=callee, args=atoms,
                           inputs=inputs))
        if callee.result_shape is not None:     # its leaves, as the structure returned
            return structures.unflatten_node(callee.result_shape,
                                             [ast.Name(t, ast.Load()) for t in targets])
        if isinstance(callee.result, ast.Tuple):    # one name per returned value
            return ast.Tuple([ast.Name(t, ast.Load()) for t in targets], ast.Load())
        return ast.Name(targets[0], ast.Load())

    def constant_op(self, expr, target, rule=None, args=None):
        """``target = expr``, a value without derivative (``rule``: the primitive it calls)."""
        target = target or self.fresh("t")
        self.ops.append(Op((target,), expr, OpKind.CONST, self.origin, rule=rule, args=args))
        self.constants.add(target)
        return ast.Name(target, ast.Load())

    def if_expression(self, node, target):
        truth = self.static_truth(node.test)
        if truth is not None:
            return self.value(node.body if truth else node.orelse, target)
        test = self.atom(node.test)
        named, target = target is not None, target or self.fresh("t")
        branches = []
        for side in (node.body, node.orelse):
            outer, self.ops = self.ops, []
            # a view gets a name of its own: the target may share either side's memory
            may_view = isinstance(side, ast.Subscript) or syntax.viewed(side) is not None
            value = self.value(side, target=None if may_view else target)
            if isinstance(value, ast.Name) and value.id != target:  # may be that array
                self.view(target, value.id, named)
            if not (isinstance(value, ast.Name) and value.id == target):
                self.ops.append(Op((target,), value, OpKind.COPY if isinstance(value, ast.Name)
                                   else OpKind.CONST, self.origin,
                                   inputs=(value.id,) if isinstance(value, ast.Name) else ()))
            constant = all(op.kind is OpKind.CONST for op in walk_ops(self.ops)
                           if target in op.targets)
            branches.append((self.ops, constant))
            self.ops = outer
            self.constants.discard(target)
        if all(constant for _, constant in branches):
            self.constants.add(target)
        self.ops.append(If(test, branches[0][0], branches[1][0], self.origin))
        return ast.Name(target, ast.Load())

    def pop(self, call, target):
        if call.args or call.keywords:
            raise self.error(call, "only pop() without arguments (the last value) is supported")
        stack = self.current[call.func.value.id]
        target = target or self.fresh("t")
        self.ops.append(Op((target,), ast.Call(ast.Attribute(ast.Name(stack, ast.Load()), "pop",
                                                             ast.Load()), [], []),
                           OpKind.POP, self.origin, inputs=(stack,)))
        return ast.Name(target, ast.Load())


def _is_constant(obj):
    return obj is None or isinstance(obj, (bool, int, float, str)) or (
        isinstance(obj, np.generic) and np.ndim(obj) == 0)


def _constant(obj):
    return ast.Constant(obj.item() if isinstance(obj, np.generic) else obj)


def _from_library(func):
    """True for functions of NumPy and friends: only a rule may differentiate them. A function
    written from the user's source (``parse.written_from``) is the user's."""
    if getattr(func, "__adc_source__", None) is not None:
        return False
    return (getattr(func, "__module__", None) or "").split(".")[0] in LIBRARIES
