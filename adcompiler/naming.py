"""New names that do not collide with the names a piece of code already uses."""


def unique_name(name, used, separator="_"):
    """``name``, or ``name_2``, ``name_3``, ... : the first not in ``used`` (which it joins)."""
    candidate, k = name, 1
    while candidate in used:
        k += 1
        candidate = f"{name}{separator}{k}"
    used.add(candidate)
    return candidate


class Fresh:
    """Numbered names, ``t1``, ``t2``, ... (``x1_3`` after a hint ending in a digit), one count
    for every hint, skipping the names in ``taken`` (which each new name joins)."""

    def __init__(self, taken):
        self.taken = taken
        self.count = 0

    def __call__(self, hint):
        while True:
            self.count += 1
            name = f"{hint}_{self.count}" if hint[-1].isdigit() else f"{hint}{self.count}"
            if name not in self.taken:
                self.taken.add(name)
                return name
