"""The committed lock (requirements/*.txt, `make lock`) pins every dependency pyproject names,
within pyproject's ranges: a pyproject edit without `make lock` fails here, not on a new machine."""

from __future__ import annotations

from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib", reason="Python >= 3.11 reads pyproject itself")
from packaging.markers import default_environment  # noqa: E402
from packaging.requirements import Requirement  # noqa: E402
from packaging.utils import canonicalize_name  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def pins(lock: Path) -> dict[str, str]:
    """name -> version of the lines that apply to this machine (markers evaluated)."""
    out = {}
    for line in lock.read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-"):
            continue
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate():
            (spec,) = req.specifier
            assert spec.operator == "==", line
            out[canonicalize_name(req.name)] = spec.version
    return out


def wanted(groups: list[str]) -> list[Requirement]:
    project = PYPROJECT["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    for extra in groups:
        reqs += [Requirement(r) for r in project["optional-dependencies"][extra]]
    env = default_environment()
    return [r for r in reqs if r.marker is None or r.marker.evaluate(env)]


@pytest.mark.parametrize(("lock", "extras"), [
    ("app.txt", ["bundle"]),
    ("all.txt", ["train", "dev", "cluster", "bundle"]),
])
def test_lock_pins_every_dependency_within_its_range(lock, extras):
    pinned = pins(REPO / "requirements" / lock)
    for req in wanted(extras):
        name = canonicalize_name(req.name)
        assert name in pinned, f"{req.name} is not in requirements/{lock}: run `make lock`"
        assert req.specifier.contains(pinned[name], prereleases=True), (
            f"requirements/{lock} pins {req.name}=={pinned[name]}, outside {req.specifier}: "
            "run `make lock`")


def test_installs_read_the_lock():
    makefile = (REPO / "Makefile").read_text()
    assert makefile.count("-c $(LOCK_APP)") >= 2 and "-c $(LOCK_ALL)" in makefile
    assert "make test" in (REPO / ".ci" / "run").read_text()
