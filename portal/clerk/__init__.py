from flask import Blueprint

blueprint = Blueprint("clerk", __name__)

from portal.clerk import views  # noqa: E402,F401  (routes register on import)
