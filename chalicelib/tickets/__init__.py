"""Tickets: signed secrets, their keys, the QR image and the calendar file."""
