"""Starting the window: the Qt application, the one-window-per-library check, and the exit status."""

from __future__ import annotations

import signal
import sys

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from readinglist.app import App, resource
from readinglist.ui.main_window import APP_TITLE, MainWindow
from readinglist.ui.single_instance import SingleInstance

DESKTOP_FILE_NAME = "readinglist"  # resources/readinglist.desktop


def app_icon() -> QIcon:
    # An SVG icon: Qt draws it at whatever size and scale the screen asks for, sharp on high-DPI screens.
    return QIcon(str(resource("readinglist.svg")))


def application() -> QApplication:
    """The one QApplication of the process (pytest-qt's, when it made one first)."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    # Fractional scale factors (125%, 150%) as the screen has them, instead of rounding to 1x or 2x.
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    qapp = QApplication(sys.argv[:1] or ["readinglist"])
    qapp.setApplicationName("readinglist")
    qapp.setApplicationDisplayName(APP_TITLE)
    qapp.setDesktopFileName(DESKTOP_FILE_NAME)
    qapp.setWindowIcon(app_icon())
    return qapp


def run_window(app: App, *, sample: bool = False, paper: str | None = None) -> int:
    """Open the window on `app`'s library and run until it closes. 0 when all went well, 1 when the library
    could not be opened (the user was told why in a message box). `sample`: fill an empty library with the
    bundled sample papers, on the window's library thread. `paper`: show this paper (a readinglist://paper/KEY link
    from the digest), in the window already open if there is one."""
    qapp = application()
    instance = SingleInstance(app.data_dir)
    if instance.ask_running_window(paper):
        print(
            f"readinglist: the window for {app.data_dir} is already open; it was brought to the front", file=sys.stderr
        )
        return 0
    instance.listen()

    windows: list[MainWindow] = []
    failures: list[str] = []

    def open_window() -> None:
        window = MainWindow(app, icon=app_icon(), load_sample=sample)
        instance.activated.connect(window.bring_to_front)
        instance.open_paper.connect(window.open_paper)
        if paper:
            window.open_paper(paper)
        window.fatal_error.connect(lambda message, w=window: fatal(w, message))
        windows.append(window)
        window.show()

    def fatal(window: MainWindow, message: str) -> None:
        # Retry: whatever stood in the way (a full disk, a backup being restored by hand) may be gone now.
        answer = QMessageBox.critical(
            window,
            APP_TITLE,
            f"The library could not be opened.\n\n{message}",
            QMessageBox.StandardButton.Retry | QMessageBox.StandardButton.Close,
            QMessageBox.StandardButton.Retry,
        )
        if answer == QMessageBox.StandardButton.Retry:
            open_window()  # first: closing the last window would end the application
        else:
            failures.append(message)
        window.close()

    open_window()
    # Ctrl+C in the terminal closes the window properly (saving), instead of being ignored until an event.
    signal.signal(signal.SIGINT, lambda *_: windows[-1].close())
    heartbeat = QTimer(interval=300)
    heartbeat.timeout.connect(lambda: None)  # lets Python run its signal handlers while Qt waits
    heartbeat.start()
    try:
        status = qapp.exec()
    finally:
        heartbeat.stop()
        instance.close()
        signal.signal(signal.SIGINT, signal.default_int_handler)
    return 1 if failures else status
