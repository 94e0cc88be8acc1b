"""The menu bar and its keyboard shortcuts, as one table (F1 lists the same actions).

Keyboard first: everything a clinician does during an interview has a key. Each entry names a
public method of the window (with an argument where needed); actions are added to the window
too, so their shortcuts work while the menu bar is closed.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow

from app.core.session.notes import PERCEIVED_CHOICES

SEP = None
MENUS: dict[str, list] = {
    "&File": [
        ("&New session…", ["Ctrl+Shift+N"], "new_session"),
        ("&Open source…", ["Ctrl+O"], "open_source_dialog"),
        ("&End session", ["Ctrl+Shift+W"], "end_session"),
        ("&Sessions…", ["Ctrl+Shift+O"], "open_sessions_dialog"),
        ("&Patient code…", ["Ctrl+Shift+P"], "ask_patient_code"),
        ("Pa&tient…", ["Ctrl+Shift+T"], "open_patient_course"),
        ("&Back up sessions…", [], "backup_sessions"),
        SEP,
        ("Export &CSV…", ["Ctrl+E"], "export_csv"),
        ("Export P&DF…", ["Ctrl+Shift+E"], "export_pdf"),
        SEP,
        ("&Quit", ["Ctrl+Q"], "close"),
    ],
    "&Edit": [
        ("&Undo face pick", ["Ctrl+Z"], "undo_pick"),
    ],
    "&Playback": [
        ("Play / pause", ["Space"], "toggle_play"),
        ("Back 5 s", ["Left"], ("skip", -5.0)),
        ("Forward 5 s", ["Right"], ("skip", 5.0)),
        ("Back 1 s", ["Shift+Left"], ("skip", -1.0)),
        ("Forward 1 s", ["Shift+Right"], ("skip", 1.0)),
        ("Back 30 s", ["Ctrl+Left"], ("skip", -30.0)),
        ("Forward 30 s", ["Ctrl+Right"], ("skip", 30.0)),
        ("Previous frame", [","], ("step", -1)),
        ("Next frame", ["."], ("step", 1)),
        ("Go to start", ["Home"], ("seek", 0.0)),
    ],
    "&Notes": [
        ("New note at current time", ["Ctrl+N", "N"], "new_note"),
        ("Delete selected note", ["Delete"], "delete_note"),
        SEP,
        *((f"Tag note: {c}", [str(k), f"Alt+{k}"], ("tag_note", c))
          for k, c in enumerate(PERCEIVED_CHOICES, 1)),
        ("Tag note: none", ["0", "Alt+0"], ("tag_note", None)),
    ],
    "&View": [
        ("Smoothed timeline", ["S"], "set_smoothed", "checkable"),
        ("Baseline (resting face)…", ["Ctrl+B"], "set_baseline"),
    ],
    "&Help": [
        ("Keyboard shortcuts…", ["F1"], "show_help"),
        ("About the model…", [], "show_model"),
    ],
}


def build_menus(window: QMainWindow) -> dict[str, QAction]:
    """Fill the window's menu bar from MENUS; the actions by their text (without '&')."""
    actions: dict[str, QAction] = {}
    for title, entries in MENUS.items():
        menu = window.menuBar().addMenu(title)
        for entry in entries:
            if entry is SEP:
                menu.addSeparator()
                continue
            text, keys, target, *flags = entry
            name, args = (target, ()) if isinstance(target, str) else (target[0], target[1:])
            action = QAction(text, window)
            action.setShortcuts([QKeySequence(k) for k in keys])
            slot = getattr(window, name)
            if "checkable" in flags:
                action.setCheckable(True)
                action.toggled.connect(slot)
            else:
                action.triggered.connect(lambda _=False, s=slot, a=args: s(*a))
            menu.addAction(action)
            window.addAction(action)
            actions[text.replace("&", "")] = action
    return actions
