"""``python -m iam_matrix who-can ACTION`` and ``python -m iam_matrix access USER_OR_ROLE``.

Both compile the stack's matrix once (exit 2 on bad input, as ``plan`` does) and ask the
access model; nothing here talks to AWS.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..cli import (
    EXIT_INVALID,
    EXIT_OK,
    INVALID_HELP,
    add_format_option,
    add_input_options,
    compile_from_args,
    exit_codes,
)
from ..problems import MatrixInvalid
from .model import AccessModel, build_model
from .queries import access_text, who_can, who_can_json, who_can_text


def _model(args: argparse.Namespace) -> AccessModel:
    result = compile_from_args(args)
    if result.state is None:
        raise MatrixInvalid(result.problems)  # cli.main prints them and exits 2
    return build_model(result.state)


def configure_who_can(parser: argparse.ArgumentParser) -> None:
    add_input_options(parser)
    parser.add_argument(
        "action", metavar="ACTION", help="an IAM action such as s3:GetObject; wildcards allowed (iam:Pass*)"
    )
    parser.add_argument(
        "--resource",
        metavar="ARN",
        default=None,
        help="only allows whose Resource covers this ARN (default: any resource)",
    )
    add_format_option(
        parser,
        'text: one line per user; json: {"action", "users": [{"name", "via": [{"role", "policy"}], "conditional"}]}',
    )
    parser.epilog = exit_codes("0  the users are listed (none is also an answer)", INVALID_HELP)


def run_who_can(args: argparse.Namespace) -> int:
    model = _model(args)
    result = who_can(model, args.action, args.resource)
    if args.format == "json":
        sys.stdout.write(who_can_json(result))
    else:
        sys.stdout.write(who_can_text(result))
    return EXIT_OK


def configure_access(parser: argparse.ArgumentParser) -> None:
    add_input_options(parser)
    parser.add_argument(
        "principal", metavar="USER_OR_ROLE", help="a user name from the user matrix or a role (column) name"
    )
    add_format_option(parser, "text: services, risk classes and guardrails; json: the same as one object")
    parser.epilog = exit_codes(
        "0  the access is printed", INVALID_HELP + "; also when the name is neither a user nor a role"
    )


def run_access(args: argparse.Namespace) -> int:
    model = _model(args)
    name = args.principal
    users = {u.lower(): u for u in model.user_names}
    roles = {r.lower(): r for r in model.role_names}
    if name in model.user_names or (name not in model.role_names and name.lower() in users):
        access = model.user(users[name.lower()])
    elif name.lower() in roles:
        access = model.role(roles[name.lower()])
    else:
        print(
            f"{name!r} is neither a user nor a role of stack {args.stack}; "
            "users and roles are the rows and columns of the user matrix",
            file=sys.stderr,
        )
        return EXIT_INVALID
    data = access.to_dict()
    if args.format == "json":
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(access_text(data))
    return EXIT_OK


# what iam_matrix.cli.COMMANDS names this module for: (configure, run)
COMMANDS = {"who-can": (configure_who_can, run_who_can), "access": (configure_access, run_access)}
