"""The layout machinery collapsed on Python's syntax tree: one app, no layout to pick."""

from __future__ import annotations

import ast
import re

from deploy import LAYOUTS
from scripts.skeleton.names import Names, SkeletonError

LAYOUT_NAMES = {"layout", "LAYOUTS", "layout_module"}


def layout_parameters(trees: dict[str, ast.Module]) -> dict[tuple[str, str], int]:
    """Where each top-level function or dataclass, by (file, name), takes its `layout`."""
    found: dict[tuple[str, str], int] = {}
    for path, tree in trees.items():
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                positional = [*node.args.posonlyargs, *node.args.args]
                for position, argument in enumerate(positional):
                    if argument.arg == "layout":
                        found[path, node.name] = position
            elif isinstance(node, ast.ClassDef) and any(
                "dataclass" in ast.unparse(decorator) for decorator in node.decorator_list
            ):
                fields = [item for item in node.body if isinstance(item, ast.AnnAssign)]
                for position, item in enumerate(fields):
                    if isinstance(item.target, ast.Name) and item.target.id == "layout":
                        found[path, node.name] = position
    return found


def module_file(module: str, files: set[str]) -> str | None:
    base = module.replace(".", "/")
    for candidate in (f"{base}.py", f"{base}/__init__.py"):
        if candidate in files:
            return candidate
    return None


def called_definition(path: str, tree: ast.Module, call: ast.Call, files: set[str]):
    """(file, name) of the top-level function or class a call reaches, if this repo defines it."""
    imported: dict[str, str] = {}  # local name -> dotted origin
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                imported[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                imported[local] = alias.name if alias.asname else local
    if isinstance(call.func, ast.Name):
        name = call.func.id
        if name in imported:
            module, _, name = imported[name].rpartition(".")
            target = module_file(module, files)
            return (target, name) if target else None
        return (path, name)
    if isinstance(call.func, ast.Attribute):
        parts = []
        value = call.func.value
        while isinstance(value, ast.Attribute):
            parts.insert(0, value.attr)
            value = value.value
        if not isinstance(value, ast.Name) or value.id not in imported:
            return None
        dotted = ".".join([imported[value.id], *parts])
        target = module_file(dotted, files)
        return (target, call.func.attr) if target else None
    return None


class Source:
    """A module's text with edits keyed on its syntax tree (positions in UTF-8 bytes)."""

    def __init__(self, text: str):
        self.data = text.encode()
        self.line_starts = [0]
        for line in self.data.splitlines(keepends=True):
            self.line_starts.append(self.line_starts[-1] + len(line))
        self.edits: list[tuple[int, int, bytes]] = []

    def start(self, node: ast.AST) -> int:
        return self.line_starts[node.lineno - 1] + node.col_offset

    def end(self, node: ast.AST) -> int:
        return self.line_starts[node.end_lineno - 1] + node.end_col_offset

    def replace(self, node: ast.AST, text: str) -> None:
        self.edits.append((self.start(node), self.end(node), text.encode()))

    def remove_span(self, start: int, end: int) -> None:
        self.edits.append((start, end, b""))

    def segment(self, node: ast.AST) -> str:
        return self.data[self.start(node) : self.end(node)].decode()

    def remove_lines(self, node: ast.AST) -> None:
        """The whole lines a node spans."""
        start = self.line_starts[node.lineno - 1]
        self.edits.append((start, self.line_starts[node.end_lineno], b""))

    def remove_line(self, node: ast.AST) -> None:
        """The whole lines of a statement, with its decorators and the comment just above it."""
        first = node.lineno
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            first = min([first, *(decorator.lineno for decorator in node.decorator_list)])
        while first > 1 and self.line(first - 1).lstrip().startswith(b"#"):
            first -= 1
        self.edits.append((self.line_starts[first - 1], self.line_starts[node.end_lineno], b""))

    def line(self, number: int) -> bytes:
        return self.data[self.line_starts[number - 1] : self.line_starts[number]]

    def remove_item(self, items: list[ast.AST], index: int, closing: int) -> None:
        """One item of a comma-separated list; `closing` is where the list ends."""
        item = items[index]
        start, end = self.start(item), self.end(item)
        following = self.start(items[index + 1]) if index + 1 < len(items) else None
        if following is not None:
            end = following
        elif index > 0:
            start = self.end(items[index - 1])
        else:
            rest = self.data[end:closing]
            end += len(rest) - len(rest.lstrip(b" \t\n,"))
        self.edits.append((start, end, b""))

    def text(self) -> str:
        # The widest edit wins: a removed statement takes the edits inside it along.
        kept: list[tuple[int, int, bytes]] = []
        for edit in sorted(set(self.edits), key=lambda edit: (edit[0], -edit[1])):
            if kept and edit[0] < kept[-1][1]:
                continue
            kept.append(edit)
        data = self.data
        for start, end, new in reversed(kept):
            data = data[:start] + new + data[end:]
        return data.decode()


def argument_spans(node: ast.arguments) -> list[tuple[str, ast.AST, ast.AST]]:
    """(name, first node, last node) of each parameter, in source order."""
    positional = [*node.posonlyargs, *node.args]
    defaults = [None] * (len(positional) - len(node.defaults)) + list(node.defaults)
    spans = [
        (argument.arg, argument, default or argument)
        for argument, default in zip(positional, defaults, strict=True)
    ]
    if node.vararg:
        spans.append((node.vararg.arg, node.vararg, node.vararg))
    for argument, default in zip(node.kwonlyargs, node.kw_defaults, strict=True):
        spans.append((argument.arg, argument, default or argument))
    if node.kwarg:
        spans.append((node.kwarg.arg, node.kwarg, node.kwarg))
    return spans


def callable_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def is_layout_parametrize(decorator: ast.AST) -> bool:
    """`@pytest.mark.parametrize("layout", ...)`."""
    return (
        isinstance(decorator, ast.Call)
        and callable_name(decorator) == "parametrize"
        and bool(decorator.args)
        and isinstance(decorator.args[0], ast.Constant)
        and decorator.args[0].value == "layout"
    )


def collapse_layouts(
    path: str,
    text: str,
    names: Names,
    takes_layout: dict[tuple[str, str], int],
    all_files: set[str],
) -> str:
    """Remove what picks a layout, pass after pass until nothing changes: one app now."""
    # Arguments first, once: a call keeps its other arguments, whatever a later pass finds.
    source = Source(text)
    tree = ast.parse(text)
    files = {file for file, _ in takes_layout} | set(all_files)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            reached = called_definition(path, tree, node, files)
            if reached in takes_layout:
                remove_layout_argument(source, node, takes_layout[reached])
    text = source.text()
    for _ in range(20):
        tree = ast.parse(text)
        source = Source(text)
        layout_arguments(tree, source, names)
        if not source.edits:
            layout_loops(tree, source)
        if not source.edits:
            layout_statements(tree.body, source)
        if not source.edits:
            return text
        text = source.text()
    raise SkeletonError("the layout collapse does not settle")


def layout_arguments(tree: ast.Module, source: Source, names: Names) -> None:
    """Imports, calls, parameters, fixtures and settings that name a layout."""
    aliases = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and is_layout_parametrize(node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "deploy":
            kept = [alias.name for alias in node.names if alias.name not in LAYOUT_NAMES]
            if len(kept) != len(node.names):
                lines = [f"from deploy import {', '.join(kept)}"] if kept else []
                if any(alias.name == "layout_module" for alias in node.names):
                    lines.insert(0, f"import {names.package}")
                if lines:
                    source.replace(node, "\n".join(lines))
                else:
                    source.remove_lines(node)
        elif isinstance(node, ast.Call) and callable_name(node) == "layout_module":
            source.replace(node, names.package)
        elif isinstance(node, ast.Call) and callable_name(node) == "fixture":
            for item in node.keywords:
                if item.arg == "params" and names_a_layout(item.value):
                    items = sorted([*node.args, *node.keywords], key=source.start)
                    source.remove_item(items, items.index(item), source.end(node))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.name in LAYOUT_NAMES or (
                node.name.startswith("test_") and "layout" in node.name and names_a_layout(node)
            ):
                source.remove_line(node)  # the machinery itself, or a test of choosing a layout
                continue
            for decorator in node.decorator_list:
                if is_layout_parametrize(decorator) or (
                    isinstance(decorator, ast.Name) and decorator.id in aliases
                ):
                    source.remove_lines(decorator)
            spans = argument_spans(node.args)
            for index, (name, _, _) in enumerate(spans):
                if name == "layout":
                    remove_parameter(source, spans, index, source.start(node.body[0]))
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                target = getattr(item, "target", None)
                if isinstance(item, ast.AnnAssign) and getattr(target, "id", None) == "layout":
                    source.remove_line(item)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value in {"LAYOUT", "layout"}:
                    start, end = source.start(key), source.end(value)
                    rest = source.data[end:]
                    end += len(rest) - len(rest.lstrip(b" \t,"))
                    source.remove_span(start, end)
        elif isinstance(node, ast.List | ast.Tuple) and duplicate_names(node, names):
            # ["functional_layout_session", "divisional_layout_session"] are one name now.
            seen = set()
            for index, item in enumerate(node.elts):
                if item.value in seen:
                    source.remove_item(node.elts, index, source.end(node))
                seen.add(item.value)
        elif isinstance(node, ast.List):
            # ["serve", "--layout", "functional"]: the option and its value go together.
            for index, item in enumerate(node.elts[:-1]):
                if isinstance(item, ast.Constant) and item.value == "--layout":
                    value = node.elts[index + 1]
                    if index + 2 < len(node.elts):
                        span = source.start(item), source.start(node.elts[index + 2])
                    elif index > 0:  # last: take the comma before it, not a trailing one
                        span = source.end(node.elts[index - 1]), source.end(value)
                    else:
                        span = source.start(item), source.end(value)
                    source.remove_span(*span)
        elif (
            isinstance(node, ast.ListComp)
            and iterates_layouts(node.generators)
            and not names_a_layout(node.elt)
        ):
            # [f(layout) for layout in LAYOUTS] is [f()] once the arguments are gone.
            source.replace(node, f"[{source.segment(node.elt)}]")


def layout_loops(tree: ast.Module, source: Source) -> None:
    """`for layout in LAYOUTS:` runs its body once, for the one app."""
    for node in ast.walk(tree):
        if isinstance(node, ast.For) and iterates_layouts([node]):
            if any(names_a_layout(statement) for statement in node.body):
                continue  # the body's own arguments go first
            start = source.line_starts[node.lineno - 1]
            end = source.line_starts[node.end_lineno]
            body = source.data[source.line_starts[node.body[0].lineno - 1] : end].decode()
            indent = " " * (node.body[0].col_offset - node.col_offset)
            dedented = "".join(line.removeprefix(indent) for line in body.splitlines(keepends=True))
            source.edits.append((start, end, dedented.encode()))


def duplicate_names(node: ast.List | ast.Tuple, names: Names) -> bool:
    """A list of strings naming the app twice, once per layout before the rename."""
    values = [getattr(item, "value", None) for item in node.elts]
    if not all(isinstance(value, str) for value in values):
        return False
    return any(values.count(value) > 1 and names.package in value for value in values)


def layout_statements(body: list[ast.stmt], source: Source) -> bool:
    """Statements left naming a layout go; True when the whole body would go."""
    removed = 0
    for statement in body:
        compound = isinstance(statement, ast.If | ast.For | ast.While | ast.With | ast.Try)
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if layout_statements(statement.body, source):
                source.remove_line(statement)
                removed += 1
            continue
        if compound:
            head = [getattr(statement, "test", None), getattr(statement, "iter", None)]
            head += [getattr(statement, "target", None)]
            head += [item.context_expr for item in getattr(statement, "items", [])]
            if any(part is not None and names_a_layout(part) for part in head):
                source.remove_line(statement)
                removed += 1
                continue
            emptied = layout_statements(statement.body, source)
            if emptied and not getattr(statement, "orelse", None):
                source.remove_line(statement)
                removed += 1
            continue
        if names_a_layout(statement):
            source.remove_line(statement)
            removed += 1
    return bool(body) and removed == len(body)


def is_layout_name(name: str) -> bool:
    return name in LAYOUT_NAMES or bool(re.fullmatch(r"layouts?_\w+|\w+_layouts?", name))


def names_a_layout(node: ast.AST) -> bool:
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and is_layout_name(child.id):
            return True
        if isinstance(child, ast.Attribute) and child.attr == "layout":
            return True
        if isinstance(child, ast.Constant) and re.search(r"\bLAYOUT\b|--layout", str(child.value)):
            return True
    return False


def iterates_layouts(generators: list) -> bool:
    """`for layout in LAYOUTS` or over a tuple of the layouts' names."""
    for generator in generators:
        target, iterable = generator.target, generator.iter
        if not (isinstance(target, ast.Name) and target.id == "layout"):
            continue
        if isinstance(iterable, ast.Name) and iterable.id == "LAYOUTS":
            return True
        if isinstance(iterable, ast.Tuple) and all(
            isinstance(item, ast.Constant) and item.value in LAYOUTS for item in iterable.elts
        ):
            return True
    return False


def remove_parameter(source: Source, spans: list, index: int, closing: int) -> None:
    start, last = source.start(spans[index][1]), spans[index][2]
    if index + 1 < len(spans):
        end = source.start(spans[index + 1][1])
        while source.data[end - 1 : end] == b"*":  # *args, **kwargs: keep their stars
            end -= 1
    elif index > 0:
        start = source.end(spans[index - 1][2])
        end = source.end(last)
    else:
        end = source.end(last)
        rest = source.data[end:closing]
        end += len(rest) - len(rest.lstrip(b" \t\n,"))
    source.remove_span(start, end)


def remove_layout_argument(source: Source, call: ast.Call, position: int) -> None:
    """The argument a call passes to a `layout` parameter, by keyword or at its position."""
    items = sorted([*call.args, *call.keywords], key=source.start)
    for keyword_argument in call.keywords:
        if keyword_argument.arg == "layout":
            source.remove_item(items, items.index(keyword_argument), source.end(call))
            return
    if any(isinstance(argument, ast.Starred) for argument in call.args[: position + 1]):
        return
    if position < len(call.args):
        source.remove_item(items, items.index(call.args[position]), source.end(call))


def drop_unused_imports(text: str) -> str:
    tree = ast.parse(text)
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    source = Source(text)
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            bound = {(alias.asname or alias.name).split(".")[0] for alias in node.names}
            if not bound & used:
                source.remove_lines(node)
    return source.text()


def layout_leftovers(path: str, text: str) -> list[str]:
    """Where a module still names a layout after the collapse: the generator's rules missed it."""
    found = []
    for node in ast.walk(ast.parse(text)):
        name = None
        if isinstance(node, ast.Name) and node.id in LAYOUT_NAMES:
            name = node.id
        elif isinstance(node, ast.Attribute) and node.attr == "layout":
            name = f".{node.attr}"
        elif isinstance(node, ast.arg) and node.arg == "layout":
            name = node.arg
        elif isinstance(node, ast.FunctionDef) and reads_a_missing_param(node):
            name = "request.param, in a fixture no longer parametrised"
        if name:
            found.append(f"{path}:{node.lineno}: {name}")
    return found


def reads_a_missing_param(function: ast.FunctionDef) -> bool:
    """A fixture that reads request.param once its params=LAYOUTS is gone."""
    fixtures = [
        decorator for decorator in function.decorator_list if "fixture" in ast.unparse(decorator)
    ]
    if not fixtures or any(
        isinstance(decorator, ast.Call) and any(k.arg == "params" for k in decorator.keywords)
        for decorator in fixtures
    ):
        return False
    return any(
        isinstance(node, ast.Attribute)
        and node.attr == "param"
        and isinstance(node.value, ast.Name)
        and node.value.id == "request"
        for node in ast.walk(function)
    )
