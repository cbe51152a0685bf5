"""Who may import whom, read from the source with `ast` (imports inside functions count too):

- the domain packages (accounts, annotations, datasets, sharing, policy, storage) never import the HTTP edge
  (`voxelhub.api`) or the pages (`voxelhub.web`): services do the work, and the edges depend on them;
- the pages never import an API route module: what both need is a service (or `voxelhub.urls`);
- no API route module imports another: what two route modules share lives in a service or a schema."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
DOMAINS = ("accounts", "annotations", "datasets", "sharing", "policy", "storage")
ROUTES = "voxelhub.api.routes"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module an import statement names: `from a.b import c` names `a.b` and `a.b.c` (c may be a
    module); relative imports are resolved against `module`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def import_map() -> dict[str, set[str]]:
    return {
        module_name(path): imported(path.read_text(), module_name(path), path.name == "__init__.py")
        for path in sorted((SRC / "voxelhub").rglob("*.py"))
    }


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def violations(modules: dict[str, set[str]], importer: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    found = {}
    for module, names in modules.items():
        if within(module, importer):
            bad = sorted(n for n in names if any(within(n, f) and not within(module, f) for f in forbidden))
            if bad:
                found[module] = bad
    return found


@pytest.fixture(scope="module")
def modules() -> dict[str, set[str]]:
    found = import_map()
    assert len(found) > 100 and "voxelhub.web.pages" in found and f"{ROUTES}.datasets" in found
    return found


def test_the_reader_sees_every_kind_of_import() -> None:
    source = "import voxelhub.api.deps\nfrom voxelhub.api import routes\ndef f():\n    from .. import web\n"
    assert imported(source, "voxelhub.datasets.service") == {
        "voxelhub.api.deps", "voxelhub.api", "voxelhub.api.routes", "voxelhub", "voxelhub.web"}
    assert "voxelhub.api" in imported("from ..api import deps", "voxelhub.sharing", is_package=True)


@pytest.mark.parametrize("domain", DOMAINS)
def test_domain_packages_import_neither_the_api_nor_the_pages(modules: dict[str, set[str]], domain: str) -> None:
    assert violations(modules, f"voxelhub.{domain}", ("voxelhub.api", "voxelhub.web")) == {}


def test_the_pages_import_no_api_route_module(modules: dict[str, set[str]]) -> None:
    assert violations(modules, "voxelhub.web", (ROUTES,)) == {}


def test_no_route_module_imports_another(modules: dict[str, set[str]]) -> None:
    route_modules = [m for m in modules if within(m, ROUTES) and m != ROUTES]
    assert len(route_modules) >= 8
    found = {}
    for module in route_modules:
        others = sorted(n for n in modules[module] if within(n, ROUTES) and n not in (ROUTES, module))
        if others:
            found[module] = others
    assert found == {}
