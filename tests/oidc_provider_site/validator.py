"""The test provider's claims (imported by its settings, once Django is set up)."""

from __future__ import annotations

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator

from tests.oidc_provider_site.serve import PEOPLE


class Validator(OAuth2Validator):
    """Every claim, whatever the scopes: email, whether it is verified, and groups."""

    oidc_claim_scope = None

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        email, verified, groups = PEOPLE[request.user.username]
        return {
            "email": email,
            "email_verified": verified,
            "groups": groups,
            "preferred_username": request.user.username,
        }
