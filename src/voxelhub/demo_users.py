"""Who the demo is about: its organization, teams and logins (printed by `voxelhub demo`, listed in the README),
and the report the demo builders fill in."""

from __future__ import annotations

from dataclasses import dataclass, field

DEMO_ORG = "demo-lab"
TEAMS = ("Connectomics", "Light sheet")


@dataclass(frozen=True)
class DemoUser:
    email: str
    password: str
    first_name: str
    last_name: str
    role: str
    is_admin: bool = False
    is_dataset_manager: bool = False
    teams: tuple[str, ...] = ()
    manages: tuple[str, ...] = ()


USERS = (
    DemoUser("admin@demo.voxelhub.org", "demo-admin-1", "Ada", "Admin", "admin", is_admin=True),
    DemoUser(
        "manager@demo.voxelhub.org",
        "demo-manager-1",
        "Dana",
        "Manager",
        "dataset manager",
        is_dataset_manager=True,
    ),
    DemoUser(
        "lead@demo.voxelhub.org",
        "demo-lead-1",
        "Theo",
        "Lead",
        "team manager of Connectomics",
        teams=("Connectomics",),
        manages=("Connectomics",),
    ),
    DemoUser(
        "tracer@demo.voxelhub.org",
        "demo-tracer-1",
        "Tara",
        "Tracer",
        "member of Connectomics",
        teams=("Connectomics",),
    ),
    DemoUser(
        "imager@demo.voxelhub.org",
        "demo-imager-1",
        "Ivan",
        "Imager",
        "member of Light sheet",
        teams=("Light sheet",),
    ),
    DemoUser("guest@demo.voxelhub.org", "demo-guest-1", "Gus", "Guest", "member, no team"),
)


@dataclass
class DemoReport:
    base_url: str
    lines: list[str] = field(default_factory=list)

    def render(self) -> str:
        logins = "\n".join(f"  {u.email:<28} {u.password:<16} {u.role}" for u in USERS)
        extra = "\n".join(self.lines)
        return (
            f"Demo organization {DEMO_ORG!r} is ready at {self.base_url}\nLogins:\n{logins}\n{extra}".rstrip()
        )
