"""A training step's batch: the rows of the data it names, as a view when they are consecutive
(an epoch without shuffling), so the step reads the data in place instead of copying it."""
from numba import njit


@njit(cache=True)
def take_rows(data, rows):
    """``data[rows]`` along the first axis: a view of ``data`` when ``rows`` are consecutive
    ascending indices, else a new array."""
    if rows.size > 0 and rows[rows.size - 1] - rows[0] == rows.size - 1:
        consecutive = True
        for k in range(1, rows.size):
            consecutive = consecutive and rows[k] == rows[0] + k
        if consecutive and 0 <= rows[0] and rows[rows.size - 1] < data.shape[0]:
            return data[rows[0]:rows[0] + rows.size]
    return data[rows]
