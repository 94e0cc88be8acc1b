"""A live MJPEG-over-HTTP stream on 127.0.0.1 for tests and benchmarks (no ffmpeg needed).

    with MjpegServer(jpeg_frames, fps=24) as server:   # serves http://127.0.0.1:PORT/cam.mjpg
        server.kill()        # the camera dies: listening socket and open connections closed
        server.restart()     # back on the same port
        server.stall()       # connections stay open but nothing is sent (a hung encoder)
        server.resume()
    MjpegServer(frames, max_clients=1)   # a second client is refused (503), as a camera or
                                         # `ffmpeg -listen 1` serving one viewer

Frames go out paced to `fps` by a monotonic schedule (as a camera does), in a loop over the
given JPEGs (each connection from the first); `sent` counts frames sent since start,
`send_log[k]` is (monotonic time, index in `frames`) of the k-th frame sent (for delay
figures), and each frame can carry its number drawn in as a bar code (`numbered_frames`) so a
receiver can tell which frame it shows.
"""

from __future__ import annotations

import http.server
import socket
import socketserver
import threading
import time

import cv2
import numpy as np

from app.core.analysis.sources import LiveOptions

BOUNDARY = b"frame"
BITS = 20  # frame numbers drawn into `numbered_frames` (about 12 days at 1 fps)
# A live source's thresholds made short, so that a test of a loss and a reconnection against
# this server takes seconds (the `jpegs` / `server` fixtures are in tests/conftest.py).
FAST_LIVE = LiveOptions(stall_s=0.4, backoff=(0.1, 0.4), read_timeout_s=1.0,
                        open_timeout_s=2.0)


def numbered_frames(n: int, size: tuple[int, int] = (96, 64), base: np.ndarray | None = None,
                    quality: int = 80) -> list[bytes]:
    """`n` JPEGs of `size` (w, h); each carries its number as a bar code (`read_number`)."""
    w, h = size
    out = []
    for i in range(n):
        img = np.full((h, w, 3), 90, np.uint8) if base is None else cv2.resize(base, (w, h))
        draw_number(img, i)
        ok, data = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
        assert ok
        out.append(data.tobytes())
    return out


def draw_number(img: np.ndarray, number: int) -> None:
    """Frame number as BITS black/white cells across the top 8 rows (survives JPEG)."""
    cell = img.shape[1] // BITS
    for b in range(BITS):
        img[:8, b * cell:(b + 1) * cell] = 255 if number >> b & 1 else 0


def read_number(img: np.ndarray) -> int:
    """The number `draw_number` drew (img: BGR or gray, as decoded)."""
    gray = img if img.ndim == 2 else img.mean(axis=2)
    cell = img.shape[1] // BITS
    return sum(1 << b for b in range(BITS) if gray[1:7, b * cell + 1:(b + 1) * cell - 1].mean()
               > 127)


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class MjpegServer:
    def __init__(self, frames: list[bytes], fps: float = 24.0, port: int = 0,
                 path: str = "/cam.mjpg", loop: bool = True, max_clients: int | None = None):
        self.frames, self.fps, self.path, self.loop = frames, float(fps), path, loop
        self.max_clients = max_clients
        self.refused = 0  # clients turned away while `max_clients` were being served
        self.port = port
        self.sent = 0
        self.send_log: list[tuple[float, int]] = []
        self.connections = 0
        self._running = threading.Event()  # cleared while stalled
        self._running.set()
        self._lock = threading.Lock()
        self._life = threading.RLock()  # start/kill from several threads (a test and a timer)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._generation = 0  # bumped by kill(): handlers of an older one stop
        self._sockets: set[socket.socket] = set()

    @property
    def send_times(self) -> list[float]:
        return [t for t, _ in self.send_log]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def __enter__(self) -> MjpegServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.kill()

    def start(self) -> None:
        with self._life:
            self._start()

    def _start(self) -> None:
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                if self.path != owner.path:
                    self.send_error(404)
                    return
                owner._serve(self)

        self._server = _Server(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="mjpeg-server", daemon=True)
        self._thread.start()

    def kill(self) -> None:
        """Stop listening and drop every open connection at once (a camera switched off)."""
        with self._life:
            self._kill()

    def _kill(self) -> None:
        with self._lock:
            self._generation += 1
            sockets, self._sockets = self._sockets, set()
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None
        self._running.set()

    def restart(self) -> None:
        """Listen again on the same port (the frame count goes on)."""
        with self._life:
            self._kill()
            self._start()

    def stall(self) -> None:
        """Keep the connections open but send nothing until `resume()`."""
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def _serve(self, handler) -> None:
        with self._lock:
            if self.max_clients is not None and len(self._sockets) >= self.max_clients:
                self.refused += 1
                busy = True
            else:
                busy = False
        if busy:
            handler.send_error(503, "busy: serving another client")
            return
        with self._lock:
            generation = self._generation
            self._sockets.add(handler.connection)
            self.connections += 1
        handler.send_response(200)
        handler.send_header("Content-Type",
                            f"multipart/x-mixed-replace;boundary={BOUNDARY.decode()}")
        handler.send_header("Cache-Control", "no-cache")
        handler.end_headers()
        step, due, i = 1.0 / self.fps, time.monotonic(), 0
        try:
            while generation == self._generation:
                if not self._running.is_set():
                    self._running.wait(0.05)
                    due = time.monotonic()  # a stalled camera does not send a backlog
                    continue
                if (wait := due - time.monotonic()) > 0:
                    time.sleep(min(wait, 0.05))
                    continue
                if i >= len(self.frames) and not self.loop:
                    return
                data = self.frames[i % len(self.frames)]
                head = (b"--" + BOUNDARY + b"\r\nContent-Type: image/jpeg\r\n"
                        b"Content-Length: " + str(len(data)).encode() + b"\r\n\r\n")
                handler.wfile.write(head + data + b"\r\n")
                handler.wfile.flush()
                with self._lock:
                    self.sent += 1
                    self.send_log.append((time.monotonic(), i % len(self.frames)))
                i += 1
                due += step
        except OSError:
            pass  # the client went away, or kill() closed the socket
        finally:
            with self._lock:
                self._sockets.discard(handler.connection)
