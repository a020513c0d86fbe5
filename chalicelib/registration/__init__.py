"""Registering attendees: reading a registration (`applicants`), registering it (`registering`),
moving it (`moves`), the waitlist (`waitlist`), the use cases the API offers (`actions`), what it
looks like (`views`) and the search index (`search`)."""
