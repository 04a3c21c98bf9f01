"""A runnable stand-in of the Artisan model-serving process: ``python -m sandbox.serving``."""
