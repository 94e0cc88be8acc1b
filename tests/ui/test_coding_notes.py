"""Coding at the speed of talk: tag keys, a multi-line editor, note numbers that never move."""

from __future__ import annotations

from PySide6.QtCore import Qt


def test_keys_tag_the_note_being_written(window, qtbot):
    qtbot.keyClick(window, Qt.Key.Key_N)
    qtbot.keyClicks(window.notes.text, "2 minutes of silence")  # digits stay text while typing
    qtbot.keyClick(window.notes.text, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    note = window.model.notes[0]
    assert note.perceived == "sad"
    qtbot.keyClick(window.notes.text, Qt.Key.Key_Return)  # saved; keys back to playback
    assert window.model.notes[0].text == "2 minutes of silence"
    qtbot.keyClick(window, Qt.Key.Key_4)  # plain 4 tags the note just written
    assert window.model.notes[0].perceived == "neutral"
    qtbot.keyClick(window, Qt.Key.Key_0)
    assert window.model.notes[0].perceived is None
    assert "Tag note: happy" in window.actions_by_text


def test_shift_enter_writes_several_lines(window, qtbot):
    window.notes.begin_note(1.0)
    qtbot.keyClicks(window.notes.text, "first line")
    qtbot.keyClick(window.notes.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(window.notes.text, "second line")
    qtbot.keyClick(window.notes.text, Qt.Key.Key_Return)
    assert window.model.notes[0].text == "first line\nsecond line"
    assert "second line" in window.notes.list.item(0).text()


def test_numbers_stay_when_an_earlier_note_is_inserted(window, qtbot):
    window.model.add_note(5.0, "first")
    window.model.add_note(9.0, "second")
    window.model.add_note(2.0, "made last, but earliest in time")
    rows = [window.notes.list.item(i).text() for i in range(3)]
    assert rows[0].startswith("3.") and rows[1].startswith("1.") and rows[2].startswith("2.")
    assert [line.label.format for line in window.timeline._note_lines] == ["3", "1", "2"]


def test_a_fast_typist_never_tags_by_accident_and_sees_how_to_tag(window, qtbot):
    """Issue 27.2: digits typed in a note are text; the empty note box, the tag buttons and F1
    say how to tag (Alt+digit while typing, the digit after Enter)."""
    from app.core.session.notes import PERCEIVED_CHOICES

    qtbot.keyClick(window, Qt.Key.Key_N)
    assert window.focusWidget() is window.notes.text
    hint = window.notes.text.placeholderText()
    assert "Alt+1…5" in hint and "stay text" in hint  # in view while the box is empty
    qtbot.keyClicks(window.notes.text, "2Still crying, hides mouth2")
    assert window.model.notes[0].perceived is None
    qtbot.keyClick(window.notes.text, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    assert window.model.notes[0].perceived == "sad"
    assert window.notes.perceived.buttons["sad"].isChecked()
    assert window.focusWidget() is window.notes.text  # still typing
    qtbot.keyClicks(window.notes.text, " 3x")
    qtbot.keyClick(window.notes.text, Qt.Key.Key_Return)
    note = window.model.notes[0]
    assert (note.text, note.perceived) == ("2Still crying, hides mouth2 3x", "sad")
    qtbot.keyClick(window, Qt.Key.Key_1)  # after Enter a plain digit tags
    assert window.model.notes[0].perceived == "happy"
    assert window.notes.perceived.buttons["happy"].isChecked()
    assert not window.notes.perceived.buttons["sad"].isChecked()
    for key, choice in enumerate(PERCEIVED_CHOICES, 1):  # each tag button names its keys
        tip = window.notes.perceived.buttons[choice].toolTip()
        assert f"Alt+{key}" in tip and f"(Enter): {key}" in tip
        assert window.notes.perceived.buttons[choice].text().startswith(f"{key} ")
    help_dialog = window.show_help()
    try:
        text = " ".join(label.text() for label in help_dialog.findChildren(type(
            help_dialog.layout().itemAt(0).widget())))
        assert "Alt+1…5" in text and "stay text" in text
    finally:
        help_dialog.close()


def test_ctrl_z_while_typing_undoes_typing_not_a_face_pick(window, qtbot):
    """Ctrl+Z undoes the last face pick only outside a note: in the note it is the text's."""
    picked = []
    window.actions_by_text["Undo face pick"].triggered.connect(lambda: picked.append(1))
    window.notes.begin_note(0.5)
    qtbot.keyClicks(window.notes.text, "abc")
    qtbot.keyClick(window.notes.text, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert picked == [] and window.notes.text.text() != "abc"
    qtbot.keyClick(window.notes.text, Qt.Key.Key_Return)  # keys back to the window
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert picked == [1]
