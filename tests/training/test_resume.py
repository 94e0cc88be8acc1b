"""--resume survives torn state files and never repeats a search trial."""

import json
import re

import pytest

pytest.importorskip("tensorflow", reason="training extra not installed (pip install .[train])")

from training.cli import main  # noqa: E402

from .conftest import write_fer_csv  # noqa: E402


def _train(csv, work, out, *extra):
    return main([str(csv), "--search-epochs", "1", "--epochs", "1", "--out", str(out),
                 "--workdir", str(work), "--precision", "fp32", "--votes", "none", *extra])


def _trial_params(log: str) -> list[dict]:
    return [json.loads(m) for m in re.findall(r"trial \d+/\d+  val_score .*?(\{.*\})", log)]


def test_resumed_search_draws_new_trials_and_torn_files_do_not_crash(tmp_path, capsys):
    csv = write_fer_csv(tmp_path / "tiny.csv", n_train=80, n_test=20)
    work, out = tmp_path / "work", tmp_path / "out"
    assert _train(csv, work, out, "--max-evals", "1") == 0
    # A session cut off while writing would have left these torn before they were atomic.
    (work / "timing.json").write_text("")
    (work / "final" / "done.json").write_text('{"best_val_sc')
    (work / "final" / "best.json").write_text("")
    assert _train(csv, work, out, "--max-evals", "2", "--resume") == 0
    log = (work / "train.log").read_text()
    first, second = _trial_params(log)[:2]
    assert first != second  # the resumed search did not re-draw trial 1
    assert "done.json is unreadable" in log and "timing.json is unreadable" in log
    assert (work / "final" / "done.json.unreadable").exists()
    # A cut trials.pkl: the search starts again instead of a traceback.
    pkl = work / "search" / "trials.pkl"
    pkl.write_bytes(pkl.read_bytes()[: pkl.stat().st_size // 2])
    assert _train(csv, work, out, "--max-evals", "1", "--resume") == 0
    assert "trials.pkl is unreadable" in (work / "train.log").read_text()
    assert "Traceback" not in capsys.readouterr().err
