"""The shape of the code, read from the source with `ast` (imports inside functions count too, since that is
where cycles and shortcuts hide):

- no import cycle anywhere in `voxelhub`;
- the annotation engines stay layered: the skeleton engine needs nothing else of `annotations`, NML needs only
  the skeleton engine;
- the domain packages (accounts, annotations, datasets, sharing, policy, storage) never import the HTTP edge
  (`voxelhub.api`) or the pages (`voxelhub.web`): services do the work, and the edges depend on them;
- the pages never import an API route module: what both need is a service (or `voxelhub.urls`);
- no API route module imports another: what two route modules share lives in a service or a schema."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src"
DOMAINS = ("accounts", "annotations", "datasets", "sharing", "policy", "storage")
ROUTES = "voxelhub.api.routes"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in (SOURCE / "voxelhub").rglob("*.py")}


def owning_module(dotted: str) -> str | None:
    """The module of ours a dotted name lives in (`a.b.C` -> `a.b`), None when it is not ours."""
    while dotted and dotted not in MODULES:
        dotted = dotted.rpartition(".")[0]
    return dotted or None


def imported_names(module: str, tree: ast.AST) -> list[str]:
    """Every dotted name an import statement anywhere in the module (functions included) brings in."""
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: climb from our package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from pkg import mod` imports the module `pkg.mod`; `from mod import name` imports `mod`.
            names += [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names
            ]
    return names


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        targets = {owning_module(n) for n in imported_names(module, ast.parse(path.read_text()))}
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            advanced = False
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = len(index)
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(graph[succ]))))
                    advanced = True
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle_through_a_third_module():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_sees_function_local_and_relative_imports(tmp_path):
    tree = ast.parse("def f():\n    from voxelhub.annotations.nml import reader\n    from . import service\n")
    names = imported_names("voxelhub.annotations.exchange", tree)
    assert names == ["voxelhub.annotations.nml.reader", "voxelhub.annotations.service"]


def test_voxelhub_has_no_import_cycle():
    assert cycles(import_graph()) == []


@pytest.mark.parametrize(
    ("engine", "may_use"),
    [
        ("voxelhub.annotations.skeleton", ("voxelhub.annotations.skeleton",)),
        ("voxelhub.annotations.nml", ("voxelhub.annotations.nml", "voxelhub.annotations.skeleton")),
    ],
)
def test_annotation_engines_stay_layered(engine, may_use):
    graph = import_graph()
    crossing = {
        (module, target)
        for module, targets in graph.items()
        if module == engine or module.startswith(engine + ".")
        for target in targets
        if target.startswith("voxelhub.annotations") and not target.startswith(may_use)
    }
    assert crossing == set()


def test_annotations_has_its_engines_as_subpackages():
    packages = {
        m for m, p in MODULES.items() if p.name == "__init__.py" and m.startswith("voxelhub.annotations.")
    }
    assert {
        "voxelhub.annotations.nml",
        "voxelhub.annotations.skeleton",
        "voxelhub.annotations.volume",
    } <= packages
    flat = {m for m in MODULES if m.count(".") == 2 and m.startswith("voxelhub.annotations.")} - packages
    assert len(flat) <= 12, f"annotations/ is becoming a flat pile again: {sorted(flat)}"


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def imports_into(
    graph: dict[str, set[str]], importer: str, forbidden: tuple[str, ...]
) -> dict[str, list[str]]:
    """The modules inside `importer` that import something inside `forbidden` (outside themselves)."""
    found = {}
    for module, targets in graph.items():
        if within(module, importer):
            bad = sorted(t for t in targets if any(within(t, f) and not within(module, f) for f in forbidden))
            if bad:
                found[module] = bad
    return found


def test_the_rules_see_an_edge_import():
    graph = {"voxelhub.datasets.service": {"voxelhub.api.deps"}, "voxelhub.api.deps": set()}
    assert imports_into(graph, "voxelhub.datasets", ("voxelhub.api",)) == {
        "voxelhub.datasets.service": ["voxelhub.api.deps"]
    }


@pytest.mark.parametrize("domain", DOMAINS)
def test_domain_packages_import_neither_the_api_nor_the_pages(domain):
    assert imports_into(import_graph(), f"voxelhub.{domain}", ("voxelhub.api", "voxelhub.web")) == {}


def test_the_pages_import_no_api_route_module():
    assert imports_into(import_graph(), "voxelhub.web", (ROUTES,)) == {}


def test_no_route_module_imports_another():
    graph = import_graph()
    route_modules = [m for m in graph if within(m, ROUTES) and m != ROUTES]
    assert len(route_modules) >= 8
    found = {
        m: sorted(t for t in graph[m] if within(t, ROUTES) and t not in (ROUTES, m)) for m in route_modules
    }
    assert {m: others for m, others in found.items() if others} == {}
