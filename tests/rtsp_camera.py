"""Start and stop tests/rtsp_server.py (the GStreamer RTSP server, system python) from the
app's python: an RTSP camera on 127.0.0.1 that can be killed, started again and stalled."""

from __future__ import annotations

import signal
import socket
import subprocess
from pathlib import Path

SYSTEM_PYTHON = "/usr/bin/python3"
SERVER = Path(__file__).resolve().parent / "rtsp_server.py"


class RtspCamera:
    def __init__(self, clip: Path, port: int | None = None):
        if port is None:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
        self.clip, self.port, self.proc = clip, port, None
        self.url = f"rtsp://127.0.0.1:{self.port}/cam"

    def start(self) -> None:
        self.proc = subprocess.Popen([SYSTEM_PYTHON, str(SERVER), str(self.clip),
                                      str(self.port)], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the RTSP server did not start")

    restart = start

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait(5)

    def stall(self) -> None:
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def __enter__(self) -> RtspCamera:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.kill()
