"""The model's test figures in a clinician's words: both truths, int8, commonest mistakes."""

from app.core.report.model_figures import mistakes_text, model_figures, summary

CLASSES = ("happy", "sad", "surprise", "neutral")
METRICS = {
    "model_file": "m.onnx",
    "test": {"accuracy": 0.779, "n": 2570,
             "per_class": {c: {"precision": 0.8, "recall": 0.7, "f1-score": 0.75} for c in CLASSES},
             # rows: truth; columns: the model's label
             "confusion_matrix": [[90, 5, 0, 5], [0, 60, 0, 40], [0, 0, 100, 0], [0, 15, 0, 85]]},
    "test_consensus": {"accuracy": 0.808, "n": 2775,
                       "per_class": {"neutral": {"recall": 0.66}},
                       "confusion_matrix": [[100, 0, 0, 0], [0, 100, 0, 0], [0, 0, 100, 0],
                                            [0, 29, 0, 71]]},
    "calibration": {"ece_original": 0.025},
    "int8": {"file": "m_int8.onnx", "int8_accuracy": 0.778, "agreement": 0.998},
}


def test_float_model_figures_and_mistakes():
    f = model_figures(METRICS, CLASSES)
    assert (f.accuracy, f.n, f.consensus, f.n_consensus) == (0.779, 2570, 0.808, 2775)
    assert f.float_accuracy is None and f.ece == 0.025 and f.has_raters
    assert [c.recall_raters for c in f.per_class] == [None, None, None, 0.66]
    # 40 % sad->neutral (original), 29 % neutral->sad (raters), 15 % neutral->sad (original);
    # the 5 % confusions stay out
    assert [(m.truth, m.said, round(m.share, 2)) for m in f.mistakes] == [
        ("sad", "neutral", 0.4), ("neutral", "sad", 0.29), ("neutral", "sad", 0.15)]
    assert mistakes_text(f, most=2) == (
        "Its commonest mistakes: 40% of the faces the original label calls sad are called "
        "neutral; 29% of the faces the raters call neutral are called sad.")
    text = summary(f, lambda s: f"*{s}*")
    assert text.startswith("Overall accuracy *77.9%* on 2,570 test images")
    assert "raters (FER+) on the 2,775 images" in text and "80.8%" in text and "int8" not in text


def test_int8_model_gives_its_own_accuracy():
    f = model_figures({**METRICS, "int8_file": "m_int8.onnx"}, CLASSES)
    assert (f.accuracy, f.float_accuracy, f.agreement) == (0.778, 0.779, 0.998)
    assert "int8 version" in summary(f) and "scores 77.9%" in summary(f)


def test_nothing_to_say():
    assert model_figures(None, CLASSES) is None and model_figures({"test": {}}, CLASSES) is None
    f = model_figures({"test": {"accuracy": 0.5}}, CLASSES)
    assert f.mistakes == () and not f.has_raters and mistakes_text(f) == ""
    assert summary(f) == ("Overall accuracy 50.0% (FER-2013 PublicTest, posed and web photos: "
                          "expect lower accuracy on live video).")
