"""The colour of each emotion, one table for the app's timeline and the PDF report.

Okabe-Ito palette (distinguishable with the common colour-vision deficiencies); models with
other class names get the spare colours in order.
"""

from __future__ import annotations

CLASS_COLOURS = {
    "happy": "#E69F00",  # orange
    "sad": "#0072B2",  # blue
    "surprise": "#CC79A7",  # reddish purple (pink)
    "neutral": "#7A7A7A",  # grey
    "angry": "#D55E00",
    "fear": "#009E73",
    "disgust": "#56B4E9",
}
SPARE = ("#F0E442", "#000000", "#56B4E9", "#009E73", "#D55E00")
UNCERTAIN_COLOUR = "#C9CED3"  # light grey-blue: a frame whose label is not to be trusted
NO_FACE_COLOUR = "#ECECEC"
SWITCH_COLOUR = "#6A3D9A"  # the patient became another face
BASELINE_COLOUR = "#7FB3A8"  # the resting-face stretch of a baseline (shaded)
TURNED_AWAY_COLOUR = "#D9C3A0"  # sand: the patient's face there but turned away, not read


def class_colour(name: str, index: int) -> str:
    return CLASS_COLOURS.get(name, SPARE[index % len(SPARE)])
