"""Tests of the model-serving client against the running stand-in."""
