"""Help → About the model: the running model's figures, mistakes and uncertainty threshold."""

import json
import shutil
from types import SimpleNamespace

from app.core.analysis.uncertainty import OFF, Threshold


def test_about_the_model_without_figures(window, qtbot):
    dialog = window.show_model()  # the tests' tiny model has no metrics.json
    qtbot.addWidget(dialog)
    text = dialog.text()
    assert "tiny.onnx" in text and "No accuracy figures" in text and dialog.table is None
    assert "does not measure what the patient feels" in text


def test_about_the_int8_model(tmp_path, qtbot, ui_model):
    from app.ui.model_dialog import ModelDialog

    from ..core.test_model_figures import CLASSES, METRICS

    shutil.copy(ui_model, tmp_path / "m_int8.onnx")
    (tmp_path / "metrics.json").write_text(json.dumps(METRICS))
    (tmp_path / "MODEL_CARD.md").write_text("card")
    classifier = SimpleNamespace(path=tmp_path / "m_int8.onnx", version="v1", precision="int8",
                                 provider="CPU (no GPU)", classes=CLASSES,
                                 choice="int8 model: same answer as the float model on 99.6 % "
                                        "of camera-like faces")
    dialog = ModelDialog(classifier, Threshold(0.67, "validation split"))
    qtbot.addWidget(dialog)
    text = dialog.text()
    for expected in ("m_int8.onnx</b>, version v1 (int8)", "Runs on CPU (no GPU)",
                     "Why this model: int8 model: same answer as the float model on 99.6 %",
                     "<b>77.8%</b>", "int8 version", "29% of the faces the raters call neutral",
                     "calibration error 0.025", "below 67% are marked uncertain",
                     str(tmp_path / "MODEL_CARD.md")):
        assert expected in text, expected
    assert dialog.table.rowCount() == 4 and dialog.table.columnCount() == 5
    assert dialog.table.item(3, 4).text() == "0.66"
    assert "No frame is marked uncertain" in ModelDialog(classifier, OFF).text()


def test_about_says_where_the_model_runs_in_a_clinicians_words(qtbot, ui_model):
    """Issue 27.6: "CUDA listed but its libraries did not load" meant nothing to a clinician."""
    from app.core.analysis.providers import CPU, ProviderInfo
    from app.ui.model_dialog import ModelDialog

    info = ProviderInfo(CPU, "no usable GPU: CUDA listed but its libraries did not load")
    classifier = SimpleNamespace(path=ui_model, version="", precision="", provider=info,
                                 classes=("happy", "sad", "surprise", "neutral"))
    dialog = ModelDialog(classifier, OFF)
    qtbot.addWidget(dialog)
    text = dialog.text()
    assert "runs on the processor (CPU)" in text  # where
    assert "no NVIDIA graphics card, or NVIDIA's CUDA 13 and cuDNN 9" in text  # why
    assert "install its driver, CUDA 13 and cuDNN 9" in text  # what to install for the GPU
    assert "listed" not in text and "ExecutionProvider" not in text
    assert "CUDA listed" in dialog.summary.toolTip()  # the technical line, on demand
