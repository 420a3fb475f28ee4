"""``mailconf serve``: publish autoconfig, Autodiscover and Apple profiles from one account file.

:func:`create_app` is the WSGI application factory (``mailconf.serve:create_app(path)``):
every response is built when the file is loaded (:mod:`.site`), so a request is a lookup
(:mod:`.app`). ``mailconf serve`` (mailconf/commands/serve.py) runs it on waitress with the
access log (:mod:`.accesslog`) and reloads on SIGHUP or a change of the file (:mod:`.watch`).
"""

from __future__ import annotations

from .app import App, Refused, create_app
from .site import Loaded

__all__ = ["App", "Loaded", "Refused", "create_app"]
