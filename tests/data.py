"""Test data that both the tests and the benchmark use."""
import uuid


def registration_body(**overrides) -> dict:
    body = {"name": "Şengül Əliyeva", "email": f"sengul.{uuid.uuid4().hex[:8]}@example.org",
            "language": "tr", "answers": {}, "consent": True}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}
