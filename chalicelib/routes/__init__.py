"""Kapı's HTTP routes and event handlers as Chalice blueprints, one per area; `app.py` wires them.

Each handler reads the request, hands the process's tables (`chalicelib.process`) and the request's
values to one domain call, and answers. Rules live in the domain packages, never here.
"""
