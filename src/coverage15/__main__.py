"""``python -m coverage15`` runs the command line."""

from coverage15.cli import main

if __name__ == "__main__":  # worker processes (spawn, forkserver) import this module too
    raise SystemExit(main())
