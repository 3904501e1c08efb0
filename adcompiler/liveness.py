"""Which variables a loop must carry from one iteration to the next: those live at its head.

A name the loop assigns is carried only if a later statement may read the value it leaves (after
the loop, or in the next iteration before assigning it again). Others are temporaries of one
iteration and get no loop-level name, copies or tape.
"""
import ast

from .dataflow import reads, stores


def live_at_loop_heads(function):
    """id(loop statement) -> names that may be read, before being assigned, from its head on."""
    heads = {}
    _block(function.body, set(), heads)
    return heads


def _block(statements, live, heads):
    for statement in reversed(statements):
        live = _statement(statement, live, heads)
    return live


def _statement(statement, live, heads):
    if isinstance(statement, ast.If):
        return reads([statement.test]) | _block(statement.body, live, heads) \
            | _block(statement.orelse, live, heads)
    if isinstance(statement, (ast.For, ast.While)):
        entry = reads([statement.iter if isinstance(statement, ast.For) else statement.test])
        target = stores([statement.target]) if isinstance(statement, ast.For) else set()
        head = set(live) | entry
        while True:
            new = head | (_block(statement.body, head, heads) - target)
            if new == head:
                break
            head = new
        heads[id(statement)] = head
        return head
    read = reads([statement])
    if isinstance(statement, ast.AugAssign) and isinstance(statement.target, ast.Name):
        read.add(statement.target.id)
    return (live - stores([statement])) | read
