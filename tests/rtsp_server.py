"""An RTSP camera on 127.0.0.1 for tests: Debian's GStreamer RTSP server serving an H.264 clip.

    /usr/bin/python3 tests/rtsp_server.py CLIP.mp4 PORT

Run with the system python (python3-gi, gir1.2-gst-rtsp-server-1.0; not in the app's venv).
Prints `ready` once listening, at rtsp://127.0.0.1:PORT/cam; each client gets the clip from its
start in real time, looped. Stop it by killing the process.
"""

import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main() -> None:
    clip, port = sys.argv[1], sys.argv[2]
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(f"( multifilesrc location={clip} loop=true ! qtdemux ! h264parse ! "
                       "rtph264pay name=pay0 pt=96 config-interval=1 )")
    factory.set_shared(True)
    server.get_mount_points().add_factory("/cam", factory)
    server.attach(None)
    print("ready", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
