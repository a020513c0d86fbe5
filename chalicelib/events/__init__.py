"""Events: their definitions and lifecycle (`events`), and the sharded seat counters kept beside them (`counters`)."""
