"""Before Qt starts on a Linux desktop: the system libraries its xcb plugin needs.

Without them Qt aborts with a wall of text ("could not load the Qt platform plugin xcb ...").
Ubuntu 22.04 lacks `libxcb-cursor0`, which Qt ≥ 6.5 needs. So on X11 the libraries are looked
up first and a missing one is one line naming the Debian/Ubuntu packages to install.
"""

from __future__ import annotations

import ctypes.util
import os
import sys

# library (as ctypes.util.find_library names it) -> Debian/Ubuntu package
XCB_LIBRARIES = {
    "xcb-cursor": "libxcb-cursor0",
    "xkbcommon-x11": "libxkbcommon-x11-0",
    "xcb-icccm": "libxcb-icccm4",
    "xcb-keysyms": "libxcb-keysyms1",
    "xcb-shape": "libxcb-shape0",
    "EGL": "libegl1",
    "fontconfig": "libfontconfig1",
}


def uses_xcb(environ=os.environ, platform: str = sys.platform) -> bool:
    """True when Qt would start its X11 (xcb) plugin."""
    if not platform.startswith("linux"):
        return False
    wanted = environ.get("QT_QPA_PLATFORM", "")
    if wanted:
        return wanted.split(":")[0] == "xcb"
    return bool(environ.get("DISPLAY")) and not environ.get("WAYLAND_DISPLAY")


def missing_packages(find=None) -> list[str]:
    find = find or ctypes.util.find_library
    return [pkg for lib, pkg in XCB_LIBRARIES.items() if find(lib) is None]


def check_qt_platform(environ=None, find=None) -> str | None:
    """One line naming what to install, or None when Qt can start."""
    if not uses_xcb(os.environ if environ is None else environ):
        return None
    missing = missing_packages(find)
    if not missing:
        return None
    return (f"Qt cannot open a window on this desktop: missing system libraries; install them "
            f"with: sudo apt install {' '.join(missing)}")
