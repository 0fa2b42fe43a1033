"""``flask api-token create|list|revoke``."""

from __future__ import annotations

import click
from sqlalchemy import select

from ..db import session_scope
from ..models import API_SCOPES, ApiToken, StaffUser
from . import bp
from .tokens import API_ROLES, create_token, revoke_token


@bp.cli.group("api-token")
def api_token():
    """Manage API tokens of staff members."""


@api_token.command("create")
@click.option("--email", required=True, help="The staff member the token acts as.")
@click.option("--name", default="cli", show_default=True, help="A label to tell tokens apart.")
@click.option(
    "--scope",
    type=click.Choice(API_SCOPES),
    default="read",
    show_default=True,
    help="read: GET only; write: also add and change participants and answer help requests.",
)
def create(email: str, name: str, scope: str):
    """Create a token and print it (it is shown only this once)."""
    with session_scope() as session:
        user = session.execute(select(StaffUser).where(StaffUser.email == email.strip().lower())).scalar_one_or_none()
        if user is None:
            raise click.ClickException(f"no staff member {email}")
        if user.role not in API_ROLES:
            raise click.ClickException(f"{email} is a {user.role}; only admins and agents may use the API")
        row, token = create_token(session, user, name, scope)
        click.echo(f"{scope} token {row.id} for {user.email}: {token}")


@api_token.command("list")
def list_tokens():
    """List tokens (id, prefix, owner, label, scope, state, last use)."""
    with session_scope() as session:
        for row, user in session.execute(
            select(ApiToken, StaffUser).join(StaffUser, StaffUser.id == ApiToken.staff_user_id).order_by(ApiToken.id)
        ):
            state = "revoked" if row.revoked_at else "active"
            used = row.last_used_at.isoformat() if row.last_used_at else "never"
            click.echo(f"{row.id}\t{row.prefix}…\t{user.email}\t{row.name}\t{row.scope}\t{state}\tlast used {used}")


@api_token.command("revoke")
@click.option("--id", "token_id", type=int, required=True)
def revoke(token_id: int):
    """Revoke a token by its id."""
    with session_scope() as session:
        row = session.get(ApiToken, token_id)
        if row is None:
            raise click.ClickException(f"no token {token_id}")
        revoke_token(row)
        session.add(row)
    click.echo(f"token {token_id} revoked")
