"""An org admin cannot tell whether an email address is used in another organization: creating a user with
it (or changing a user's email to it) is refused exactly as for an address of the admin's own organization,
and such refusals are limited per admin so that probing a list of addresses goes slowly."""

from __future__ import annotations

import pytest

from tests.factories import build_world, logged_in_client
from voxelhub.accounts import service
from voxelhub.accounts.service import EMAIL_REFUSALS_PER_ADMIN
from voxelhub.db import transaction
from voxelhub.errors import Conflict
from voxelhub.policy import SYSTEM


def _create(admin, email: str):  # type: ignore[no-untyped-def]
    return admin.post("/api/users", json={"email": email, "password": "long enough pw"})


def test_an_email_of_another_org_is_refused_like_one_of_the_own_org(app, session_factory) -> None:
    build_world(session_factory)
    for org, other in (("a", "b"), ("b", "a")):
        admin = logged_in_client(app, f"admin@{org}.org")
        own, elsewhere = _create(admin, f"member@{org}.org"), _create(admin, f"Member@{other}.org ")
        assert own.status_code == elsewhere.status_code == 409
        assert own.json() == elsewhere.json() == {"error": "this email address cannot be used"}
        member_id = next(u["id"] for u in admin.get("/api/users").json() if u["email"] == f"team@{org}.org")
        renamed_own = admin.patch(f"/api/users/{member_id}", json={"email": f"tm@{org}.org"})
        renamed_elsewhere = admin.patch(f"/api/users/{member_id}", json={"email": f"tm@{other}.org"})
        assert renamed_own.status_code == renamed_elsewhere.status_code == 409
        assert renamed_own.json() == renamed_elsewhere.json()
        assert all(u["email"].endswith(f"@{org}.org") for u in admin.get("/api/users").json())
    assert logged_in_client(app, "member@b.org").get("/api/user").json()["organization"] == "org-b"


def test_probing_many_addresses_is_limited_per_admin(app, session_factory) -> None:
    build_world(session_factory)
    admin_a = logged_in_client(app, "admin@a.org")
    for _ in range(EMAIL_REFUSALS_PER_ADMIN):
        assert _create(admin_a, "member@b.org").status_code == 409
    blocked = _create(admin_a, "member@b.org")
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers
    assert _create(admin_a, "fresh@a.org").status_code == 429  # the limit holds for every address
    assert _create(logged_in_client(app, "admin@b.org"), "fresh@b.org").status_code == 201  # per admin


def test_the_command_line_operator_is_told_plainly(session_factory) -> None:
    world = build_world(session_factory)
    with transaction(session_factory) as session:
        with pytest.raises(Conflict, match="already exists"):
            service.create_user(
                session=session,
                actor=SYSTEM,
                organization_id=world.org_ids["a"],
                email="member@b.org",
                password="long enough pw",
            )
