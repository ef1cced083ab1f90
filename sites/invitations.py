"""Invitations: an owner invites an email address to a site with a role; the link in the mail carries a
random token, of which only the hash is stored. Accepting it adds the membership, to the signed-in
account whose email it was sent to, or to an account made for it (unless REGISTRATION is closed).

A link works once, until it expires, unless revoked: `invitation_accept` marks it used with an update
that only an unused, unrevoked, unexpired row passes, in the transaction that adds the membership, so
two concurrent acceptances cannot both succeed.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils.timezone import now

from sites.models import Invitation, Membership, Site

MAX_PENDING_PER_SITE = 100


class InvitationError(ValueError):
    """An invitation that cannot be made or used; `code` is stable, `field` names the offending field."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _email(text: str) -> str:
    email = text.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise InvitationError("invalid_field", f"{text[:100]!r} is no email address.", "email") from exc
    return email


def pending(site: Site, moment: datetime) -> list[Invitation]:
    """The site's invitations that can still be accepted, newest first."""
    return list(
        site.invitations.filter(used__isnull=True, revoked__isnull=True, expires__gt=moment).select_related(
            "invited_by"
        )
    )


@transaction.atomic
def invitation_create(*, site: Site, invited_by: User, email: str, role: str) -> tuple[Invitation, str]:
    """Invite the address to the site with the role; return the invitation and its token (shown in the link
    only). An earlier pending invitation of the same address to the site is revoked."""
    email = _email(email)
    if role not in Membership.Role.values:
        raise InvitationError("invalid_field", f"Unknown role {role!r}.", "role")
    if Membership.objects.filter(site=site, user__email__iexact=email, user__is_active=True).exists():
        raise InvitationError("already_member", f"{email} is a member of {site.domain} already.", "email")
    moment = now()
    site.invitations.filter(email=email, used__isnull=True, revoked__isnull=True).update(revoked=moment)
    if len(pending(site, moment)) >= MAX_PENDING_PER_SITE:
        raise InvitationError("too_many_invitations", f"A site has at most {MAX_PENDING_PER_SITE} open invitations.")
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        site=site,
        email=email,
        role=role,
        token_hash=_hash(token),
        invited_by=invited_by,
        expires=moment + timedelta(days=settings.INVITATION_MAX_AGE_DAYS),
    )
    return invitation, token


def invitation_mail(invitation: Invitation, *, link: str) -> None:
    """Send the invitation's link to its address (through EMAIL_URL)."""
    inviter = invitation.invited_by.username if invitation.invited_by else "An owner"
    role = invitation.get_role_display().lower()
    body = (
        f"{inviter} invites you to the analytics of {invitation.site.domain} on Footfall, as {role}.\n\n"
        f"Accept here (the link works once, until {invitation.expires:%Y-%m-%d %H:%M} UTC):\n{link}\n\n"
        "If you did not expect this, ignore this mail."
    )
    send_mail(f"Join {invitation.site.domain} on Footfall", body, None, [invitation.email])


def invitation_for_token(token: str, moment: datetime) -> Invitation:
    """Return the invitation this token opens; InvitationError (code `invitation_invalid`) if none can be used."""
    invitation = Invitation.objects.select_related("site", "invited_by").filter(token_hash=_hash(token)).first()
    if invitation is None or invitation.revoked is not None:
        raise InvitationError("invitation_invalid", "This invitation link is not valid (or was revoked).")
    if invitation.used is not None:
        raise InvitationError("invitation_invalid", "This invitation link was used already.")
    if invitation.expires <= moment:
        raise InvitationError("invitation_invalid", "This invitation link has expired; ask for a new one.")
    return invitation


def _claim(invitation: Invitation, user: User, moment: datetime) -> Membership:
    """Mark the invitation used and add the membership (inside the caller's transaction); a role never drops."""
    claimed = Invitation.objects.filter(
        id=invitation.id, used__isnull=True, revoked__isnull=True, expires__gt=moment
    ).update(used=moment, accepted_by=user)
    if claimed != 1:
        raise InvitationError("invitation_invalid", "This invitation link was used already.")
    membership, created = Membership.objects.get_or_create(
        site=invitation.site, user=user, defaults={"role": invitation.role}
    )
    if not created and invitation.role == Membership.Role.OWNER:
        membership.role = Membership.Role.OWNER
        membership.save(update_fields=["role"])
    return membership


def invitation_accept(*, token: str, user: User) -> Membership:
    """Add the signed-in user to the invitation's site, if the invitation was sent to their email."""
    moment = now()
    with transaction.atomic():
        invitation = invitation_for_token(token, moment)
        if user.email.strip().lower() != invitation.email:
            message = f"This invitation was sent to {invitation.email}; log in with that account to accept it."
            raise InvitationError("wrong_account", message)
        return _claim(invitation, user, moment)


def invitation_accept_new_user(*, token: str, username: str, password: str) -> User:
    """Make an account for the invited address and add it to the site; refused while REGISTRATION is closed."""
    if settings.REGISTRATION == "closed":
        raise InvitationError("registration_closed", "New accounts are closed here; log in to an existing one.")
    moment = now()
    with transaction.atomic():
        invitation = invitation_for_token(token, moment)
        if User.objects.filter(username__iexact=username.strip()).exists():
            raise InvitationError("username_taken", "This username is taken.", "username")
        if User.objects.filter(email__iexact=invitation.email).exists():
            message = f"An account for {invitation.email} exists already: log in to accept."
            raise InvitationError("account_exists", message)
        user = _new_user(username=username, email=invitation.email, password=password)
        _claim(invitation, user, moment)
    return user


def _new_user(*, username: str, email: str, password: str) -> User:
    user = User(username=username.strip(), email=email)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvitationError("invalid_field", " ".join(exc.messages), "password1") from exc
    user.set_password(password)
    user.save()
    return user


def account_create(*, username: str, email: str, password: str) -> User:
    """Make an account by open sign-up (REGISTRATION=open only); it joins no site until invited or it adds one."""
    if settings.REGISTRATION != "open":
        raise InvitationError("registration_closed", "Accounts are made by invitation here.")
    email = _email(email)
    with transaction.atomic():
        if User.objects.filter(username__iexact=username.strip()).exists():
            raise InvitationError("username_taken", "This username is taken.", "username")
        if User.objects.filter(email__iexact=email).exists():
            raise InvitationError("account_exists", f"An account for {email} exists already: log in.", "email")
        return _new_user(username=username, email=email, password=password)


def invitation_revoke(*, site: Site, invitation_id: int) -> bool:
    """Revoke a pending invitation of the site; whether there was one."""
    return bool(
        site.invitations.filter(id=invitation_id, used__isnull=True, revoked__isnull=True).update(revoked=now())
    )
