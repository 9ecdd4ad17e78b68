"""The rule builder's form: the rule tree as flat form fields and back, and the rows to draw.

Each node has a path: "r" is the root group, "r.0" its first child, "r.0.2" the third child of
that, and so on. Its inputs are named "<path>:<name>" (":t" the node type, ":op"/":neg" for a
group, ":f", ":o", ":v", ":v2", ":vs" and the event settings for a condition). The server parses
them into the JSON rule tree, applies an add/remove action, validates and renders the rows again
(htmx swaps the builder): no JavaScript state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from . import rules as R

PARAM_KEYS = ("last_days", "from", "to", "channel", "product", "category")
_SPLIT = re.compile(r"[,，;；\n]+")


def _path_key(path: str) -> tuple[int, ...]:
    return tuple(int(p) for p in path.split(".")[1:])


def parse(post) -> dict:
    """The rule tree (raw, not validated) from the builder's form fields."""
    paths = sorted(
        (k[:-2] for k in post if k.endswith(":t") and re.fullmatch(r"r(\.\d{1,3}){0,6}", k[:-2])),
        key=_path_key,
    )
    known = R.fields()
    nodes: dict[str, dict] = {}
    root = {"type": "group", "op": "and", "negate": False, "rules": []}
    for path in paths:
        kind = post.get(f"{path}:t")
        if kind == "group":
            node = {
                "type": "group",
                "op": post.get(f"{path}:op", "and"),
                "negate": bool(post.get(f"{path}:neg")),
                "rules": [],
            }
        else:
            node = _condition(post, path, known)
        if path == "r":
            if node["type"] == "group":
                root = node
            nodes["r"] = root
            continue
        parent = nodes.get(path.rsplit(".", 1)[0])
        if parent is None or parent.get("type") != "group":
            continue
        parent["rules"].append(node)
        nodes[path] = node
    return root


def _condition(post, path: str, known: dict[str, R.Field]) -> dict:
    key = post.get(f"{path}:f", "")
    f = known.get(key)
    op = post.get(f"{path}:o", "")
    node: dict[str, Any] = {"type": "condition", "field": key, "operator": op}
    if f is None:
        return node
    changed = post.get(f"{path}:pf", key) != key  # the user picked another field
    if changed or op not in R.OPERATORS[f.type]:
        op = node["operator"] = R.OPERATORS[f.type][0]
    v = "" if changed else post.get(f"{path}:v", "")
    if f.type == R.EVENT:
        node["params"] = {k: post.get(f"{path}:{k}", "") for k in PARAM_KEYS}
        node["params"] = {
            k: x for k, x in node["params"].items() if x not in ("", None) and not changed
        }
        if op == "at_least":
            node["value"] = v or "1"
    elif op in R.NO_VALUE:
        pass
    elif op == "between":
        node["value"] = [v, "" if changed else post.get(f"{path}:v2", "")]
    elif op in ("in", "not_in", "has_any", "has_all", "has_none"):
        if f.choices:
            node["value"] = [x for x in post.getlist(f"{path}:vs") if x and not changed]
        else:
            node["value"] = [x.strip() for x in _SPLIT.split(v) if x.strip()]
    elif f.type == R.CHOICE and changed:
        node["value"] = f.choices[0][0] if f.choices else ""
    else:
        node["value"] = v
    return node


def apply(tree: dict, action: str) -> dict:
    """Add a condition or a group to the group at a path, or remove the node at a path."""
    verb, _sep, path = action.partition(":")
    if not re.fullmatch(r"r(\.\d{1,3}){0,6}", path or ""):
        return tree
    indexes = list(_path_key(path))
    if verb == "remove":
        if not indexes:
            return tree
        parent = _at(tree, indexes[:-1])
        if parent is not None and indexes[-1] < len(parent.get("rules", [])):
            parent["rules"].pop(indexes[-1])
        return tree
    target = _at(tree, indexes)
    if target is None or target.get("type") != "group":
        return tree
    if verb == "add_condition":
        target["rules"].append(
            {"type": "condition", "field": "status", "operator": "eq", "value": "active"}
        )
    elif verb == "add_group":
        target["rules"].append(
            {
                "type": "group",
                "op": "or",
                "negate": False,
                "rules": [
                    {"type": "condition", "field": "status", "operator": "eq", "value": "active"}
                ],
            }
        )
    return tree


def _at(tree: dict, indexes: list[int]) -> dict | None:
    node = tree
    for i in indexes:
        children = node.get("rules") if isinstance(node, dict) else None
        if not isinstance(children, list) or i >= len(children):
            return None
        node = children[i]
    return node


@dataclass
class Row:
    """One node to draw: a group (with its children) or a condition."""

    path: str
    node: dict
    depth: int
    errors: list[str] = dc_field(default_factory=list)
    children: list[Row] = dc_field(default_factory=list)
    field: R.Field | None = None
    operators: list[tuple[str, Any]] = dc_field(default_factory=list)
    widget: str = ""
    values: list[str] = dc_field(default_factory=list)
    value: Any = ""
    value2: Any = ""
    params: dict[str, Any] = dc_field(default_factory=dict)


def rows(tree: dict, errors: dict[str, list[str]], known: dict[str, R.Field]) -> Row:
    return _row(tree, "r", 0, errors, known)


def _errors_for(errors: dict[str, list[str]], path: str) -> list[str]:
    prefix = "rules" + path[1:]
    out = []
    for key, messages in errors.items():
        rest = key[len(prefix) :] if key.startswith(prefix) else None
        if rest is None:
            continue
        if rest == "" or re.fullmatch(
            r"\.(field|operator|value|params|op|negate|type)(\..*)?", rest
        ):
            out.extend(messages)
    return out


def _row(node: dict, path: str, depth: int, errors, known) -> Row:
    row = Row(path=path, node=node, depth=depth, errors=_errors_for(errors, path))
    if node.get("type") == "group":
        row.children = [
            _row(child, f"{path}.{i}", depth + 1, errors, known)
            for i, child in enumerate(node.get("rules", []))
            if isinstance(child, dict)
        ]
        return row
    f = known.get(node.get("field"))
    row.field = f
    if f is None:
        return row
    op = node.get("operator")
    row.operators = [(o, R.OPERATOR_LABELS[o]) for o in R.OPERATORS[f.type]]
    value = node.get("value")
    row.params = node.get("params") or {}
    if f.type == R.EVENT:
        row.widget = "event"
        row.value = value if value not in (None, "") else 1
    elif op in R.NO_VALUE:
        row.widget = ""
    elif op == "between":
        row.widget = "between"
        if isinstance(value, list) and len(value) == 2:
            row.value, row.value2 = value
    elif op in ("in", "not_in", "has_any", "has_all", "has_none"):
        values = value if isinstance(value, list) else []
        if f.choices:
            row.widget = "multi"
            row.values = [str(v) for v in values]
        else:
            row.widget = "list"
            row.value = ", ".join(str(v) for v in values)
    elif f.type == R.CHOICE:
        row.widget = "choice"
        row.value = value
    elif f.type in (R.DATE, R.DATETIME) and op in ("before", "after"):
        row.widget = "date"
        row.value = value
    else:
        row.widget = "number" if f.type in (*R.NUMERIC, R.AGE) or "days" in op else "text"
        row.value = value if value is not None else ""
    return row


def field_groups(known: dict[str, R.Field]) -> list[tuple[Any, list[R.Field]]]:
    groups: dict[str, tuple[Any, list[R.Field]]] = {}
    for f in known.values():
        groups.setdefault(str(f.group), (f.group, []))[1].append(f)
    return list(groups.values())
