"""Print the nursing station page's access token (creating it if it does not exist yet).

The same kind of token as a chair's page ('session-player web-token'), kept in the station's
own <data_dir>/web-token or web.token_file: give the station its own data_dir.
"""

from __future__ import annotations

import argparse

from player.commands import web_token

NAME = "station-token"
HELP = "print the nursing station page's access token"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    web_token.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    return web_token.run(args)
