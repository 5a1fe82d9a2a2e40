"""The layers of the README's "How it is built", read from the code: an app imports only the apps
in the layers below it, and no module imports itself back through others. Function-level imports
count too: a lazy import is still a dependency. Read with ast only, no Django set-up."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The layers, bottom first, as the README's table states them; an app imports only apps of lower
# layers. The flows pages sit above the features: they show the features' parts of shared pages
# (a flow's trend, the list's trend columns), so no feature imports them. "apart" (the sandbox, a
# server the dashboard is a client of) imports nothing of ours and only the project imports it. A
# new app gets its row in the README, and so here.
LAYERS = {
    "core": {"flows_app"},
    "history": {"activity"},
    "background": {"jobs"},
    "features": {"teams", "trends", "deliveries", "sends"},
    "pages": {"flows", "accounts"},
    "project": {"dashboard"},
}
APART = {"sandbox"}


def allowed():
    """Each app and the apps it may import."""
    below, rules = set(), {app: set() for app in APART}
    for apps in LAYERS.values():
        rules |= {app: set(below) for app in apps}
        below |= apps
    rules["dashboard"] |= APART
    return rules


def ours():
    # The project package counts although it is no installed app: no app may import it.
    return {path.parent.name for path in ROOT.glob("*/apps.py")} | {"dashboard"}


def modules():
    """Each of our modules outside migrations (which keep the history as it was), by dotted name."""
    for app in ours():
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"), path


def imports(path):
    """(line, module, [module.name for each name taken from it]) for each absolute import."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module, [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []


def upward_imports():
    """ "path imports module" for each import of an app of a layer not below the importer's."""
    apps, rules, wrong = ours(), allowed(), set()
    for name, path in modules():
        app = name.split(".")[0]
        for _line, module, _names in imports(path):
            top = module.split(".")[0]
            if top in apps and top != app and top not in rules[app]:
                wrong.add(f"{path.relative_to(ROOT)} imports {module}")
    return wrong


def rings(graph):
    """Each ring of modules importing each other (a strongly connected component of two or more,
    Tarjan's), sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            ring = []
            while not ring or ring[-1] != node:
                ring.append(stack.pop())
                on_stack.discard(ring[-1])
            if len(ring) > 1:
                found.append(sorted(ring))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def module_graph():
    known = dict(modules())
    graph = {name: set() for name in known}
    for name, path in known.items():
        for _line, module, names in imports(path):
            # "from jobs import bulk" depends on jobs.bulk (its package only runs first); "from
            # jobs.bulk import run_job" on jobs.bulk.
            submodules = {target for target in names if target in known}
            graph[name] |= (submodules or {module}) & known.keys() - {name}
    return graph


def test_every_app_has_a_layer():
    assert ours() <= allowed().keys(), f"give {sorted(ours() - allowed().keys())} a layer"


def test_apps_import_only_the_layers_below_them():
    assert sorted(upward_imports()) == []


def test_no_module_imports_itself_through_others():
    assert rings(module_graph()) == []


def test_the_ring_finder_sees_a_ring_through_three_modules():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert rings(graph) == [["a", "b", "c"]]


def test_the_readme_states_each_apps_layer():
    table = (ROOT / "README.md").read_text().split("## How it is built", 1)[1].split("\n## ", 1)[0]
    for layer, apps in {**LAYERS, "apart": APART}.items():
        for app in apps & ours():
            assert re.search(rf"^\| `{app}/` \| {layer} \|", table, re.MULTILINE), f"{app}/ is not in {layer}"
