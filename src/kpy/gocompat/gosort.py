"""Go's ``sort.Sort``: the same final order, ties included.

kubectl sorts with ``sort.Sort`` (and ``sort.Slice``), which is pattern-defeating quicksort: not stable, but
deterministic (its pattern breaking draws from an xorshift generator seeded with the length). Elements that
compare equal therefore end up in an order no stable sort reproduces; this module replays the algorithm step
by step so that kpy prints ties exactly where kubectl does.

The generator's shifts changed in Go 1.24 (13/17/5 before, 13/7/17 since), so ties that reach the pattern
breaking land differently in kubectl 1.32 (built with Go 1.23) and 1.33 (Go 1.24). ``go="1.23"`` (the default:
kubectl 1.32, the kubectl kpy follows) is every Go from 1.19 to 1.23, ``go="1.24"`` every later one.

- :func:`sort_by_key_like_go`: ``less(a, b) = key(a) < key(b)``, the keys computed once (the fast form).
- :func:`sort_like_go`: any ``less`` function, as a Go ``sort.Interface`` would have it.

Only ``<`` is ever applied to keys, in the same places and the same direction as Go's ``Less`` calls.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any, Literal, Protocol, TypeVar

    #: which ``sort.Sort``: Go 1.19-1.23 (kubectl up to 1.32) or Go 1.24 and later (kubectl 1.33 on)
    GoRelease = Literal["1.23", "1.24"]
    T = TypeVar("T")

    class _Ordered(Protocol):
        def __lt__(self, other: Any, /) -> bool: ...

    K = TypeVar("K", bound=_Ordered)
else:
    GoRelease = str  # its run-time value

__all__ = ["GoRelease", "sort_by_key_like_go", "sort_like_go"]

_INSERTION_MAX = 12  # ranges this short are insertion-sorted
_NINTHER_MIN = 50  # from this length the pivot is a median of three medians
_SHIFT_MIN = 50  # partial insertion sort only shifts elements in ranges at least this long
_SHIFT_STEPS = 5  # ... and fixes at most this many out-of-order neighbours
_ALL_SWAPS = 12  # a pivot choice that swapped every time saw a descending range

_INCREASING, _DECREASING, _UNKNOWN = 0, 1, 2
_U64 = (1 << 64) - 1
_XORSHIFTS: dict[str, tuple[int, int, int]] = {"1.23": (13, 17, 5), "1.24": (13, 7, 17)}


def sort_by_key_like_go(items: list[T], key: Callable[[T], K], *, go: GoRelease = "1.23") -> None:
    """Sort ``items`` in place exactly as Go's ``sort.Sort`` would with ``Less = key(a) < key(b)``."""
    n = len(items)
    if n <= 1:
        return
    keys = [key(item) for item in items]
    if _non_decreasing(keys):
        return  # Go leaves a sorted range untouched, ties included
    if len(set(keys)) == n:
        items.sort(key=key)  # no ties: every correct sort agrees
        return
    _Sorter(keys, items, go).run()


def sort_like_go(items: list[T], less: Callable[[T, T], bool], *, go: GoRelease = "1.23") -> None:
    """Sort ``items`` in place exactly as Go's ``sort.Sort`` would with this ``Less``."""
    if len(items) <= 1:
        return
    wrapped = [_ByLess(item, less) for item in items]
    _Sorter(wrapped, items, go).run()


class _ByLess:
    """An element whose ``<`` is the caller's ``less``."""

    __slots__ = ("item", "less")

    def __init__(self, item: Any, less: Callable[[Any, Any], bool]) -> None:
        self.item = item
        self.less = less

    def __lt__(self, other: _ByLess) -> bool:
        return self.less(self.item, other.item)


def _non_decreasing(keys: list[Any]) -> bool:
    return not any(b < a for a, b in pairwise(keys))


class _Sorter:
    """pdqsort over two parallel lists: ``keys`` (compared) and ``values`` (moved along)."""

    __slots__ = ("keys", "shifts", "values")

    def __init__(self, keys: list[Any], values: list[Any], go: GoRelease) -> None:
        self.keys = keys
        self.values = values
        self.shifts = _XORSHIFTS[go]

    def run(self) -> None:
        n = len(self.keys)
        if n > 1:
            self._pdq(0, n, n.bit_length())

    def _swap(self, i: int, j: int) -> None:
        k, v = self.keys, self.values
        k[i], k[j] = k[j], k[i]
        v[i], v[j] = v[j], v[i]

    def _insertion(self, a: int, b: int) -> None:
        k, v = self.keys, self.values
        for i in range(a + 1, b):
            j = i
            while j > a and k[j] < k[j - 1]:
                k[j], k[j - 1] = k[j - 1], k[j]
                v[j], v[j - 1] = v[j - 1], v[j]
                j -= 1

    def _sift_down(self, root: int, hi: int, first: int) -> None:
        k = self.keys
        while True:
            child = 2 * root + 1
            if child >= hi:
                return
            if child + 1 < hi and k[first + child] < k[first + child + 1]:
                child += 1
            if not k[first + root] < k[first + child]:
                return
            self._swap(first + root, first + child)
            root = child

    def _heap(self, a: int, b: int) -> None:
        size = b - a
        for i in range((size - 1) // 2, -1, -1):
            self._sift_down(i, size, a)
        for i in range(size - 1, -1, -1):
            self._swap(a, a + i)
            self._sift_down(0, i, a)

    def _pdq(self, a: int, b: int, limit: int) -> None:
        k = self.keys
        balanced = True  # the previous partition was not lopsided
        partitioned = True  # the previous partition moved nothing
        while True:
            length = b - a
            if length <= _INSERTION_MAX:
                self._insertion(a, b)
                return
            if limit == 0:
                self._heap(a, b)
                return
            if not balanced:
                self._scatter(a, b)
                limit -= 1
            pivot, hint = self._choose_pivot(a, b)
            if hint == _DECREASING:
                self._reverse(a, b)
                pivot = (b - 1) - (pivot - a)  # same element, now counted from the end
                hint = _INCREASING
            if balanced and partitioned and hint == _INCREASING and self._partial_insertion(a, b):
                return
            if a > 0 and not k[a - 1] < k[pivot]:
                # the element before the range is a pivot no smaller than this one: skip all its equals
                a = self._partition_equal(a, b, pivot)
                continue
            mid, partitioned = self._partition(a, b, pivot)
            left, right = mid - a, b - mid
            threshold = length // 8
            if left < right:
                balanced = left >= threshold
                self._pdq(a, mid, limit)
                a = mid + 1
            else:
                balanced = right >= threshold
                self._pdq(mid + 1, b, limit)
                b = mid

    def _partition(self, a: int, b: int, pivot: int) -> tuple[int, bool]:
        """Smaller elements left of the pivot, the rest right; also whether nothing had to move."""
        k, v = self.keys, self.values
        self._swap(a, pivot)
        p = k[a]
        lo, hi = a + 1, b - 1
        moved = False
        while True:
            while lo <= hi and k[lo] < p:
                lo += 1
            while lo <= hi and not k[hi] < p:
                hi -= 1
            if lo > hi:
                break
            k[lo], k[hi] = k[hi], k[lo]  # the hot loop: swaps inlined
            v[lo], v[hi] = v[hi], v[lo]
            lo += 1
            hi -= 1
            moved = True
        self._swap(hi, a)
        return hi, not moved

    def _partition_equal(self, a: int, b: int, pivot: int) -> int:
        """Elements equal to the pivot first, then the greater ones; returns where the greater ones start."""
        k, v = self.keys, self.values
        self._swap(a, pivot)
        p = k[a]
        lo, hi = a + 1, b - 1
        while True:
            while lo <= hi and not p < k[lo]:
                lo += 1
            while lo <= hi and p < k[hi]:
                hi -= 1
            if lo > hi:
                return lo
            k[lo], k[hi] = k[hi], k[lo]
            v[lo], v[hi] = v[hi], v[lo]
            lo += 1
            hi -= 1

    def _partial_insertion(self, a: int, b: int) -> bool:
        """Fix a few out-of-order neighbours; True when the range ends up sorted."""
        k = self.keys
        i = a + 1
        for _ in range(_SHIFT_STEPS):
            while i < b and not k[i] < k[i - 1]:
                i += 1
            if i == b:
                return True
            if b - a < _SHIFT_MIN:
                return False
            self._swap(i, i - 1)
            if i - a >= 2:
                # Go bounds this walk by index 1, not by the range's start: so do we
                j = i - 1
                while j >= 1 and k[j] < k[j - 1]:
                    self._swap(j, j - 1)
                    j -= 1
            if b - i >= 2:
                j = i + 1
                while j < b and k[j] < k[j - 1]:
                    self._swap(j, j - 1)
                    j += 1
        return False

    def _scatter(self, a: int, b: int) -> None:
        """Swap three middle elements with pseudo-random ones (xorshift seeded with the length)."""
        length = b - a
        if length < 8:
            return
        state = length
        mask = (1 << length.bit_length()) - 1
        middle = a + (length // 4) * 2
        left, right, last = self.shifts
        for idx in range(middle - 1, middle + 2):
            state ^= (state << left) & _U64
            state ^= state >> right
            state ^= (state << last) & _U64
            other = state & mask
            if other >= length:
                other -= length
            self._swap(idx, a + other)

    def _choose_pivot(self, a: int, b: int) -> tuple[int, int]:
        length = b - a
        quarter = length // 4
        i, j, m = a + quarter, a + quarter * 2, a + quarter * 3
        swaps = [0]
        if length >= 8:
            if length >= _NINTHER_MIN:
                i = self._median(i - 1, i, i + 1, swaps)
                j = self._median(j - 1, j, j + 1, swaps)
                m = self._median(m - 1, m, m + 1, swaps)
            j = self._median(i, j, m, swaps)
        if swaps[0] == 0:
            return j, _INCREASING
        if swaps[0] == _ALL_SWAPS:
            return j, _DECREASING
        return j, _UNKNOWN

    def _median(self, x: int, y: int, z: int, swaps: list[int]) -> int:
        k = self.keys
        if k[y] < k[x]:
            swaps[0] += 1
            x, y = y, x
        if k[z] < k[y]:
            swaps[0] += 1
            y, z = z, y
        if k[y] < k[x]:
            swaps[0] += 1
            x, y = y, x
        return y

    def _reverse(self, a: int, b: int) -> None:
        k, v = self.keys, self.values
        k[a:b] = k[a:b][::-1]
        v[a:b] = v[a:b][::-1]
