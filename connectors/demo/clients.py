"""The demo's clients of the hub: roles a user will recognise, each with the scopes and purposes its
organisation would be given. The demo seeds them into the hub's database; a production hub has none of them
(`hub clients add` makes real ones).
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.auth.clients import ClientStore, DuplicateClient
from hub.auth.principal import OrganisationType

__all__ = ["DEMO_CLIENTS", "DemoClient", "seed_demo_clients"]


@dataclass(frozen=True)
class DemoClient:
    client_id: str
    organisation: str
    organisation_type: OrganisationType
    scopes: tuple[str, ...]
    purposes: tuple[str, ...] | None
    description: str


DEMO_CLIENTS: tuple[DemoClient, ...] = (
    DemoClient(
        "investigator",
        "Northshire Police",
        OrganisationType.POLICE_FORCE,
        (
            "person:match",
            "person:read",
            "markers:read",
            "intel:read",
            "intel:content",
            "custody:read",
            "safeguarding:read",
            "schema:introspect",
            "partners:status",
            "watch:write",
        ),
        None,
        "A partner-force investigator: everything but the audit trail and health markers.",
    ),
    DemoClient(
        "frontline",
        "Southmoor Constabulary",
        OrganisationType.POLICE_FORCE,
        ("person:match", "person:read", "markers:read", "custody:read", "safeguarding:read"),
        ("officer-safety", "investigation", "safeguarding"),
        "A frontline officer: identity, officer-safety markers, custody and safeguarding.",
    ),
    DemoClient(
        "child-protection",
        "Eastvale Council MASH",
        OrganisationType.CHILD_PROTECTION_AGENCY,
        ("person:match", "person:read", "safeguarding:read", "watch:write"),
        ("safeguarding",),
        "A council child-protection (MASH) team: safeguarding facts only.",
    ),
    DemoClient(
        "auditor",
        "Hub Data Protection Office",
        OrganisationType.AUDITOR,
        ("audit:read",),
        ("audit",),
        "An auditor: the audit trail only.",
    ),
    DemoClient(
        "developer",
        "Partner Integration Team",
        OrganisationType.DEVELOPER,
        ("schema:introspect", "partners:status"),
        None,
        "A partner system's developer: schema introspection and partner health, synthetic data only.",
    ),
)


async def seed_demo_clients(store: ClientStore) -> dict[str, str]:
    """Add every demo client (`DEMO_CLIENTS`) that does not exist yet.

    Returns:
        client id -> secret, for the clients made now. The secrets of clients that existed cannot be
        recovered (only their hashes are stored); `hub token --client NAME` needs no secret.
    """
    made: dict[str, str] = {}
    for demo in DEMO_CLIENTS:
        if await store.get(demo.client_id) is not None:
            continue
        try:
            made[demo.client_id] = await store.add(
                demo.client_id,
                demo.organisation,
                demo.organisation_type,
                demo.scopes,
                demo.purposes,
                demo.description,
            )
        except DuplicateClient:  # another process seeded it at the same moment
            continue
    return made
