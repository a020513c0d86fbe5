"""Email: composing the localised messages and the transports that send them."""
