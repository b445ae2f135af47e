"""Print the staff web page's access token (creating it if it does not exist yet).

Staff type it into the page's login form once per browser; scripts send it as
'Authorization: Bearer <token>'. The token lives in <data_dir>/web-token (mode 0600) or in
web.token_file. To change it, delete the file and restart the daemon.
"""

from __future__ import annotations

import argparse
import logging
import os
import pwd
from pathlib import Path

from player.config import SERVICE_USER, load_config

log = logging.getLogger(__name__)

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

    token = load_or_create_token(config.token_path)
    give_to_service_user(config.token_path, SERVICE_USER)
    print(token)
    return 0


def give_to_service_user(path: Path, user: str) -> None:
    """Run as root (``sudo session-player station-token`` before the service's first start), the
    token file root just made, mode 0600, would be one the service cannot read: hand it to `user`.

    Only a root-owned token file is changed, never its folder; without `user` nothing changes.
    """
    if os.geteuid() != 0:
        return
    try:
        account = pwd.getpwnam(user)
    except KeyError:          # not installed as a service here: nobody to hand it to
        return
    try:
        if os.stat(path, follow_symlinks=False).st_uid == 0:
            os.chown(path, account.pw_uid, account.pw_gid, follow_symlinks=False)
    except OSError as exc:
        log.warning("token file %s stays root's (%s); the service may not read it", path, exc)
