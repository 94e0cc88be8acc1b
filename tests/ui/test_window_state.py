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


def test_the_frame_with_its_title_bar_fits_the_available_screen(qtbot, analyzer, demo_clip,
                                                                 store):
    """Issue 27.3: the window as tall as the screen plus a title bar hid the status bar."""
    from PySide6.QtCore import QRect

    from app.ui.main_window import MainWindow

    win = MainWindow(analyzer, str(demo_clip), store=store, demo=True)
    qtbot.addWidget(win)
    try:
        win.show()
        qtbot.waitExposed(win)
        available = win.screen().availableGeometry()

        def inside():  # the offscreen test screen (800 px) is narrower than the window's
            frame = win.frameGeometry()  # minimum width (876 px): there only the height
            wide = win.minimumWidth() + frame.width() - win.width() > available.width()
            return frame.top() >= available.top() and frame.bottom() <= available.bottom() \
                and (wide or available.left() <= frame.left() <= frame.right()
                     <= available.right())

        qtbot.waitUntil(inside, timeout=5000)
        bar = win.statusBar()
        assert bar.isVisible()
        assert bar.mapToGlobal(bar.rect().bottomLeft()).y() <= available.bottom()
    finally:
        win.close()

    from app.ui.window_state import fitted

    # the case: 1366x768 client at +1+20 under a 20-px title bar, screen 1366x768
    client = fitted(QRect(0, 0, 1368, 790), QRect(1, 20, 1366, 768), QRect(0, 0, 1366, 768))
    assert client == QRect(1, 20, 1364, 746)  # the frame: exactly the screen
