"""``python -m bot.serving``: run the serving stand-in (see ``bot.serving.standin``)."""

from bot.serving.standin import main

raise SystemExit(main())
