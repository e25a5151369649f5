from flask import Blueprint

blueprint = Blueprint("passenger", __name__)

# Routes register on import.
from portal.passenger import manual_views, status, views  # noqa: E402,F401
