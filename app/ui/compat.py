"""Work-arounds for defects of specific Qt binding releases, each detected, not assumed.

PySide6 6.12.0 on Python < 3.12 returns `None`, `True` and `False` without taking a new
reference (as if they were immortal, which they are only from Python 3.12 on): every call of a
void Qt method (`setObjectName`, ...) drops a reference to `None`, every `Signal.emit()` one to
`True`. The interpreter aborts ("none_dealloc"/"bool_dealloc: deallocating ...") once a count
reaches zero: after a minute or two of video, or at the exit of a test run. 6.11.x is fine; the
dependency should exclude 6.12.0. Until then `guard_singleton_refcounts()` detects the leak and
gives the three singletons reference counts no session can exhaust, which is what Python 3.12
does for them anyway.
"""

from __future__ import annotations

import ctypes
import sys

_checked = False
_SINGLETONS = (None, True, False)


def binding_leaks_singletons() -> bool:
    """True if calling into PySide6 drops references to None or True (the 6.12.0 defect)."""
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        sig = Signal()

    probe = _Probe()
    before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(64):
        probe.setObjectName("probe")  # void method: returns None
        probe.sig.emit()  # returns True
    after = sys.getrefcount(None), sys.getrefcount(True)
    return any(b - a >= 32 for b, a in zip(before, after, strict=True))


def guard_singleton_refcounts() -> bool:
    """Apply the work-around once per process if the defect is present; True if applied."""
    global _checked
    if _checked or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    _checked = True
    if not binding_leaks_singletons():
        return False
    for obj in _SINGLETONS:  # ob_refcnt is the first field of every CPython object
        ctypes.c_ssize_t.from_address(id(obj)).value += 1 << 40
    return True
