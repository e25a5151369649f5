from flask import Blueprint

blueprint = Blueprint("reports", __name__)

from portal.reports import views  # noqa: E402,F401  (routes register on import)
