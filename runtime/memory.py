"""Freed memory kept for the next training step.

A training step allocates and frees the same large arrays every time (a LeNet-5 step at batch
64: dozens of arrays of up to 1.2 MB, 15 MB at once). With glibc's default settings, the freed
top of the heap goes back to the system once it passes a few megabytes, so the next step
touches fresh pages and pays a page fault for every 4 KB: that LeNet-5 step took 6.9 ms instead
of 2.8 ms when loaded from numba's cache (compiling it first had grown the heap, which hid the
cost). Importing the runtime asks glibc (``mallopt``) to serve arrays of up to 32 MB from the
heap and to give freed memory back only past 128 MB. Where the C library is not glibc, or
where any ``MALLOC_*`` variable of glibc's is set in the environment, nothing is changed.
"""
import ctypes
import os
import platform

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3       # glibc's malloc.h
MMAP_THRESHOLD = 32 << 20       # glibc's largest
TRIM_THRESHOLD = 128 << 20


def keep_freed_memory():
    """Set glibc's thresholds (see the module's docstring); whether they were set."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    if any(name.startswith("MALLOC_") and name.endswith("_") for name in os.environ):
        return False            # the user's own settings
    libc = ctypes.CDLL(None)
    return (libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
            and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1)
