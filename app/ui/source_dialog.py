"""Choose what to analyse: a camera, a recording, or an observation-room network stream.

The dialog only returns a spec (camera index, path or URL); the worker opens it, off the GUI
thread. Cameras are probed in a background thread too (opening a device can take a second).
The field of the tab shown has the keyboard focus, so typing goes there at once. The tab and
the stream URL last opened are remembered (settings.py) and pre-filled next time; a password
never is: it has its own field, kept only until the stream is opened.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from app.core.analysis.sources import IMAGE_EXTS, VIDEO_EXTS

from . import settings
from .background import run_in_background
from .readers import probe_cameras
from .wording import count

FILE_FILTER = "Recordings ({});;All files (*)".format(
    " ".join(f"*{e}" for e in sorted(VIDEO_EXTS | IMAGE_EXTS)))


class SourceDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, current: str = "", probe=probe_cameras):
        super().__init__(parent)
        self.setWindowTitle("Open source")
        self._probe = probe
        self.tabs = QTabWidget()
        self.tabs.addTab(self._camera_tab(), "Camera")
        self.tabs.addTab(self._file_tab(), "Recording")
        self.tabs.addTab(self._stream_tab(), "Network stream")
        self.tabs.setCurrentIndex(settings.get("source/tab", 1, int) % self.tabs.count())
        self.tabs.currentChanged.connect(self._focus_field)
        note = QLabel(f"Now: {current}" if current else "")
        note.setObjectName("muted")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._accept_if_valid)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(note)
        layout.addWidget(self.buttons)
        self.resize(520, 300)
        self.refresh_cameras()
        self._focus_field()

    # -- tabs ---------------------------------------------------------------------------------
    def _camera_tab(self) -> QWidget:
        self.cameras = QListWidget()
        self.cameras.itemDoubleClicked.connect(self._accept_if_valid)
        self.camera_status = QLabel()
        refresh = QPushButton("Search again")
        refresh.clicked.connect(self.refresh_cameras)
        row = QHBoxLayout()
        row.addWidget(self.camera_status, 1)
        row.addWidget(refresh)
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.addWidget(self.cameras, 1)
        layout.addLayout(row)
        return box

    def _file_tab(self) -> QWidget:
        self.path = QLineEdit()
        self.path.setPlaceholderText("A video recording or a still image")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.addLayout(row)
        layout.addStretch(1)
        return box

    def _stream_tab(self) -> QWidget:
        self.url = QLineEdit(settings.get("source/stream_url", "", str))
        self.url.setPlaceholderText("rtsp://user@camera.local/stream")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Password, if the camera asks for one (never stored)")
        hint = QLabel("RTSP, RTMP, HTTP(S) or UDP stream of an observation-room camera. "
                      "Opening gives up after 5 s without an answer. The address is "
                      "remembered for next time, the password is not.")
        hint.setWordWrap(True)
        hint.setObjectName("muted")
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.addWidget(self.url)
        layout.addWidget(self.password)
        layout.addWidget(hint)
        layout.addStretch(1)
        return box

    # -- cameras ------------------------------------------------------------------------------
    def refresh_cameras(self) -> None:
        self.cameras.clear()
        self.camera_status.setText("Searching for cameras…")
        probe = self._probe
        run_in_background(probe, self._show_cameras, None, name="fer-camera-probe")

    def _show_cameras(self, indices: list[int]) -> None:
        if not isValid(self):
            return  # the dialog was closed while probing
        self.cameras.clear()
        for i in indices:
            item = QListWidgetItem(f"Camera {i}")
            item.setData(Qt.ItemDataRole.UserRole, i)
            self.cameras.addItem(item)
        if indices:
            self.cameras.setCurrentRow(0)
        self.camera_status.setText(f"{count(len(indices), 'camera')} found" if indices
                                   else "No camera found (one in use elsewhere is not listed)")

    # -- result -------------------------------------------------------------------------------
    def _browse(self) -> None:
        start = str(Path(self.path.text()).parent) if self.path.text() else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open recording", start, FILE_FILTER)
        if path:
            self.path.setText(path)

    def spec(self) -> int | str | None:
        """The chosen source: a camera index, a file path or a URL (None: nothing chosen)."""
        tab = self.tabs.currentIndex()
        if tab == 0:
            item = self.cameras.currentItem()
            return item.data(Qt.ItemDataRole.UserRole) if item else None
        text = (self.path if tab == 1 else self.url).text().strip()
        if tab == 2 and text and self.password.text():
            text = with_password(text, self.password.text())
        return text or None

    def _focus_field(self, *_) -> None:
        field = (self.cameras, self.path, self.url)[self.tabs.currentIndex()]
        field.setFocus(Qt.FocusReason.OtherFocusReason)

    def _accept_if_valid(self, *_) -> None:
        spec = self.spec()
        if spec is None:
            return
        settings.put("source/tab", self.tabs.currentIndex())
        if self.tabs.currentIndex() == 2:
            settings.put("source/stream_url", without_password(str(spec)))
        self.accept()


def without_password(url: str) -> str:
    """`url` with any password taken out of its user part (what may be remembered)."""
    head, sep, rest = url.partition("://")
    netloc, slash, path = rest.partition("/")
    user, at, host = netloc.rpartition("@")
    if not sep or not at:
        return url
    return f"{head}://{user.partition(':')[0]}@{host}{slash}{path}"


def with_password(url: str, password: str) -> str:
    """`url` with `password` for its user (the URL's own password, if any, is replaced)."""
    head, sep, rest = url.partition("://")
    if not sep:
        return url
    netloc, slash, path = rest.partition("/")
    user, _, host = netloc.rpartition("@")
    return f"{head}://{user.partition(':')[0]}:{quote(password, safe='')}@{host}{slash}{path}"
