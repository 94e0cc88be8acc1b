"""fer-train --ray: a 2-trial Ray Tune search on a tiny CSV, interrupted (Ctrl+C) after the
first trial and resumed from Ray's experiment state, then the final fit on a worker."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("tensorflow", reason="training extra not installed (pip install .[train])")
if importlib.util.find_spec("ray") is None:  # not imported here: Ray reads its settings once
    pytest.skip("Ray is not installed (pip install -e '.[cluster]' brings it)",
                allow_module_level=True)

from .conftest import write_fer_csv  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def _epochs(experiment: Path) -> dict[str, list[int]]:
    """Per trial, the epochs it reported, in order (Ray's result.json, one line a report)."""
    out = {}
    for result in sorted(experiment.glob("*/result.json")):
        lines = result.read_text().splitlines()
        out[result.parent.name] = [json.loads(line)["epoch"] for line in lines if line]
    return out


@pytest.mark.slow
def test_tune_search_resumes_after_an_interruption(tmp_path):
    csv = write_fer_csv(tmp_path / "tiny.csv", n_train=80, n_test=20)
    work, out = tmp_path / "work", tmp_path / "out"
    cmd = [sys.executable, "-m", "training.cli", str(csv), "--ray", "local",
           "--max-evals", "2", "--search-epochs", "3", "--epochs", "1", "--width", "8",
           "--out", str(out), "--workdir", str(work), "--precision", "fp32", "--votes", "none"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    env.pop("RAY_ADDRESS", None)
    log = work / "train.log"
    with open(tmp_path / "first.txt", "w") as console:
        first = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=console, stderr=console)
        deadline = time.monotonic() + 600
        # The trials run one after the other (a trial takes a whole 2-CPU node): interrupt
        # once the first has finished, while the second is under way. Ray writes a trial's
        # last result to disk a moment after it is reported: wait for that too, or the
        # interruption can race it (seen under load).
        while time.monotonic() < deadline and first.poll() is None:
            if (log.exists() and "trial 1/2 done" in log.read_text()
                    and [1, 2, 3] in _epochs(work / "search-ray").values()):
                break
            time.sleep(0.5)
        assert first.poll() is None, (tmp_path / "first.txt").read_text()[-3000:]
        first.send_signal(signal.SIGINT)
        assert first.wait(timeout=300) == 130
    assert "continue with --resume" in (tmp_path / "first.txt").read_text()
    before = _epochs(work / "search-ray")
    assert [1, 2, 3] in before.values()  # one trial finished before the interruption
    assert not (out / "fer_cnn.onnx").exists()

    second = subprocess.run([*cmd, "--resume"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=900)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "resuming the experiment" in log.read_text()
    after = _epochs(work / "search-ray")
    assert len(after) == 2
    for trial, epochs in after.items():
        assert epochs == sorted(set(epochs)), (trial, epochs)  # no epoch trained twice
        assert epochs[: len(before.get(trial, []))] == before.get(trial, [])
    metrics = json.loads((out / "metrics.json").read_text())
    assert len(metrics["search"]["trials"]) == 2
    for name in ("fer_cnn.onnx", "MODEL_CARD.md", "metrics.json", "confusion_matrix.png"):
        assert (out / name).stat().st_size > 0, name
    assert (work / "final" / "done.json").exists()  # written by the worker's fit
