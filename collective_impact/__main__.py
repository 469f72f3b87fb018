"""``python -m collective_impact`` runs the command line."""

from collective_impact.cli import main

raise SystemExit(main())
