"""The merchant's console: server-rendered pages (Jinja2 + vendored htmx) on the same FastAPI app as the REST
API, at ``/admin``, reading the same service, metrics and settings.

>>> from shopmind.web import mount_console
>>> app = mount_console(create_app(service, api_settings), web_settings)   # doctest: +SKIP

Modules: :mod:`.app` (mounting), :mod:`.console` (shared state, page registration, guards, rendering),
:mod:`.sessions` (signed cookie sessions and CSRF), :mod:`.routes` (one module per page), :mod:`.imports`
(browser file imports), :mod:`.stats` (overview figures), :mod:`.lookup` (finding users and items),
:mod:`.charts` (SVG charts).
"""

from shopmind.web.app import mount_console
from shopmind.web.console import Console, Page

__all__ = ["Console", "Page", "mount_console"]
