"""Errors of the analysis core.

Every message is one line meant for the user, printed as is by the CLI
(`fer-analyze: error: <message>`) and shown as is by the UI.
"""

from __future__ import annotations


class CoreError(Exception):
    """Base of all errors the core raises on purpose (bad input, bad model, bad device)."""


class SourceError(CoreError):
    """A source cannot be opened: missing file, not a video, camera or URL unavailable."""


class DecodeError(CoreError):
    """Decoding stopped early (truncated or corrupt file); frames before it were delivered."""


class ModelError(CoreError):
    """The model file is missing or breaks the model contract in DESIGN.md."""


class DeviceError(CoreError):
    """The requested inference device (e.g. `--device gpu`) is not usable here."""


class StreamStopped(CoreError):
    """A live source stopped delivering frames and did not come back in time; the frames
    before it were delivered."""
