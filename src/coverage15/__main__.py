"""``python -m coverage15`` runs the command line."""

from coverage15.cli import main

raise SystemExit(main())
