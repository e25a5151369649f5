from flask import Blueprint

blueprint = Blueprint("api", __name__)

from portal.api import imports  # noqa: E402,F401  (routes register on import)
