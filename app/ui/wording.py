"""Counts in words a reader expects: "1 session", "2 sessions", never "1 sessions"."""

from __future__ import annotations


def count(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n:,} {singular if n == 1 else plural or singular + 's'}"
