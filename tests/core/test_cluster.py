"""`fer-analyze --ray`: one task per recording on a local Ray, the same files as a local run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.cli import main
from app.core.cluster import ray_argv

REPO = Path(__file__).resolve().parents[2]


def cli(args) -> int:
    try:
        return main([str(a) for a in args])
    except SystemExit as exc:
        return exc.code


@pytest.fixture(scope="module")
def local_ray():
    """A local Ray with 2 CPUs; workers import this checkout, report nothing anywhere."""
    ray = pytest.importorskip(
        "ray", reason="Ray is not installed (pip install -e '.[cluster]' brings it)")
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    env = {"ORT_DISABLE_TELEMETRY": "1", "RAY_USAGE_STATS_ENABLED": "0",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": env})
    yield ray
    ray.shutdown()


@pytest.fixture(autouse=True)
def _ray_settings_restored(monkeypatch):
    """`--ray` sets Ray's settings in this process's environment, as the command should; a test
    must not leave them to the next one."""
    for key in ("RAY_USAGE_STATS_ENABLED", "RAY_AUTH_MODE", "ORT_DISABLE_TELEMETRY"):
        if key in os.environ:
            monkeypatch.setenv(key, os.environ[key])
        else:
            monkeypatch.delenv(key, raising=False)


@pytest.mark.parametrize(("argv", "expect"), [
    (["--ray", "in/", "--csv", "o"], ["--ray=", "in/", "--csv", "o"]),
    (["--ray", "head.lan:6379", "in/"], ["--ray=head.lan:6379", "in/"]),
    (["--ray", "10.0.0.5:6379", "list.txt"], ["--ray=10.0.0.5:6379", "list.txt"]),
    (["--ray", "auto", "in/"], ["--ray=auto", "in/"]),
    (["in/", "--ray"], ["in/", "--ray="]),
    (["in/", "--csv", "o"], ["in/", "--csv", "o"]),
])
def test_ray_address_is_told_apart_from_the_input(argv, expect):
    assert ray_argv(argv) == expect


def test_without_ray_installed_one_clear_line(tmp_path, face_clip, tiny_model, capsys,
                                              monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    shutil.copy(face_clip, tmp_path / "a.mp4")
    assert cli(["--ray", tmp_path, "--csv", tmp_path / "out", "--model", tiny_model]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["fer-analyze: error: --ray needs Ray: pip install 'fer-companion[cluster]'"]


def test_importing_the_cli_does_not_import_ray():
    code = "import sys, app.core.cli; assert 'ray' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, cwd=REPO)


@pytest.mark.slow
@pytest.mark.shared
def test_stock_clips_give_byte_identical_csvs(local_ray, media, tmp_path, capsys):
    """The real clips of ../shared/media with the shipped model, locally and on Ray."""
    assert cli([media, "--csv", tmp_path / "local"]) == 0
    capsys.readouterr()
    assert cli(["--ray", media, "--csv", tmp_path / "ray"]) == 0
    out = capsys.readouterr().out
    local = sorted(p.name for p in (tmp_path / "local").iterdir())
    assert local == sorted(p.name for p in (tmp_path / "ray").iterdir()) and len(local) >= 4
    for name in local:
        a, b = tmp_path / "local" / name, tmp_path / "ray" / name
        assert a.read_bytes() == b.read_bytes(), name
        assert a.stat().st_mode == b.stat().st_mode, name
    assert f"{len(local)} of {len(local)} recording(s) analysed" in out


def test_bad_file_is_reported_by_name_and_the_rest_go_on(local_ray, tmp_path, face_clip,
                                                         two_face_clip, tiny_model, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(face_clip, folder / "a.mp4")
    shutil.copy(two_face_clip, folder / "c.mp4")
    (folder / "broken.mp4").write_bytes(b"not a video at all\n" * 200)
    assert cli(["--ray", folder, "--csv", tmp_path / "out", "--model", tiny_model]) == 1
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fer-analyze: error: ")
    assert "broken.mp4" in lines[0] and "Traceback" not in out + err
    assert "2 of 3 recording(s) analysed" in out and "failed: broken.mp4" in out
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "a.mp4.frames.csv", "c.mp4.frames.csv"]
    # the same bytes as the local command writes for the good ones
    assert cli([folder, "--csv", tmp_path / "local", "--model", tiny_model]) == 1
    for name in ("a.mp4.frames.csv", "c.mp4.frames.csv"):
        assert (tmp_path / "out" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()


def test_list_with_pdf_and_notes(local_ray, tmp_path, face_clip, tiny_model, capsys):
    (tmp_path / "data").mkdir()
    clip = shutil.copy(face_clip, tmp_path / "data" / "session.mp4")
    listing = tmp_path / "recordings.txt"
    listing.write_text("# archive, 2026\n\ndata/session.mp4\n")
    notes = tmp_path / "notes.csv"
    notes.write_text("time_s,text,perceived\n0.2,smiles when greeting,happy\n0.6,looks away,\n")
    opts = ["--model", tiny_model, "--smooth", "0.5", "--notes", notes]
    assert cli(["--ray", listing, "--csv", tmp_path / "ray", "--pdf", tmp_path / "pdf",
                *opts]) == 0, capsys.readouterr().err
    assert cli([clip, "--csv", tmp_path / "local.frames.csv", *opts]) == 0
    ray_dir = tmp_path / "ray"
    assert sorted(p.name for p in ray_dir.iterdir()) == [
        "session.mp4.frames.csv", "session.mp4.notes.csv"]
    assert (ray_dir / "session.mp4.frames.csv").read_bytes() == (
        tmp_path / "local.frames.csv").read_bytes()
    assert (ray_dir / "session.mp4.notes.csv").read_bytes() == (
        tmp_path / "local.notes.csv").read_bytes()
    assert (tmp_path / "pdf" / "session.mp4.report.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(("body", "expect"), [
    ("a/x.mp4\nb/x.mp4\n", "share a file name (x.mp4)"),
    ("0\n", "recordings.txt:1: '0' is not a recording file"),
    ("# nothing\n\n", "names no recording"),
])
def test_bad_lists_fail_before_ray_starts(tmp_path, tiny_model, capsys, body, expect):
    listing = tmp_path / "recordings.txt"
    listing.write_text(body)
    assert cli(["--ray", listing, "--csv", tmp_path / "out", "--model", tiny_model]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expect in err[0], err


def test_camera_is_refused(tmp_path, tiny_model, capsys):
    assert cli(["--ray", "0", "--csv", tmp_path / "out", "--model", tiny_model]) == 1
    assert "not a camera or a stream" in capsys.readouterr().err


def test_unreachable_cluster_is_one_line_at_once(tmp_path, face_clip, tiny_model, capsys,
                                                 monkeypatch):
    ray = pytest.importorskip("ray", reason="Ray is not installed")
    monkeypatch.setattr(ray, "is_initialized", lambda: False)  # even beside the local Ray
    shutil.copy(face_clip, tmp_path / "a.mp4")
    rc = cli(["--ray", "127.0.0.1:9", tmp_path, "--csv", tmp_path / "out", "--model", tiny_model])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1 and len(err) == 1, err
    assert "cannot reach a Ray cluster at 127.0.0.1:9" in err[0]
