"""`fer-companion --self-test`, the check the desktop bundle runs after it is built."""

from app.ui.main import main


def test_self_test_passes_on_the_demo_clip(ui_model, capsys):
    assert main(["--self-test", "--model", str(ui_model)]) == 0
    out = capsys.readouterr().out
    assert "self-test: OK" in out and "face in" in out


def test_self_test_fails_with_a_bad_model(tmp_path, capsys):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    assert main(["--self-test", "--model", str(bad)]) != 0
    out = capsys.readouterr()
    assert "FAIL" in out.out and "Traceback" not in out.err
