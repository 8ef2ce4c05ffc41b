"""The scenario-file reference, generated from the schema (``python -m computeloop.docs``).

Every field of ``Scenario`` and of the models nested in it, with type, unit, default,
allowed range and description read from the pydantic models. ``--write FILE`` rewrites
the generated section of FILE; ``--check FILE`` exits 1 when that section is stale.

>>> "| `deals[].tranches[].price_hurdle_usd` | number | USD/share |" in reference()
True
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import types
import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from computeloop.errors import ComputeloopError, InputError, OutputError
from computeloop.scenario.entities import Name
from computeloop.scenario.loader import _members as union_members
from computeloop.scenario.model import Scenario
from computeloop.scenario.quantity import Quantity, Range
from computeloop.scenario.timeaxis import Quarter

BEGIN = "<!-- BEGIN GENERATED REFERENCE -->"
END = "<!-- END GENERATED REFERENCE -->"
_NAME = typing.get_args(Name)[1]  # the StringConstraints every entity and deal name obeys
_SIMPLE = {Quarter: "quarter", dt.date: "date", str: "text", bool: "true/false"}

_PREAMBLE = """\
## Field reference

Generated from the schema by `python -m computeloop.docs`; do not edit by hand. *Field*
is the path used in error messages, with `[]` for a list position (`deals[2]`);
*default* applies when the field is left out; *allowed* is checked on loading.

### Numbers

A *number* or *whole number* field takes a bare number (`gw: 1.5`, `35.0e9`) or a
mapping with `value` and at most one provenance key:

- `{value: 35.0e9, fact: SOURCE}`: a reported figure; `SOURCE` is an id from
  `meta.sources` or a URL, optionally followed by `; more text`;
- `{value: 15.0e9, derived: "FORMULA"}`: arithmetic on other figures;
- `{value: 10.0e9, assumption: "WHY", low: 8.0e9, high: 20.0e9}`: an estimate; `low`
  and `high` are required, belong to assumptions only, and must contain `value`;
- `note: "..."` may be added to any of the three.

`{value: 1.5}` alone equals the bare number. The allowed range applies to `value`.

### Uncertain numbers (Monte Carlo)

In a Monte Carlo run (`run --paths N`) a number varies across paths when it has a
distribution, and is drawn once per path:

- `dist: {type: normal, mean: M, sd: S}`; `{type: lognormal, median: M, sigma: S}`;
  `{type: uniform, low: A, high: B}`; `{type: triangular, low: A, mode: C, high: B}`;
  `{type: pert, low: A, mode: C, high: B, lambda: 4}`; `{type: discrete, values: [...],
  weights: [...]}`; `{type: empirical, samples: [...]}`; each may add `min:` and/or
  `max:` to truncate it;
- the analyst's 90% interval, written on the number itself: `{p5: 20e9, p95: 45e9}`
  (a lognormal with those 5th and 95th percentiles; add `shape: normal` for a normal),
  also with optional `min`/`max`;
- an `assumption` with `low` and `high` and no `dist` is uncertain by default: a PERT
  between `low` and `high` with `value` as its mode. `fixed: true` keeps it at `value`.

Without `value`, the distribution's median is the central value used by deterministic
runs. A distribution must stay inside its field's allowed range (truncate it), and
numbers that set a run's structure (GW schedules, whole numbers of quarters, tranche
sizes, the market model's parameters) cannot vary: a `dist` there is refused.

### Quarters, dates and names

- *quarter*: `2026Q3` or `2026-Q3`, or a date, meaning the quarter that holds it.
- *date*: ISO format, `2025-10-17`.
- *name*: NAME_RULE.
  Deals refer to entities, and to other deals, by name.
"""


@dataclass(frozen=True)
class Section:
    """One model documented at one place in the scenario tree."""

    path: str  # e.g. "deals[].tranches[]"; "" for the top level
    model: type[BaseModel]
    tag: str | None = None  # "kind" or "type" when the model is one member of a union


def sections(root: type[BaseModel] = Scenario) -> list[Section]:
    """Every model reachable from ``root``, depth first, each (path, model) once.

    >>> [s.path for s in sections()][:3]
    ['', 'meta', 'time']
    """
    out: list[Section] = []
    for s in _walk(root, "", None):
        if all((s.path, s.model) != (o.path, o.model) for o in out):
            out.append(s)
    return out


def _walk(model: type[BaseModel], path: str, tag: str | None) -> Iterator[Section]:
    yield Section(path, model, tag)
    for name, info in model.model_fields.items():
        yield from _nested(info.annotation, f"{path}.{name}" if path else name)


def _nested(tp: Any, path: str) -> Iterator[Section]:
    members = _members(tp)
    if typing.get_origin(members[0]) is list:
        yield from _nested(typing.get_args(members[0])[0], f"{path}[]")
        return
    models = [m for m in members if _is_model(m)]
    for m in models:
        yield from _walk(m, path, _tag_of(m) if len(models) > 1 else None)


def _members(tp: Any) -> list[Any]:
    """The alternatives of a union, ``None`` dropped, or ``[tp]``; ``Annotated`` stripped."""
    return [m for m in union_members(tp) if m is not type(None)]


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel) and tp is not Quantity


def _tag_of(model: type[BaseModel]) -> str | None:
    return next((t for t in ("kind", "type") if t in model.model_fields), None)


def _metadata(info: FieldInfo) -> list[Any]:
    """Constraints on the field and inside its ``Annotated`` types (also under ``| None``)."""
    found, todo = list(info.metadata), [info.annotation]
    while todo:
        tp = todo.pop()
        if typing.get_origin(tp) is typing.Annotated:
            todo.append(typing.get_args(tp)[0])
            found.extend(typing.get_args(tp)[1:])
        elif typing.get_origin(tp) in (typing.Union, types.UnionType):
            todo.extend(typing.get_args(tp))
    return found


def _ranges(info: FieldInfo) -> list[Range]:
    """The ``Range`` objects inside the field's ``AfterValidator``s."""
    return [m.func for m in _metadata(info) if isinstance(getattr(m, "func", None), Range)]


def type_name(tp: Any, whole: bool = False, unit: str = "") -> str:
    """A reader's name for a field type.

    >>> type_name(list[Quarter]), type_name(dict[str, str])
    ('list of quarter', 'mapping of text to text')
    """
    members = _members(tp)
    if len(members) > 1:
        tag = _tag_of(members[0]) if _is_model(members[0]) else None
        names = " or ".join(type_name(m) for m in members)
        return f"{names} (by `{tag}`)" if tag else names
    tp, origin = members[0], typing.get_origin(members[0])
    if origin in (list, dict):
        args = [type_name(a) for a in typing.get_args(tp)]
        return f"list of {args[0]}" if origin is list else f"mapping of {args[0]} to {args[1]}"
    if origin is typing.Literal:
        return "choice"
    if tp is Quantity:
        return ("whole number" + (f" of {unit}" if unit else "")) if whole else "number"
    return _SIMPLE.get(tp) or str(getattr(tp, "__name__", tp))


def _allowed(info: FieldInfo, meta: list[Any]) -> str:
    tp = _members(info.annotation)[0]
    if typing.get_origin(tp) is typing.Literal:
        return " or ".join(f"`{v}`" for v in typing.get_args(tp))
    if _NAME in meta:
        return "a name"
    parts = [r.describe() for r in _ranges(info)]
    lo = next((m.min_length for m in meta if getattr(m, "min_length", None)), None)
    hi = next((m.max_length for m in meta if getattr(m, "max_length", None)), None)
    if typing.get_origin(tp) is list and lo:
        parts.append(f"at least {lo} item{'s' if lo > 1 else ''}")
    elif lo or hi:
        parts.append(f"{lo or 0} to {hi} characters" if hi else f"at least {lo} characters")
    model_typed = _is_model(tp) or typing.get_origin(tp) is list
    return "; ".join(parts) or ("" if model_typed else "any")


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    d = info.get_default(call_default_factory=True)
    if isinstance(d, Quantity | BaseModel):
        return f"`{d.value:g}`" if isinstance(d, Quantity) else "all defaults"
    if d is None or d in ("", [], {}):
        return "not set" if d is None else "empty"
    return f"`{str(d).lower() if isinstance(d, bool) else d}`"


def _row(section: Section, name: str, info: FieldInfo) -> str:
    extra, meta = info.json_schema_extra, _metadata(info)
    unit = str(extra.get("unit", "")) if isinstance(extra, dict) else ""
    kind = type_name(info.annotation, any(r.integer for r in _ranges(info)), unit)
    kind = "name" if _NAME in meta else kind
    default, allowed, description = _default(info), _allowed(info, meta), info.description
    if name == section.tag:  # the discriminator must be written to pick this member
        default, description = "required", f"selects this {name}"
    path = f"{section.path}.{name}" if section.path else name
    cells = [f"`{path}`", kind, unit, default, allowed, description or ""]
    return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"


def render_section(s: Section) -> str:
    """The heading, summary and field table of one section."""
    where = f"`{s.path}`" if s.path else "Top level"
    if s.tag is not None:
        where += f" with `{s.tag}: {s.model.model_fields[s.tag].default}`"
    lines = [f"### {where} ({s.model.__name__})", ""]
    summary = (s.model.__doc__ or "").strip().split("\n\n")[0]
    if summary:
        lines += [" ".join(summary.replace("``", "`").split()), ""]
    lines += ["| field | type | unit | default | allowed | description |", "|---" * 6 + "|"]
    lines += [_row(s, n, i) for n, i in s.model.model_fields.items()]
    return "\n".join(lines) + "\n"


def reference() -> str:
    """The generated Markdown reference of every scenario field."""
    rule = f"{_NAME.min_length} to {_NAME.max_length} characters matching `{_NAME.pattern}`"
    preamble = _PREAMBLE.replace("NAME_RULE", rule)
    return "\n".join([preamble, *(render_section(s) for s in sections())])


def generated_block() -> str:
    """What belongs between the marker lines: the reference, framed by blank lines."""
    return f"\n{reference()}\n"


def split_markers(text: str, source: str = "<text>") -> tuple[str, str, str]:
    """``text`` cut into (up to and with BEGIN, between the markers, from END on)."""
    lines = text.splitlines(keepends=True)
    begins = [i for i, line in enumerate(lines) if line.strip() == BEGIN]
    ends = [i for i, line in enumerate(lines) if line.strip() == END]
    if len(begins) != 1 or len(ends) != 1 or begins[0] > ends[0]:
        raise InputError(f"{source}: needs one line {BEGIN!r}, then one line {END!r}")
    b, e = begins[0], ends[0]
    return "".join(lines[: b + 1]), "".join(lines[b + 1 : e]), "".join(lines[e:])


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None


def is_up_to_date(path: Path) -> bool:
    """Whether the generated section of the Markdown file at ``path`` matches the schema."""
    return split_markers(_read(path), str(path))[1] == generated_block()


def write_reference(path: Path) -> bool:
    """Rewrite the generated section of ``path`` in place; return whether it changed."""
    text = _read(path)
    head, _, tail = split_markers(text, str(path))
    new = head + generated_block() + tail
    if new == text:
        return False
    try:
        path.write_text(new, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc}") from None
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """Print the reference, or ``--write``/``--check`` a file's generated section."""
    parser = argparse.ArgumentParser(prog="python -m computeloop.docs", description=__doc__)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", type=Path, metavar="FILE", help="rewrite FILE's section")
    group.add_argument("--check", type=Path, metavar="FILE", help="exit 1 if FILE is stale")
    args = parser.parse_args(argv)
    try:
        if args.write is not None:
            changed = write_reference(args.write)
            print(f"{args.write}: {'updated' if changed else 'already up to date'}")
        elif args.check is not None and not is_up_to_date(args.check):
            print(f"{args.check}: generated reference is stale; run `make docs`", file=sys.stderr)
            return 1
        elif args.check is None:
            sys.stdout.write(reference())
    except ComputeloopError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
