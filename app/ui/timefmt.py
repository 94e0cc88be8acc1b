"""Session times as clinicians read them: m:ss, or h:mm:ss past an hour."""

from __future__ import annotations

import math


def format_time(seconds: float, tenths: bool = False) -> str:
    if not math.isfinite(seconds):
        return "--:--"
    seconds = max(0.0, seconds)
    whole = int(seconds)
    h, rem = divmod(whole, 3600)
    m, s = divmod(rem, 60)
    text = f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"
    return f"{text}.{int((seconds - whole) * 10)}" if tenths else text
