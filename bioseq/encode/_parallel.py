"""Numba kernels compiled twice: serially for small inputs, in parallel for large ones.

A parallel region costs a thread wake-up and a barrier. On an idle machine that is
microseconds. When other processes share the cores (data-loader workers, other jobs),
a worker thread can wait for a time slice. On a loaded 2-core machine with numba's
OpenMP layer, a k-mer count that took 2 ms on one thread took 15 ms on two. Calls
below :data:`PARALLEL_MIN_WORK` therefore run serially. ``numba.set_num_threads(1)``
or ``NUMBA_NUM_THREADS=1`` makes every call serial.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import numba
from numba import njit

#: Smallest amount of work (residues or output positions) run on several threads.
#: NOTE: an estimate from a 2-core machine, where one thread handles this in a few ms.
PARALLEL_MIN_WORK = 1 << 22


class SizedKernel:
    """A kernel with a serial and a parallel build, chosen per call by the amount of work."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.serial = njit(cache=True)(function)
        # A distinct qualified name gives the parallel build its own cache files.
        twin = types.FunctionType(function.__code__, function.__globals__, function.__name__,
                                  function.__defaults__, function.__closure__)
        twin.__qualname__ = f"{function.__qualname__}_parallel"
        twin.__module__ = function.__module__
        self.parallel = njit(parallel=True, cache=True)(twin)

    @staticmethod
    def is_parallel(work: int) -> bool:
        """Tell whether :meth:`run` calls the parallel build for this amount of work."""
        return work >= PARALLEL_MIN_WORK and numba.get_num_threads() > 1

    def run(self, work: int, *args: Any) -> Any:
        """Call the parallel build when ``work`` is large and more than one thread is allowed."""
        if self.is_parallel(work):
            return self.parallel(*args)
        return self.serial(*args)


def sized_kernel(function: Callable[..., Any]) -> SizedKernel:
    """Compile ``function`` (written with ``prange``) as a :class:`SizedKernel`."""
    return SizedKernel(function)
