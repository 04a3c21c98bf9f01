"""Time-driven duties: the scheduler decides when, the domain decides what."""
