"""Which source the app opens first: --source, else the default camera, else the demo clip."""

from __future__ import annotations

from pathlib import Path

from app.core.analysis.sources import Source, open_source
from app.core.errors import SourceError

from .readers import probe_camera

DEMO_CLIP = Path(__file__).resolve().parents[1] / "assets" / "demo.mp4"


def initial_source(spec: str | None) -> Source:
    """Open `spec` (errors propagate: the user asked for it), or camera 0 when one answers a
    quick, quiet probe, or the bundled demo clip."""
    if spec is not None:
        return open_source(spec)
    if probe_camera(0):
        try:
            return open_source(0)
        except SourceError:
            pass  # listed but busy or broken: the demo is a better start than an error
    if not DEMO_CLIP.is_file():
        raise SourceError(f"no camera found and the demo clip is missing ({DEMO_CLIP}); "
                          "pass --source FILE|INDEX|URL")
    return open_source(DEMO_CLIP)
