"""The desktop window: the only part of readinglist that imports PySide6."""
