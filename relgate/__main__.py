"""``python -m relgate``: the same as the ``relgate`` command."""

from relgate.cli import main

raise SystemExit(main())
