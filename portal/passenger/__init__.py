from flask import Blueprint

blueprint = Blueprint("passenger", __name__)

from portal.passenger import views  # noqa: E402,F401  (routes register on import)
