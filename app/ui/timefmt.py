"""Session times as clinicians read them: the one format of app/core/report/data.fmt_time."""

from __future__ import annotations

from app.core.report.data import fmt_time


def format_time(seconds: float, tenths: bool = False) -> str:
    return fmt_time(seconds, tenths)
