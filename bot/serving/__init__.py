"""The model-serving process as the domain sees it: a typed async client of its HTTP API.

``bot.serving.client`` holds the HTTP client, ``bot.serving.models`` the typed answers; they
are imported from there, so reading a model's name does not load the HTTP client. The
stand-in of the process (``python -m sandbox.serving``) lives in ``sandbox.serving.standin``
and is not imported here.
"""
