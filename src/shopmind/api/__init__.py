"""The REST API (FastAPI) over the serving pipeline: see :func:`create_app` and ``shopmind serve``."""

from shopmind.api.app import create_app

__all__ = ["create_app"]
