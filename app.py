"""Kapı's Chalice app: the blueprints of each area (`chalicelib/routes/`) wired to one API.

Nothing here decides anything: the routes live in their area's blueprint, the rules in the domain
packages, and the stage's tables are built on the first request (`chalicelib.process`), not at import.
"""
from chalice.app import Chalice

from chalicelib.http.web import BROWSER_IMAGE_ACCEPTS, configure_logging, spec_errors_middleware
from chalicelib.pages import static
from chalicelib.routes.door import door
from chalicelib.routes.organiser import organiser
from chalicelib.routes.pages import pages
from chalicelib.routes.public import public
from chalicelib.routes.tasks import tasks

app = Chalice(app_name="kapi")
# "*/*" first: API Gateway decides binary by the request's first Accept type, and a fetch() or curl
# asks for "*/*"; every answer then leaves the function base64-encoded (chalicelib/http/web.py).
app.api.binary_types.extend(
    t for t in ("*/*", *static.BINARY_TYPES, *BROWSER_IMAGE_ACCEPTS) if t not in app.api.binary_types)
for blueprint in (public, organiser, door, pages, tasks):
    app.register_blueprint(blueprint)
app.register_middleware(spec_errors_middleware(app.routes), "http")
configure_logging()
