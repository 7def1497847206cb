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

from hub.domain.alerts.routing import Routing
from hub.errors import ConfigError, InputError
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
    if not sys.stdin.isatty():
        raise InputError("no terminal to ask the password on: give it with --password-stdin")
    first = getpass.getpass("password: ")
    again = getpass.getpass("again: ")
    if again != first:
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

    # everything the person gave is checked (and the password asked) before the broker is
    try:
        if args.users_command == "add":
            teams = tuple(t.strip() for t in args.teams.split(",") if t.strip())
            check_teams(teams, args.role, settings.routing)
            added = accounts.new_user(args.username, args.name, args.role, teams,
                                      _password(args.password_stdin), now)
        elif args.users_command == "reset":
            password = _password(args.password_stdin)
            accounts.check_password(password)
    except accounts.AccountError as exc:  # a name, role or password as given
        raise InputError(exc.message) from None

    async def run() -> int:
        await prepare_topics(bootstrap, [], settings.app_id, partitions=settings.partitions,
                             replication=settings.topic_replication, changelogs=[USERS])
        directory = await user_directory.read_directory(bootstrap)
        known = directory.all()
        if args.users_command == "list":
            for user in sorted(known.values(), key=lambda u: u.username):
                print(f"{user.username}\t{user.name}\t{user.role}\t{','.join(user.teams)}\t"
                      f"{'enabled' if user.enabled else 'disabled'}")
            return 0
        current = known.get(args.username)
        if args.users_command == "add":
            if current is not None:
                raise ConfigError(f"{args.username} exists: use hub users reset")
            user = added
        elif current is None:
            raise ConfigError(f"no account {args.username!r}")
        elif args.users_command == "disable":
            user = accounts.disable(current, now)
        else:
            user = accounts.reset(current, password, now)
        await directory.store(user)
        print(f"{user.username}: {args.users_command} done")
        return 0

    return asyncio.run(run())


def check_teams(teams: tuple[str, ...], role: str, routing: Routing) -> None:
    """The pages show a person their teams' patients (as routed): a team the routing does not
    have, or no team at all for a role that is not the admin's, is an account that sees
    nothing. With no routing file every patient is the default team's."""
    known = ", ".join(sorted(routing.teams))
    unknown = [t for t in teams if t not in routing.teams]
    if unknown:
        raise ConfigError(f"--teams: no team {unknown[0]!r} in the alert routing (its teams: "
                          f"{known}; HUB_ALERT_ROUTING names the file)")
    if not teams and role != "admin":
        raise ConfigError(f"--teams: a {role} needs one team or more ({known}); only an admin "
                          f"sees every team")
