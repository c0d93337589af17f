"""Scope semantics: OR of AND lists, like Apollo's @requiresScopes, against a reference implementation."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hub.access.policy import DEFAULT_SHARING_POLICY, SharingPolicy, missing_scopes, satisfies
from hub.auth.principal import OrganisationType, Principal
from hub.auth.scopes import SCOPES

scope = st.sampled_from(sorted(SCOPES))
scope_sets = st.frozensets(scope, max_size=4)
requirements = st.lists(st.frozensets(scope, min_size=1, max_size=3), max_size=4).map(tuple)


def reference(requirement: tuple[frozenset[str], ...], granted: frozenset[str]) -> bool:
    """Written the long way round: an empty list is public; else some inner list is wholly granted."""
    if len(requirement) == 0:
        return True
    for alternative in requirement:  # noqa: SIM110 (the reference is written the long way on purpose)
        if all(s in granted for s in alternative):
            return True
    return False


@given(requirements, scope_sets)
def test_or_of_and_matches_the_reference(
    requirement: tuple[frozenset[str], ...], granted: frozenset[str]
) -> None:
    assert satisfies(requirement, granted) == reference(requirement, granted)


@given(requirements, scope_sets, scope_sets)
def test_more_scopes_never_take_access_away(
    requirement: tuple[frozenset[str], ...], granted: frozenset[str], extra: frozenset[str]
) -> None:
    if satisfies(requirement, granted):
        assert satisfies(requirement, granted | extra)


@given(requirements, scope_sets)
def test_missing_scopes_are_exactly_what_each_alternative_lacks(
    requirement: tuple[frozenset[str], ...], granted: frozenset[str]
) -> None:
    missing = missing_scopes(requirement, granted)
    assert len(missing) == len(requirement)
    for alternative, lacking in zip(requirement, missing, strict=True):
        assert set(lacking) == alternative - granted
    if requirement:
        assert satisfies(requirement, granted) == any(not m for m in missing)


@given(scope_sets, st.sampled_from(list(OrganisationType)))
def test_effective_scopes_never_exceed_the_organisation_cap(
    scopes: frozenset[str], org_type: OrganisationType
) -> None:
    principal = Principal(client_id="c", organisation_type=org_type, scopes=scopes)
    effective = SharingPolicy().effective_scopes(principal)
    assert effective <= scopes
    assert effective <= DEFAULT_SHARING_POLICY[org_type]


def test_child_protection_agency_can_never_hold_intelligence_custody_or_health_scopes() -> None:
    principal = Principal(
        client_id="mash",
        organisation_type=OrganisationType.CHILD_PROTECTION_AGENCY,
        scopes=frozenset(SCOPES),
    )
    effective = SharingPolicy().effective_scopes(principal)
    # Watching a child is allowed: what a watch tells is still only what these scopes read.
    assert effective == {"person:match", "person:read", "safeguarding:read", "watch:write"}


def test_a_principal_without_an_organisation_type_gets_nothing() -> None:
    assert SharingPolicy().effective_scopes(Principal(client_id="x", scopes=frozenset(SCOPES))) == frozenset()


def test_policy_overrides_are_validated() -> None:
    policy = SharingPolicy.from_mapping({"child-protection-agency": ["person:match"]})
    assert policy.caps["child-protection-agency"] == {"person:match"}
    try:
        SharingPolicy.from_mapping({"developer": ["everything:please"]})
    except ValueError as exc:
        assert "everything:please" in str(exc)
    else:
        raise AssertionError("an unknown scope in the policy must be refused")
