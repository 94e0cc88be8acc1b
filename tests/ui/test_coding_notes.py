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
