"""Test helpers that run real processes; importable without pytest."""
