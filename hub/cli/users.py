"""``hub users``: care-team accounts for the worklist's pages (issue 12). A person gets a role
and teams; the password is read from the terminal (twice) or from stdin, hashed with Argon2id
here, and only the hash is stored (``hub.users``). ``disable`` and ``reset`` end the person's
sessions on every worker."""

from __future__ import annotations

import asyncio
import getpass
import sys
from datetime import UTC, datetime
from typing import Any

from hub.errors import ConfigError
from hub.web.accounts import ROLES


def register(sub: Any) -> None:
    users = sub.add_parser("users", help="care-team accounts for the worklist's pages")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    add = users_sub.add_parser("add", help="a new account")
    add.add_argument("username", help="a-z, 0-9, '.', '_', '-' (2 to 64)")
    add.add_argument("--name", required=True, help="the person's name, as pages show it")
    add.add_argument("--role", required=True,
                     choices=ROLES,
                     help="what the person may see and do (admin: every team)")
    add.add_argument("--teams", default="", help="comma-separated teams (the routing file's)")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of stdin")
    disable = users_sub.add_parser("disable", help="end the account and its sessions")
    disable.add_argument("username", help="the account to end")
    reset = users_sub.add_parser("reset", help="a new password; ends the account's sessions")
    reset.add_argument("username", help="the account to give a new password")
    reset.add_argument("--password-stdin", action="store_true",
                       help="read the password from the first line of stdin")
    users_sub.add_parser("list", help="the accounts: name, role, teams, enabled")
    users.set_defaults(run=_run)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise ConfigError("the two passwords differ")
    return first


def _run(args: Any) -> int:
    from hub.adapters import user_directory
    from hub.adapters.kafka_topics import prepare_topics
    from hub.config import Settings
    from hub.topic_names import USERS
    from hub.web import accounts

    settings = Settings.from_env()
    bootstrap, now = settings.kafka_bootstrap, datetime.now(UTC)

    async def run() -> int:
        await prepare_topics(bootstrap, [], settings.app_id, partitions=settings.partitions,
                             replication=settings.topic_replication, changelogs=[USERS])
        known = await user_directory.read_users(bootstrap)
        if args.users_command == "list":
            for user in sorted(known.values(), key=lambda u: u.username):
                print(f"{user.username}\t{user.name}\t{user.role}\t{','.join(user.teams)}\t"
                      f"{'enabled' if user.enabled else 'disabled'}")
            return 0
        current = known.get(args.username)
        if args.users_command == "add":
            if current is not None:
                raise ConfigError(f"{args.username} exists: use hub users reset")
            teams = tuple(t.strip() for t in args.teams.split(",") if t.strip())
            unknown = [t for t in teams if t not in settings.routing.teams]
            if unknown and settings.routing.teams.keys() != {"care-team"}:
                raise ConfigError(f"--teams: no team {unknown[0]!r} in HUB_ALERT_ROUTING")
            user = accounts.new_user(args.username, args.name, args.role, teams,
                                     _password(args.password_stdin), now)
        elif current is None:
            raise ConfigError(f"no account {args.username!r}")
        elif args.users_command == "disable":
            user = accounts.disable(current, now)
        else:
            user = accounts.reset(current, _password(args.password_stdin), now)
        await user_directory.publish(bootstrap, user)
        print(f"{user.username}: {args.users_command} done")
        return 0

    try:
        return asyncio.run(run())
    except accounts.AccountError as exc:
        raise ConfigError(exc.message) from None
