"""First start fits the screen; size, splitters, timeline range and smoothing are remembered."""

from __future__ import annotations

from PySide6.QtCore import QSize


def test_fit_size_keeps_the_window_on_a_small_laptop_screen():
    from app.ui.window_state import fit_size

    assert fit_size(QSize(1366, 740)) == QSize(1366, 740)
    assert fit_size(QSize(2560, 1400)) == QSize(1400, 900)


def test_window_fits_the_screen_and_remembers_view_choices(qtbot, analyzer, demo_clip, store):
    from app.ui import settings
    from app.ui.main_window import MainWindow

    win = MainWindow(analyzer, str(demo_clip), store=store, demo=True)
    qtbot.addWidget(win)
    available = win.screen().availableGeometry().size()
    assert win.width() <= available.width() and win.height() <= available.height()
    wanted = QSize(available.width() - 40, available.height() - 30)
    win.resize(wanted)
    win.timeline.window_box.setCurrentIndex(0)
    win.timeline._choose_range(0)  # "Last 30 s", as the combo box's activated signal does
    win.timeline.set_smoothed(True)
    top = win.centralWidget().widget(0)
    top.setSizes([500, 480])
    sizes = top.sizes()
    win.close()
    assert settings.get("timeline/range", None, int) == 0

    again = MainWindow(analyzer, str(demo_clip), store=store, demo=True)
    qtbot.addWidget(again)
    try:
        assert again.size() == wanted
        assert again.timeline.window_box.currentIndex() == 0 and again.timeline.smoothed
        assert again.centralWidget().widget(0).sizes() == sizes
    finally:
        again.close()
