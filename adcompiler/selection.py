"""What a derivative is taken with respect to (``wrt``) and of (``of``): names checked against
the normalized function's parameters and locals, with the reasons a local cannot be one."""


def wrt_names(program, func, params, wrt):
    """``wrt`` as a tuple of names (None stays None), each checked: a parameter (``params``,
    by position or name) or a local whose last value is one place to nudge. ``program`` None:
    a function of tuples or dicts, normalized per call; its parameters only."""
    if wrt is None:
        return None
    items = wrt if isinstance(wrt, (tuple, list)) else (wrt,)
    if program is None:
        items = [params[i] if isinstance(i, int) and -len(params) <= i < len(params) else i
                 for i in items]
        if any(i not in params for i in items):
            raise ValueError(f"wrt={wrt!r}: {func.__name__} takes tuples or dicts; wrt names "
                             "its parameters")
        return tuple(items)
    names = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise TypeError(f"wrt must name parameters by position or name, not {item!r}")
        if isinstance(item, int):
            if not -len(params) <= item < len(params):
                raise ValueError(f"wrt={item}: {func.__name__} has "
                                 f"{len(params)} parameters")
            item = params[item]
        elif item not in params and item not in program.locals:
            raise _unknown_name(program, func, "wrt", item)
        elif item not in program.params and program.returns_early:
            raise ValueError(f"wrt={item!r}: {func.__name__} returns early, and a "
                             f"local's last value then depends on the path taken; "
                             f"differentiate with respect to a parameter instead")
        elif item in program.read_in_loop:
            loop = program.read_in_loop[item]
            raise program.parsed.error(loop, f"wrt={item!r}: {item} gets its last value "
                                       "inside this loop, which reads it again there; "
                                       "a derivative with respect to it would miss those "
                                       "uses: assign the value you mean to a new name")
        elif item in program.read_before_kept:
            raise program.parsed.error(
                program.read_before_kept[item],
                f"wrt={item!r}: a later branch or loop may leave {item} as it is here, so "
                f"its last value may be the one this line reads; a derivative with respect "
                f"to the final value would miss this use: assign the value you mean to a "
                f"new name")
        elif item in program.maybe_unbound:
            raise ValueError(f"wrt={item!r}: {item} is first bound inside a loop or a "
                             f"branch of {func.__name__} that may not run, so its "
                             f"last value has no one place to nudge; give it a value "
                             f"before that loop or branch")
        elif item in program.constant_locals:
            raise ValueError(f"wrt={item!r}: {item} has no derivative (it comes from "
                             "shapes, comparisons or integer operations)")
        names.append(item)
    return tuple(names)


def check_of(program, func, of):
    """Refuse an ``of`` that names no parameter or local of ``func``."""
    if of is None:
        return
    if program is None:
        raise ValueError(f"of={of!r}: {func.__name__} takes tuples or dicts; differentiate "
                         "its returned value")
    if of not in program.params and of not in program.locals:
        raise _unknown_name(program, func, "of", of)


def _unknown_name(program, func, keyword, name):
    if name in program.final:      # a local bound to a tuple
        return ValueError(f"{keyword}={name!r} names a tuple in {func.__name__}: unpack it "
                          "(a, b = ...) and name one of its values")
    return ValueError(f"{keyword}={name!r} is not a parameter or local variable of "
                      f"{func.__name__}")
