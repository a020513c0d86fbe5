"""Registering attendees: parsing a registration (`applicants`), registering and moving it (`registrations`), the waitlist (`waitlist`), the search index (`search`)."""
