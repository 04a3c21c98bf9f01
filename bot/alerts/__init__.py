"""Alerts from Alertmanager become incidents (and start their runbooks)."""
