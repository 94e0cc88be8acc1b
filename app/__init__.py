"""fer-companion: facial-emotion timeline beside the clinician's notes.

`app.core` is Qt-free (sources, detection, classification, exports, the `fer-analyze` CLI);
`app.ui` is the PySide6 desktop app built on it. Importing either runs nothing.
"""

__version__ = "0.1.0"
