"""Run slow non-GUI work (exports, loading a session, probing cameras) off the GUI thread.

`run_in_background(fn, on_done, on_error)` calls `fn()` in a Python thread and delivers its
result (or its CoreError message) to the callbacks on the GUI thread, through a queued signal
of a small QObject that lives in the GUI thread. The window stays responsive meanwhile.

Lifetime (issue 13.2): the relay is a child of the application, so Python never deletes it (no
refcount reaching zero in the worker thread, off the relay's thread, nor inside its own slot
while Qt still holds it); after delivering it asks Qt to delete it, on its own thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, Signal, Slot

from app.core.errors import CoreError


class _Relay(QObject):
    sigDone = Signal(object)
    sigFailed = Signal(str)

    def __init__(self, on_done: Callable, on_error: Callable[[str], None] | None):
        super().__init__(QCoreApplication.instance())  # owned by Qt, deleted on its thread
        self._on_done, self._on_error = on_done, on_error
        self.sigDone.connect(self._done)
        self.sigFailed.connect(self._failed)

    @Slot(object)
    def _done(self, value) -> None:
        self.deleteLater()
        self._on_done(value)

    @Slot(str)
    def _failed(self, message: str) -> None:
        self.deleteLater()
        if self._on_error is not None:
            self._on_error(message)


def run_in_background(fn: Callable, on_done: Callable, on_error: Callable[[str], None] | None,
                      name: str = "fer-background") -> threading.Thread:
    """Call `fn()` off the GUI thread; then `on_done(result)` or `on_error(message)` on it."""
    relay = _Relay(on_done, on_error)

    def work() -> None:
        try:
            result = fn()
        except CoreError as exc:
            relay.sigFailed.emit(str(exc))
        except Exception as exc:  # a bug must still reach the user, not die in a thread
            relay.sigFailed.emit(f"{type(exc).__name__}: {exc}")
        else:
            relay.sigDone.emit(result)

    thread = threading.Thread(target=work, name=name, daemon=True)
    thread.start()
    return thread
