"""The video with face boxes, the patient's label and confidence drawn over it.

Overlays are painted at screen resolution (not burned into the frame) so text stays sharp at any
window size. Boxes come in decoded-frame pixels (FrameResult contract) and are mapped through
the same letterbox transform as the picture; a click is mapped back to frame pixels.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from . import theme
from .frame_packet import FramePacket


class VideoView(QWidget):
    sigFrameClicked = Signal(float, float)  # a click, in decoded-frame pixels

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 200)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Click a face to make it the patient")
        self._packet: FramePacket | None = None
        self._message = "Opening source…"
        self.caption = ""  # a label over the picture, e.g. that this is the demo clip
        self.signal_text = ""  # a live source without signal: said over the last picture
        self.uncertain_below = 0.0  # a face whose top probability is lower reads "uncertain"
        self.baseline = None  # the patient's Baseline: the patient's tag reads corrected
        self.classes: tuple[str, ...] = ()

    @property
    def packet(self) -> FramePacket | None:
        return self._packet

    def show_packet(self, packet: FramePacket) -> None:
        self._packet = packet
        self.update()

    def show_message(self, text: str) -> None:
        """Text shown instead of video (opening, errors) until the next frame."""
        self._packet, self._message = None, text
        self.update()

    def image_rect(self) -> QRectF:
        """Where the frame is drawn (aspect kept, centred)."""
        if self._packet is None:
            return QRectF()
        fw, fh = self._packet.frame_size
        scale = min(self.width() / fw, self.height() / fh)
        w, h = fw * scale, fh * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def frame_to_widget(self, x: float, y: float) -> QPointF:
        r, (fw, _) = self.image_rect(), self._packet.frame_size
        s = r.width() / fw
        return QPointF(r.x() + x * s, r.y() + y * s)

    def widget_to_frame(self, pos: QPointF) -> tuple[float, float] | None:
        r = self.image_rect()
        if self._packet is None or not r.contains(pos):
            return None
        s = r.width() / self._packet.frame_size[0]
        return (pos.x() - r.x()) / s, (pos.y() - r.y()) / s

    def mousePressEvent(self, event: QMouseEvent) -> None:
        point = self.widget_to_frame(event.position())
        if event.button() == Qt.MouseButton.LeftButton and point is not None:
            self.sigFrameClicked.emit(*point)
        super().mousePressEvent(event)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#12181C"))
        if self._packet is None:
            p.setPen(QColor("#AEB8C0"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                       self.signal_text or self._message)
            return
        if self.signal_text:  # the last picture, dimmed, under what is going on
            p.setOpacity(0.35)
            p.drawImage(self.image_rect(), self._packet.image)
            p.setOpacity(1.0)
            self._signal_banner(p, self.signal_text)
            return
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.drawImage(self.image_rect(), self._packet.image)
        if self.caption:
            self._corner_label(p, self.caption)
        result = self._packet.result
        if result is None:
            self._banner(p, "Not analysed yet — press Space to play and analyse")
            return
        for face in result.faces:
            self._draw_face(p, face)
        if not result.faces:
            self._banner(p, "No face found")

    def _draw_face(self, p: QPainter, face) -> None:
        x, y, w, h = face.box
        top_left = self.frame_to_widget(x, y)
        bottom_right = self.frame_to_widget(x + w, y + h)
        rect = QRectF(top_left, bottom_right)
        colour = QColor(theme.PATIENT if face.is_patient else theme.OTHER_FACE)
        pen = QPen(colour, 3 if face.is_patient else 1.5)
        if not face.is_patient or not face.detected:
            pen.setStyle(Qt.PenStyle.DashLine if face.detected else Qt.PenStyle.DotLine)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(rect, 4, 4)
        if not face.detected:  # held over a detector miss: not classified, no emotion shown
            who = "Patient" if face.is_patient else f"Face {face.track_id}"
            self._tag(p, rect, f"{who} · not detected", colour, False)
            return
        if face.turned_away:  # a profile's emotion is not read (head_pose.py)
            who = "Patient" if face.is_patient else f"Face {face.track_id}"
            self._tag(p, rect, f"{who} · turned away", colour, False)
            return
        if self.is_uncertain(face) and face.is_patient:
            colour = QColor(theme.UNCERTAIN)
        self._tag(p, rect, self.face_text(face), colour, face.is_patient)

    def shown(self, face) -> tuple[str, float]:
        """(label, top probability) as shown: baseline-corrected for the patient."""
        if face.is_patient and self.baseline is not None and self.classes and face.probs:
            p = self.baseline.correct(face.probs)
            return self.classes[int(p.argmax())], float(p.max())
        return face.label, max(face.probs) if face.probs else 0.0

    def is_uncertain(self, face) -> bool:
        """The model's own top probability (before a baseline) is below the threshold."""
        return bool(face.probs) and max(face.probs) < self.uncertain_below

    def face_text(self, face) -> str:
        """The tag over a face: who, and the label (or, not confident, "uncertain")."""
        who = "Patient" if face.is_patient else f"Face {face.track_id}"
        if self.is_uncertain(face):  # say so, with the model's own best guess and the figure
            # that fell below the threshold (one rule with the timeline and the CSV)
            return f"{who} · uncertain ({face.label} {max(face.probs):.0%})"
        label, conf = self.shown(face)
        return f"{who} · {label} {conf:.0%}"

    def _tag(self, p: QPainter, box: QRectF, text: str, colour: QColor, strong: bool) -> None:
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * (1.1 if strong else 0.95))
        font.setBold(strong)
        metrics = QFontMetrics(font)
        tw, th = metrics.horizontalAdvance(text) + 12, metrics.height() + 6
        tag = QRectF(box.x() - 1, box.y() - th - 2, tw, th)
        if tag.top() < 0:  # no room above the face: put the tag inside the box
            tag.moveTop(box.y() + 2)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour if strong else QColor(20, 26, 30, 200))
        p.drawRoundedRect(tag, 3, 3)
        p.setFont(font)
        p.setPen(QColor("#0B1A12") if strong else QColor("white"))
        p.drawText(tag, Qt.AlignmentFlag.AlignCenter, text)

    def _corner_label(self, p: QPainter, text: str) -> None:
        font = QFont(self.font())
        font.setBold(True)
        metrics = QFontMetrics(font)
        r = self.image_rect()
        box = QRectF(r.x() + 10, r.bottom() - metrics.height() - 18,
                     metrics.horizontalAdvance(text) + 16, metrics.height() + 8)
        self._pill(p, box, text, font, QColor(138, 90, 0, 220), 4)

    def _signal_banner(self, p: QPainter, text: str) -> None:
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        metrics = QFontMetrics(font)
        w, h = metrics.horizontalAdvance(text) + 32, metrics.height() + 20
        box = QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)
        self._pill(p, box, text, font, QColor(192, 57, 43, 235), 6)

    def _pill(self, p: QPainter, box: QRectF, text: str, font: QFont, fill: QColor,
              radius: float) -> None:
        """White bold text centred on a rounded box of `fill`."""
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(fill)
        p.drawRoundedRect(box, radius, radius)
        p.setFont(font)
        p.setPen(QColor("white"))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        p.setFont(self.font())

    def _banner(self, p: QPainter, text: str) -> None:
        metrics = QFontMetrics(self.font())
        r = self.image_rect()
        box = QRectF(r.x() + 10, r.y() + 10, metrics.horizontalAdvance(text) + 16,
                     metrics.height() + 8)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(20, 26, 30, 190))
        p.drawRoundedRect(box, 4, 4)
        p.setPen(QColor("#E8EEF2"))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
