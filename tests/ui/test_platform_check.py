"""What the app says before Qt starts when the window cannot open."""

from __future__ import annotations

from stopsearch_app.ui.platform_check import start_problem


def every_library(_name: str) -> str:
    return "/usr/lib/libfound.so"


def test_a_linux_desktop_with_every_library_starts():
    assert start_problem({"DISPLAY": ":0"}, "linux", every_library) is None


def test_no_screen_says_how_to_run_without_one():
    problem = start_problem({}, "linux", every_library)
    assert problem and "DISPLAY is not set" in problem and "xvfb-run make run" in problem


def test_missing_libraries_are_named_with_the_packages_to_install():
    def missing_two(name: str) -> str | None:
        return None if name in ("xcb-cursor", "xcb-icccm") else "/usr/lib/lib.so"

    problem = start_problem({"DISPLAY": ":0"}, "linux", missing_two)
    assert problem and problem.endswith("sudo apt-get install libxcb-cursor0 libxcb-icccm4")


def test_other_platforms_and_chosen_plugins_are_left_to_qt():
    def nothing(_name: str) -> None:
        return None

    assert start_problem({}, "win32", nothing) is None
    assert start_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux", nothing) is None
    assert start_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux", nothing) is None
    assert start_problem({"QT_QPA_PLATFORM": "xcb"}, "linux", nothing) is not None
