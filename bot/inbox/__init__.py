"""The inbox: Slack requests stored before their ack, then run by a worker (``job.py``)."""
