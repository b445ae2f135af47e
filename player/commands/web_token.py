"""Print the staff web page's access token (creating it if it does not exist yet).

Staff type it into the page's login form once per browser; scripts send it as
'Authorization: Bearer <token>'. The token lives in <data_dir>/web-token (mode 0600) or in
web.token_file. To change it, delete the file and restart the daemon.
"""

from __future__ import annotations

import argparse

from player.config import load_config

NAME = "web-token"
HELP = "print the staff web page's access token"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--path", action="store_true", help="print the token file's path instead")


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if args.path:
        print(config.token_path)
        return 0
    from player.http.token import load_or_create_token  # keeps aiohttp out of every CLI start

    print(load_or_create_token(config.token_path))
    return 0
