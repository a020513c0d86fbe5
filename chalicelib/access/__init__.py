"""API tokens: who is calling, with which role, on which events."""
