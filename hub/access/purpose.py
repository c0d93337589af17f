"""Stated purpose: every operation that reads personal data says why, in two headers.

    Hub-Purpose: investigation          a code from the configured list
    Hub-Justification: Op Kestrel, ...  free text, logged with the consultation

A client may be limited to some purposes (a child-protection agency: safeguarding only). Missing or not
allowed, the operation is refused with PURPOSE_REQUIRED or PURPOSE_NOT_ALLOWED and returns no data.
"""

from __future__ import annotations

from collections.abc import Mapping

from hub.auth.principal import Principal
from hub.errors import PURPOSE_NOT_ALLOWED, PURPOSE_REQUIRED, HubError

__all__ = [
    "DEFAULT_PURPOSES",
    "JUSTIFICATION_HEADER",
    "MAX_JUSTIFICATION_LENGTH",
    "PURPOSE_HEADER",
    "PurposeNotAllowed",
    "PurposeRequired",
    "check_purpose",
]

PURPOSE_HEADER = "Hub-Purpose"
JUSTIFICATION_HEADER = "Hub-Justification"
MAX_JUSTIFICATION_LENGTH = 500

DEFAULT_PURPOSES: Mapping[str, str] = {
    "investigation": "Investigating a crime.",
    "safeguarding": "Protecting a child or vulnerable adult.",
    "officer-safety": "Keeping officers and the public safe at an encounter.",
    "public-protection": "Managing a known risk to the public (MAPPA, sex offender management).",
    "intelligence-development": "Developing intelligence on a person or network.",
    "audit": "Auditing use of the hub.",
}


class PurposeRequired(HubError):
    code = PURPOSE_REQUIRED.name


class PurposeNotAllowed(HubError):
    code = PURPOSE_NOT_ALLOWED.name


def check_purpose(
    principal: Principal, purpose: str | None, justification: str | None, purposes: Mapping[str, str]
) -> tuple[str, str]:
    """The stated (purpose, justification), or the error refusing the operation."""
    purpose = (purpose or "").strip()
    justification = (justification or "").strip()
    if not purpose or not justification:
        raise PurposeRequired(
            f"This operation reads personal data: state why with the {PURPOSE_HEADER} header "
            f"(one of {', '.join(purposes)}) and the {JUSTIFICATION_HEADER} header (free text).",
            purposes=list(purposes),
        )
    if len(justification) > MAX_JUSTIFICATION_LENGTH:
        raise PurposeRequired(
            f"{JUSTIFICATION_HEADER} is {len(justification)} characters long; the most is "
            f"{MAX_JUSTIFICATION_LENGTH}.",
        )
    if purpose not in purposes:
        raise PurposeNotAllowed(
            f"{PURPOSE_HEADER} '{purpose[:40]}' is not a known purpose; use one of {', '.join(purposes)}.",
            purposes=list(purposes),
        )
    if principal.purposes is not None and purpose not in principal.purposes:
        allowed = sorted(principal.purposes)
        raise PurposeNotAllowed(
            f"Client '{principal.client_id}' may not consult for '{purpose}'; its purposes are "
            f"{', '.join(allowed) or 'none'}.",
            purposes=allowed,
        )
    return purpose, justification
