"""Incidents: the lifecycle, the timeline, chasing and the guide's Python API.

The rules they follow: docs/guide.md#incident-lifecycle.
"""
