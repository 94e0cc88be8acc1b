"""What the app remembers between runs (QSettings): clinician name, window and view choices.

Stored in the user's config folder as an INI file (`fer-companion/fer-companion.ini`); tests
point QSettings at a temporary folder. Nothing about patients is kept here.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings


def settings() -> QSettings:
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "fer-companion",
                     "fer-companion")


def get(key: str, default=None, kind=None):
    value = settings().value(key, default)
    if kind is bool and isinstance(value, str):  # INI files give strings back
        return value.lower() in ("true", "1")
    if kind is not None and value is not None:
        try:
            return kind(value)
        except (TypeError, ValueError):
            return default
    return value


def put(key: str, value) -> None:
    s = settings()
    s.setValue(key, value)
    s.sync()
