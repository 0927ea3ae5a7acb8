"""What the app says before Qt starts when the window cannot, or may not, open."""

from __future__ import annotations

from stopsearch_app.ui.platform_check import missing_libraries, no_screen

EVERYTHING = {f"lib{name}.so.0" for name in ("xcb-cursor", "xcb-icccm", "xcb-keysyms", "xcb-image",
                                              "xcb-render-util", "xcb-randr", "xcb-shape", "xcb-xkb",
                                              "xkbcommon-x11", "xkbcommon", "EGL", "GL", "fontconfig", "dbus-1")}


def test_a_linux_desktop_with_every_library_starts_quietly():
    assert no_screen({"DISPLAY": ":0"}, "linux") is None
    assert missing_libraries({"DISPLAY": ":0"}, "linux", lambda: EVERYTHING) is None


def test_no_screen_says_how_to_run_without_one():
    problem = no_screen({}, "linux")
    assert problem and "DISPLAY is not set" in problem and "xvfb-run make run" in problem


def test_missing_libraries_are_named_with_the_packages_to_install():
    without_two = EVERYTHING - {"libxcb-cursor.so.0", "libxcb-icccm.so.0"}
    advice = missing_libraries({"DISPLAY": ":0"}, "linux", lambda: without_two)
    assert advice and advice.endswith("sudo apt-get install libxcb-cursor0 libxcb-icccm4")


def test_no_advice_when_the_linker_cache_cannot_be_read():
    assert missing_libraries({"DISPLAY": ":0"}, "linux", lambda: None) is None


def test_other_platforms_and_chosen_plugins_are_left_to_qt():
    assert no_screen({}, "win32") is None and missing_libraries({}, "win32", set) is None
    assert no_screen({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert missing_libraries({"QT_QPA_PLATFORM": "offscreen"}, "linux", set) is None
    assert no_screen({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert no_screen({"QT_QPA_PLATFORM": "xcb"}, "linux") is not None


def test_this_machines_linker_cache_is_read():
    from stopsearch_app.ui.platform_check import _linker_cache

    known = _linker_cache()
    assert known is None or any(name.startswith("libc.so") for name in known)
