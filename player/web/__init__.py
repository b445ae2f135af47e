"""The staff web page and HTTP API (docs/web.md).

Public face: `WebServer(config, controller)`; everything else is private to the package.
"""

from player.web.server import WebServer

__all__ = ["WebServer"]
