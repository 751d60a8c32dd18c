"""The `readinglist` command line."""
