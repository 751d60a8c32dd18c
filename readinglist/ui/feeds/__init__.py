"""The feeds dialog and its parts."""
