"""`fer-companion --detector`: the same option as `fer-analyze --detector`, and it is used."""

from __future__ import annotations

import pytest

from app.core.errors import CoreError


def _detector_action(parser):
    return next(a for a in parser._actions if "--detector" in a.option_strings)


def test_app_and_fer_analyze_share_the_detector_option():
    from app.core.cli import build_parser as analyze_parser
    from app.ui.main import build_parser as app_parser

    ours, theirs = _detector_action(app_parser()), _detector_action(analyze_parser())
    assert (ours.choices, ours.default, ours.help) == (theirs.choices, theirs.default,
                                                        theirs.help)
    assert set(ours.choices) == {"combined", "blazeface", "haar"} and ours.default == "combined"
    assert app_parser().parse_args(["--detector", "haar"]).detector == "haar"


def test_bad_detector_is_one_line_and_exit_2(capsys):
    from app.ui.main import main

    with pytest.raises(SystemExit) as exit_:
        main(["--detector", "nope"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert err.startswith("fer-companion: error: argument --detector: invalid choice: 'nope'")
    assert err.count("\n") == 1 and "usage:" not in err


@pytest.mark.parametrize("detector", ["haar", "blazeface"])
def test_the_app_analyses_with_the_chosen_detector(detector, monkeypatch, capsys, demo_clip):
    from app.core.analysis import analyzer as analyzer_module
    from app.ui import main as app_main

    made = []

    def analyzer(model, **kwargs):  # stops the start right after the model is chosen
        made.append(kwargs)
        raise CoreError("stop here")

    monkeypatch.setattr(analyzer_module, "Analyzer", analyzer)
    monkeypatch.setattr(app_main, "show_start_error", lambda text: None)
    assert app_main.main(["--detector", detector, "--source", str(demo_clip)]) == 2
    assert made[0]["detector"] == detector


def test_self_test_uses_the_chosen_detector(ui_model, capsys):
    from app.ui.main import main

    assert main(["--self-test", "--model", str(ui_model), "--detector", "haar"]) == 0
    assert "detector haar" in capsys.readouterr().out
