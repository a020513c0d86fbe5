"""The HTTP edge: reading requests, writing answers in the spec's error shape, client addresses,
the OpenAPI document."""
