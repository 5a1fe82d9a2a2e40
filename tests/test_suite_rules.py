"""The test suite's own rules: what many test modules share lives once, in tests/helpers.py and its
siblings (routes.py, bulk.py, pages.py...) or as a fixture in conftest.py; a test module imports
neither another test module nor conftest (pytest loads conftest itself, and a test module imported
as a library runs its fixtures and parametrizations twice)."""

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def modules():
    return sorted(TESTS.glob("*.py"))


def imported(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def test_no_test_module_imports_another_test_module_or_conftest():
    offenders = [
        f"{path.name} imports {module}"
        for path in modules()
        for module in imported(ast.parse(path.read_text()))
        if module.startswith(("tests.test_", "tests.conftest"))
    ]
    assert offenders == []


def test_no_helper_is_written_twice():
    """A module-level function or table with the same code in two modules is a copy: one of them
    belongs in tests/helpers.py (or conftest.py, for a fixture)."""
    seen = {}
    copies = []
    for path in modules():
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("test_"):
                code = [
                    statement
                    for statement in node.body
                    if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant))
                ]
                key = ast.dump(node.args) + "".join(ast.dump(statement) for statement in code)
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
                key = ast.dump(node)
            else:
                continue
            where = f"{path.name}:{getattr(node, 'name', None) or ast.unparse(node.targets[0])}"
            if key in seen:
                copies.append((seen[key], where))
            seen.setdefault(key, where)
    assert copies == []
