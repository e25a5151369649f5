from flask import Blueprint

blueprint = Blueprint("api", __name__)

from portal.api import assessments, imports, openapi  # noqa: E402,F401  (routes register)
