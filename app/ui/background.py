"""Run slow non-GUI work (exports, loading a session, probing cameras) off the GUI thread.

`run_in_background(fn, on_done, on_error)` calls `fn()` in a Python thread and delivers its
result (or its CoreError message) to the callbacks on the GUI thread, through a queued signal
of a small QObject that lives in the GUI thread. The window stays responsive meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal, Slot

from app.core.errors import CoreError

_running: set[_Relay] = set()  # keeps each relay alive until it has delivered


class _Relay(QObject):
    sigDone = Signal(object)
    sigFailed = Signal(str)

    def __init__(self, on_done: Callable, on_error: Callable[[str], None] | None):
        super().__init__()
        self._on_done, self._on_error = on_done, on_error
        self.sigDone.connect(self._done)
        self.sigFailed.connect(self._failed)

    @Slot(object)
    def _done(self, value) -> None:
        _running.discard(self)
        self._on_done(value)

    @Slot(str)
    def _failed(self, message: str) -> None:
        _running.discard(self)
        if self._on_error is not None:
            self._on_error(message)


def run_in_background(fn: Callable, on_done: Callable, on_error: Callable[[str], None] | None,
                      name: str = "fer-background") -> threading.Thread:
    """Call `fn()` off the GUI thread; then `on_done(result)` or `on_error(message)` on it."""
    relay = _Relay(on_done, on_error)
    _running.add(relay)

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
