"""``python -m sandbox.serving``: run the serving stand-in (see ``sandbox.serving.standin``)."""

from sandbox.serving.standin import main

raise SystemExit(main())
