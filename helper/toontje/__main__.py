"""``python -m toontje ...`` runs the same command line as the ``toontje`` script."""

from .cli import main

raise SystemExit(main())
