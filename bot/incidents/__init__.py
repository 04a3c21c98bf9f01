"""Incidents: the lifecycle, the timeline, chasing and the guide's Python API (SPEC §4)."""
