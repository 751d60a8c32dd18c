"""The window's own settings, kept in the data folder (DATA/window.ini), never in the user's global Qt settings.

A library folder carries its window with it: a second library (`--sample`, `--data-dir`) has its own view,
selection and geometry, and tests on a temporary folder touch nothing in the real home.
"""

from __future__ import annotations

import contextlib
import enum
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt

from readinglist.core.datadir import DataFolder


class MarkReadMode(enum.Enum):
    IMMEDIATELY = "immediately"
    DELAYED = "delayed"
    NEVER = "never"


MARK_READ_DELAY_MS = 3000  # the default; window.ini's reading/mark-read-delay-ms sets another


def mark_read_labels(delay_ms: int) -> dict[MarkReadMode, str]:
    seconds = f"{delay_ms / 1000:g}"
    return {
        MarkReadMode.IMMEDIATELY: "&Immediately",
        MarkReadMode.DELAYED: f"After &{seconds} Second{'' if seconds == '1' else 's'}",
        MarkReadMode.NEVER: "&Never (M marks read)",
    }


class WindowSettings:
    def __init__(self, data_dir: Path) -> None:
        self.path = DataFolder(Path(data_dir)).window_settings
        self._q = QSettings(str(self.path), QSettings.Format.IniFormat)

    def _bytes(self, name: str) -> QByteArray | None:
        value = self._q.value(name)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def _str(self, name: str, default: str = "") -> str:
        value = self._q.value(name, default)
        return value if isinstance(value, str) else default

    def _int(self, name: str, default: int) -> int:
        try:
            value = self._q.value(name, default)
            return int(value) if isinstance(value, (int, str)) else default
        except (TypeError, ValueError):
            return default

    # Qt's own blobs: geometry, splitter positions, column widths and order.
    def geometry(self) -> QByteArray | None:
        return self._bytes("window/geometry")

    def splitter(self, name: str) -> QByteArray | None:
        return self._bytes(f"window/splitter-{name}")

    def header(self) -> QByteArray | None:
        return self._bytes("list/header")

    def selection(self) -> str:
        return self._str("list/view", "view:unread")

    def current_key(self) -> str:
        return self._str("list/current")

    def sort(self) -> tuple[int, Qt.SortOrder]:
        column = self._int("list/sort-column", -1)
        order = Qt.SortOrder.AscendingOrder if self._int("list/sort-order", 1) == 0 else Qt.SortOrder.DescendingOrder
        return column, order

    def mark_read(self) -> MarkReadMode:
        try:
            return MarkReadMode(self._str("reading/mark-read", MarkReadMode.IMMEDIATELY.value))
        except ValueError:
            return MarkReadMode.IMMEDIATELY

    def save_window(self, *, geometry: QByteArray, splitters: dict[str, QByteArray], header: QByteArray) -> None:
        self._q.setValue("window/geometry", geometry)
        for name, state in splitters.items():
            self._q.setValue(f"window/splitter-{name}", state)
        self._q.setValue("list/header", header)

    def save_place(self, *, selection: str, current_key: str | None, sort: tuple[int, Qt.SortOrder]) -> None:
        self._q.setValue("list/view", selection)
        self._q.setValue("list/current", current_key or "")
        self._q.setValue("list/sort-column", sort[0])
        self._q.setValue("list/sort-order", 0 if sort[1] == Qt.SortOrder.AscendingOrder else 1)

    def set_mark_read(self, mode: MarkReadMode) -> None:
        self._q.setValue("reading/mark-read", mode.value)

    def mark_read_delay_ms(self) -> int:
        """How long a paper stays open before "after a delay" marks it read: 0.1 to 60 seconds."""
        return max(100, min(60_000, self._int("reading/mark-read-delay-ms", MARK_READ_DELAY_MS)))

    def set_mark_read_delay_ms(self, delay_ms: int) -> None:
        self._q.setValue("reading/mark-read-delay-ms", int(delay_ms))

    def _bool(self, name: str, default: bool) -> bool:
        value = self._q.value(name, default)
        if isinstance(value, str):
            return value.lower() in ("true", "1", "yes")
        return bool(value)

    def export_notes(self) -> bool:
        return self._bool("export/include-notes", False)

    def set_export_notes(self, on: bool) -> None:
        self._q.setValue("export/include-notes", on)

    def citation_style(self) -> str:
        return self._str("export/citation-style", "apa")

    def set_citation_style(self, style: str) -> None:
        self._q.setValue("export/citation-style", style)

    # The tray icon and notifications (Preferences).
    def tray(self) -> bool:
        return self._bool("desktop/tray", True)

    def set_tray(self, on: bool) -> None:
        self._q.setValue("desktop/tray", on)

    def close_to_tray(self) -> bool:
        return self._bool("desktop/close-to-tray", False)

    def set_close_to_tray(self, on: bool) -> None:
        self._q.setValue("desktop/close-to-tray", on)

    def notifications(self) -> bool:
        return self._bool("desktop/notifications", True)

    def set_notifications(self, on: bool) -> None:
        self._q.setValue("desktop/notifications", on)

    def sync(self) -> None:
        self._q.sync()
        with contextlib.suppress(OSError):
            self.path.chmod(0o600)  # it names papers and views: as private as the library beside it
