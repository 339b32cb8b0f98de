"""The REST API (FastAPI) over the serving pipeline: see :func:`create_app` and ``shopmind serve``."""

from shopmind.api.app import create_app
from shopmind.api.settings import ApiSettings, parse_api_keys

__all__ = ["ApiSettings", "create_app", "parse_api_keys"]
