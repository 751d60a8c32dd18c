"""`python -m readinglist`: the same as the `readinglist` command."""

from readinglist.cli.main import main

raise SystemExit(main())
