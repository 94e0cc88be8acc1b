"""The app and the PDF report speak alike: colours, time format, the inference device."""

from __future__ import annotations


def test_each_emotion_has_one_colour_in_app_and_report():
    from app.core.report.timeline_figure import class_color
    from app.ui.theme import class_colour

    for i, name in enumerate(("happy", "sad", "surprise", "neutral", "contempt")):
        assert class_colour(name, i).name().upper() == class_color(name, i).upper()
    assert class_color("surprise", 2).upper() == "#CC79A7"  # pink in both (was purple in one)


def test_times_read_the_same_in_app_and_report():
    from app.core.report.data import fmt_time
    from app.ui.timefmt import format_time

    for t in (0.0, 3.95, 59.99, 61.04, 3725.5):
        assert format_time(t, tenths=True) == fmt_time(t, tenths=True)
        assert format_time(t) == fmt_time(t)
    assert format_time(3.95, tenths=True) == "00:03.9" and fmt_time(3.95) == "00:03"


def test_status_bar_and_report_name_the_device_plainly(window):
    from app.core.analysis.providers import device_label

    assert device_label("CPU (no usable GPU: CUDA listed but its libraries did not load)") \
        == "CPU"
    assert device_label("CUDA (GPU, --device auto)") == "GPU (CUDA)"
    window.status.tick()
    assert window.status.provider.text() == "Model on CPU"
