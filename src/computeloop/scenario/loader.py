"""Reading scenario files: YAML in, validated :class:`Scenario` out, clear errors otherwise."""

from __future__ import annotations

import re
import types
import typing
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from computeloop.errors import Problem, ScenarioError, UnknownScenarioError
from computeloop.scenario.model import Scenario

DEFAULT_NAME = "openai-2025-10"
_EMBEDDED = {DEFAULT_NAME: "openai-2025-10.yaml"}
MAX_FILE_BYTES = 5_000_000


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys and reads ``1e9`` as a float (YAML 1.2)."""


def _no_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        mark = key_node.start_mark
        if not isinstance(key_node, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value, not a list or mapping", mark
            )
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (line {mark.line + 1})", mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)
# Dates stay text for the schema to parse, so a bad date gets a located error.
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\d[\d_]*)?(?:\.\d*)?[eE][-+]?\d+$"),
    list("-+0123456789."),
)


def read_yaml(text: str, source: str) -> Any:
    """Parse YAML text, turning syntax errors into a :class:`ScenarioError`."""
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        raise ScenarioError([_yaml_problem(exc)], source) from None


def _yaml_problem(exc: yaml.YAMLError) -> Problem:
    """One line for a YAML error: where it is and what is wrong."""
    if isinstance(exc, yaml.reader.ReaderError):
        char = exc.character  # an int code point, or a str, by PyYAML version
        point = ord(char) if isinstance(char, str) else int(char)
        code = f" (#x{point:04x})"
        return Problem(f"character {exc.position}", f"invalid YAML: {exc.reason}{code}")
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(exc, "problem", None) or str(exc)
    return Problem(where, f"invalid YAML: {' '.join(str(problem).split())}")


def parse_scenario(data: Any, source: str | None = None) -> Scenario:
    """Validate plain data (as read from YAML) into a :class:`Scenario`.

    >>> try:
    ...     parse_scenario({"entities": []}, "x.yaml")
    ... except ScenarioError as exc:
    ...     print(exc)
    entities: exactly one entity of kind 'lab' is supported, got 0 (x.yaml)
    """
    if data is None:
        raise ScenarioError([Problem("", "the scenario is empty")], source)
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise ScenarioError(
            [
                Problem(
                    "", f"must be a mapping of sections (meta, entities, deals, ...), got {kind}"
                )
            ],
            source,
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(err) for err in exc.errors()]
        raise ScenarioError(problems, source) from None
    except ScenarioError as exc:
        raise ScenarioError(exc.problems, source) from None


def load_scenario(path_or_name: str | Path) -> Scenario:
    """Load a scenario file, or an embedded scenario by name.

    >>> load_scenario("openai-2025-10").meta.name
    'openai-2025-10'
    """
    key = str(path_or_name)
    if key in _EMBEDDED:
        return default_scenario() if key == DEFAULT_NAME else _load_embedded(key)
    path = Path(path_or_name)
    if not path.exists():
        raise UnknownScenarioError(
            f"no scenario file {key!r}, and no embedded scenario of that name "
            f"(embedded: {sorted(_EMBEDDED)})"
        )
    if path.is_dir():
        raise UnknownScenarioError(f"{key!r} is a directory, not a scenario file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ScenarioError([Problem("", f"file is larger than {MAX_FILE_BYTES:,} bytes")], key)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioError([Problem("", "not a UTF-8 text file")], key) from None
    except OSError as exc:
        raise UnknownScenarioError(f"cannot read {key!r}: {exc.strerror}") from None
    return parse_scenario(read_yaml(text, key), key)


def embedded_text(name: str = DEFAULT_NAME) -> str:
    """The commented YAML text of an embedded scenario."""
    if name not in _EMBEDDED:
        raise UnknownScenarioError(f"no embedded scenario {name!r}; known: {sorted(_EMBEDDED)}")
    return (
        resources.files("computeloop.scenario")
        .joinpath("data", _EMBEDDED[name])
        .read_text(encoding="utf-8")
    )


@lru_cache(maxsize=4)
def _load_embedded(name: str) -> Scenario:
    return parse_scenario(read_yaml(embedded_text(name), name), name)


def default_scenario() -> Scenario:
    """The embedded default scenario built from the 2025-10-17 article.

    >>> default_scenario().meta.name
    'openai-2025-10'
    """
    return _load_embedded(DEFAULT_NAME)


# --- turning pydantic errors into one line per problem ------------------------------------


def _problem(err: ErrorDetails) -> Problem:
    loc = err["loc"]
    path, model = _render_loc(loc)
    kind = err["type"]
    value = err.get("input")
    if kind == "missing":
        return Problem(path, "required field is missing")
    if kind == "union_tag_invalid":
        ctx = err.get("ctx", {})
        field = str(ctx.get("discriminator", "type")).strip("'")
        return Problem(
            f"{path}.{field}" if path else field,
            f"unknown {field} {ctx.get('tag')!r}; allowed: {ctx.get('expected_tags')}",
        )
    if kind == "union_tag_not_found":
        field = str(err.get("ctx", {}).get("discriminator", "type")).strip("'")
        return Problem(f"{path}.{field}" if path else field, "required field is missing")
    if kind == "invalid_key":
        parent = path.rsplit(".", 1)[0] if "." in path else ""
        return Problem(parent, f"keys must be text, got {_short(loc[-1])}")
    if kind == "extra_forbidden":
        field = str(loc[-1])
        allowed = f"; allowed: {sorted(model.model_fields)}" if model is not None else ""
        return Problem(
            path.rsplit(".", 1)[0] if "." in path else "", f"unknown field {field!r}{allowed}"
        )
    msg = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    # Our own rules over a whole mapping already state the values; don't dump the mapping.
    own_rule_on_record = kind == "value_error" and isinstance(value, dict)
    if "got" not in msg and not own_rule_on_record:
        msg = f"{msg[:1].lower()}{msg[1:]}, got {_short(value)}"
    return Problem(path, msg)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _render_loc(loc: tuple[int | str, ...]) -> tuple[str, type[BaseModel] | None]:
    """Render a pydantic location as ``deals[2].tranches[0].gw``, dropping union tags.

    Also returns the model class holding the last step, so unknown-field errors can list
    what is allowed.
    """
    out = ""
    current: Any = Scenario
    parent: type[BaseModel] | None = None
    for step in loc:
        if isinstance(step, int):
            out += f"[{step}]"
            current = _item_type(current)
            continue
        tagged = _union_member(current, step)
        if tagged is not None:
            current = tagged
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            parent = current
            info = current.model_fields.get(step)
            current = info.annotation if info is not None else None
        else:
            current = None
        out += f".{step}" if out else step
    return out, parent


def _strip(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _members(tp: Any) -> list[Any]:
    tp = _strip(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(tp) for m in _members(a)]
    return [tp]


def _item_type(tp: Any) -> Any:
    for m in _members(tp):
        if typing.get_origin(m) in (list, tuple):
            return typing.get_args(m)[0]
    return None


def _union_member(tp: Any, tag: str) -> Any:
    members = _members(tp)
    if len(members) < 2:
        return None
    for m in members:
        if isinstance(m, type) and issubclass(m, BaseModel):
            for key in ("type", "kind"):
                info = m.model_fields.get(key)
                if info is not None and info.default == tag:
                    return m
    return None
