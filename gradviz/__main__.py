"""``python -m gradviz`` is the ``gradviz`` command."""

from .cli import main

raise SystemExit(main())
