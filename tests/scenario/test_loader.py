"""Loading scenarios: the default, the `init` round trip, quarters, numbers, and bad input.

Every bad input must give a ScenarioError (or, for a path that is no scenario file, an
UnknownScenarioError) whose problems say where (the field path), what was found and what
is allowed: one line per problem, each naming the file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from computeloop import default_scenario, load_scenario, simulate
from computeloop.errors import InputError, ScenarioError, UnknownScenarioError
from computeloop.scenario import Provenance, Quantity, Quarter, TimeAxis
from computeloop.scenario.loader import MAX_FILE_BYTES, read_yaml
from helpers import case

FACT = "article-2025-10-17"


# --- the default scenario ------------------------------------------------------------------


def test_default_scenario_loads_by_name() -> None:
    s = load_scenario("openai-2025-10")
    assert s == default_scenario()
    assert s.meta.name == "openai-2025-10"
    assert s.lab.name == "OpenAI"
    assert [e.name for e in s.entities] == [
        "OpenAI", "NVIDIA", "AMD", "Broadcom", "Oracle", "SoftBank"
    ]  # fmt: skip
    assert [d.name for d in s.deals] == [
        "stargate", "nvidia-10gw", "nvidia-investment", "amd-6gw", "amd-warrant", "broadcom-10gw"
    ]  # fmt: skip
    assert s.time.n == 32
    assert s.deal("amd-6gw").total_gw == pytest.approx(6.0)


def test_default_scenario_quantities_keep_provenance() -> None:
    s = default_scenario()
    chip = s.deal("nvidia-10gw").chip_usd_per_gw
    assert chip.value == 35e9
    assert chip.provenance is not None
    assert (chip.provenance.kind, chip.provenance.text) == ("fact", FACT)
    paths = dict(s.quantities())
    assert paths["deals[1].schedule[0].gw"].value == 1.0
    assert paths["physical.pue"].provenance == Provenance(
        kind="assumption",
        text="typical for new liquid-cooled AI halls; facility power / IT power",
        low=1.1,
        high=1.5,
    )


def test_init_file_loads_back_to_the_default(cli, tmp_path: Path) -> None:
    result = cli("init", tmp_path)
    assert result.exit_code == 0, result.output
    loaded = load_scenario(tmp_path / "openai-2025-10.yaml")
    assert loaded == default_scenario()
    assert loaded.content_hash() == default_scenario().content_hash()


def test_a_dumped_copy_of_the_default_loads_equal(write_scenario) -> None:
    # Also checks the conftest helper: without edits it must change nothing.
    loaded = load_scenario(write_scenario())
    assert loaded == default_scenario()
    assert loaded.content_hash() == default_scenario().content_hash()


def test_content_hash_changes_with_any_figure(write_scenario) -> None:
    changed = load_scenario(write_scenario({"deals[1].chip_usd_per_gw": 36e9}))
    assert changed.content_hash() != default_scenario().content_hash()


# --- quarters and the time axis -----------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026Q3", "2026Q3"),
        ("2026-Q3", "2026Q3"),
        ("2026q3", "2026Q3"),
        (" 2026 Q3 ", "2026Q3"),
        ("2026-08-15", "2026Q3"),
        ("2026-01-01", "2026Q1"),
        ("2026-12-31", "2026Q4"),
        (dt.date(2025, 10, 17), "2025Q4"),
        (Quarter(2027, 2), "2027Q2"),
    ],
)
def test_quarter_parses(raw: object, expected: str) -> None:
    assert str(Quarter.parse(raw)) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("2026Q5", "like '2026Q3'"),
        ("2026Q0", "like '2026Q3'"),
        ("Q3 2026", "like '2026Q3'"),
        ("2026-13-01", "like '2026Q3'"),
        ("", "like '2026Q3'"),
        (2026, "got 2026"),
        ("3000Q1", "between 1900 and 2200, got 3000"),
    ],
)
def test_quarter_rejects(raw: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Quarter.parse(raw)


def test_quarter_arithmetic_and_order() -> None:
    q = Quarter.parse("2026Q3")
    assert q + 2 == Quarter(2027, 1)
    assert q + (-3) == Quarter(2025, 4)
    assert Quarter(2027, 1) - q == 2
    assert Quarter(2025, 4) < q < Quarter(2026, 4)
    assert {q, Quarter(2026, 3)} == {q}
    assert repr(q) == "Quarter('2026Q3')"


def test_time_axis() -> None:
    axis = TimeAxis.model_validate({"start": "2025Q1", "end": "2025-12-31"})
    assert axis.n == 4
    assert axis.labels() == ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
    assert axis.index(Quarter(2025, 3)) == 2
    assert axis.index(Quarter(2024, 4)) == -1
    assert axis.contains(Quarter(2025, 4))
    assert not axis.contains(Quarter(2026, 1))


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026Q1", "2025Q4", "end 2025Q4 is before start 2026Q1"),
        ("1900Q1", "2200Q4", "at most 400 quarters, got 1204"),
    ],
)
def test_time_axis_rejects(start: str, end: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        TimeAxis.model_validate({"start": start, "end": end})


# --- numbers with provenance --------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value", "provenance"),
    [
        (4.3e9, 4.3e9, None),
        (4, 4.0, None),
        ({"value": 2}, 2.0, None),
        ({"value": 4.3e9, "fact": FACT}, 4.3e9, ("fact", FACT, None, None)),
        ({"value": 10e9, "derived": "100e9 / 10"}, 10e9, ("derived", "100e9 / 10", None, None)),
        (
            {"value": 10e9, "assumption": "undisclosed", "low": 8e9, "high": 20e9},
            10e9,
            ("assumption", "undisclosed", 8e9, 20e9),
        ),
        ({"value": 1, "assumption": "x", "low": 1, "high": 1}, 1.0, ("assumption", "x", 1, 1)),
    ],
)
def test_quantity_forms(raw: object, value: float, provenance: tuple[object, ...] | None) -> None:
    q = Quantity.model_validate(raw)
    assert q.value == value
    assert isinstance(q.value, float)
    p = q.provenance
    assert (None if p is None else (p.kind, p.text, p.low, p.high)) == provenance
    assert Quantity.model_validate(q.to_yaml()) == q


def test_quantity_note_round_trips() -> None:
    q = Quantity.model_validate({"value": 2.0, "fact": FACT, "note": "about 2 GW"})
    assert q.provenance is not None and q.provenance.note == "about 2 GW"
    assert q.to_yaml() == {"value": 2.0, "fact": FACT, "note": "about 2 GW"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1e9", 1e9),
        ("35e9", 35e9),
        ("-2.5E-3", -2.5e-3),
        ("+1e3", 1e3),
        ("1.5e+9", 1.5e9),
        (".5e3", 500.0),
        ("10.8e9", 10.8e9),
    ],
)
def test_yaml_exponent_numbers_are_floats(text: str, expected: float) -> None:
    value = read_yaml(f"x: {text}", "t.yaml")["x"]
    assert isinstance(value, float)
    assert value == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("10", 10), ("'1e9'", "1e9"), ("e9", "e9"), ("2026Q3", "2026Q3"), ("1e", "1e")],
)
def test_yaml_other_scalars_keep_their_type(text: str, expected: object) -> None:
    value = read_yaml(f"x: {text}", "t.yaml")["x"]
    assert value == expected
    assert type(value) is type(expected)


def test_exponent_written_value_loads_as_that_number(write_scenario, default_yaml: str) -> None:
    text = default_yaml.replace("chip_usd_per_gw: {value: 35.0e9", "chip_usd_per_gw: {value: 35e9")
    assert text != default_yaml
    s = load_scenario(write_scenario(text=text))
    assert s.deal("nvidia-10gw").chip_usd_per_gw.value == 35e9


# --- bad input: one problem, located, with the bad value and the rule ----------------------


def _two_labs(data: dict[str, Any]) -> None:
    data["entities"].append({**data["entities"][0], "name": "Anthropic"})


def _unknown_fact(value: float) -> dict[str, object]:
    return {"value": value, "fact": "no-such-source"}


def _range(value: float, low: float, high: float) -> dict[str, object]:
    return {"value": value, "assumption": "why", "low": low, "high": high}


_KNOWN_ENTITY = "known: ['AMD', 'Broadcom', 'NVIDIA', 'OpenAI', 'Oracle', 'SoftBank']"
_UNKNOWN_SOURCE = ("'no-such-source'", "meta.sources", f"'{FACT}'")

EDIT_CASES = [
    # negative, zero and out-of-range numbers
    case("negative GW", {"deals[3].schedule[0].gw": -1.0},
         "deals[3].schedule[0].gw", ["must be > 0", "got -1"]),
    case("zero GW with provenance", {"deals[1].schedule[0].gw": {"value": 0, "fact": FACT}},
         "deals[1].schedule[0].gw", ["must be > 0", "got 0"]),
    case("negative cash", {"entities[0].cash_usd": -5},
         "entities[0].cash_usd", ["must be >= 0", "got -5"]),
    case("fraction above 1", {"entities[1].gross_margin": 1.5},
         "entities[1].gross_margin", [">= 0 and <= 1", "got 1.5"]),
    case("fractional quarters", {"deals[1].lead_time_quarters": 2.5},
         "deals[1].lead_time_quarters", ["whole number", "got 2.5"]),
    case("NaN", {"physical.pue": float("nan")}, "physical.pue", ["finite", "got nan"]),
    case(
        "infinity", {"physical.pue": float("inf")}, "physical.pue", ["finite", "inf"],
    ),
    # wrong types
    case("impossible date", {"deals[0].announced": "2025-13-01"},
         "deals[0].announced", ["month", "'2025-13-01'"]),
    case("text for a number", {"deals[1].schedule[2].gw": "lots"},
         "deals[1].schedule[2].gw", ["must be a number", "'lots'"]),
    case("exponent text in quotes", {"deals[1].chip_usd_per_gw": "35e9"},
         "deals[1].chip_usd_per_gw", ["must be a number", "'35e9'"]),
    case("boolean for a number", {"entities[0].cash_usd": True},
         "entities[0].cash_usd", ["must be a number", "True"]),
    case("number for a name", {"meta.name": 5}, "meta.name", ["valid string", "got 5"]),
    case("mapping for a list", {"entities": {"a": 1}}, "entities", ["valid list", "{'a': 1}"]),
    case("null list item", {"deals[1].schedule[0]": None}, "deals[1].schedule[0]", ["got None"]),
    case("empty schedule", {"deals[1].schedule": []}, "deals[1].schedule", ["at least 1 item"]),
    case("unknown policy", {"policy.on_shortfall": "panic"},
         "policy.on_shortfall", ["'defer' or 'cancel'", "'panic'"]),
    case("impossible date", {"deals[1].announced": "2025-13-01"},
         "deals[1].announced", ["valid date", "'2025-13-01'"]),
    case("bad entity name", {"entities[5].name": "1SoftBank"},
         "entities[5].name", ["should match pattern", "'1SoftBank'"]),
    case(
        "unknown deal type", {"deals[1].type": "loan"},
        "deals[1].type", ["'loan'", "'compute_commitment'"],
    ),
    case(
        "unknown entity kind", {"entities[1].kind": "bank"},
        "entities[1].kind", ["'bank'", "'chip_vendor'"],
    ),
    # missing and unknown fields (`...` removes a field)
    case("missing section", {"entities": ...}, "entities", ["required field is missing"]),
    case("missing deal field", {"deals[1].vendor": ...},
         "deals[1].vendor", ["required field is missing"]),
    case("unknown top-level field", {"colour": "red"},
         "", ["unknown field 'colour'", "allowed", "'deals'"]),
    case("unknown deal field", {"deals[1].colour": "red"},
         "deals[1]", ["unknown field 'colour'", "'chip_usd_per_gw'"]),
    case("unknown nested field", {"entities[0].users.colour": "red"},
         "entities[0].users", ["unknown field 'colour'", "'weekly_users_start'"]),
    case("unknown key in a number", {"entities[0].cash_usd": {"value": 1, "fact": FACT, "x": 1}},
         "entities[0].cash_usd", ["unknown key(s) ['x']", "'derived'"]),
    # provenance
    case("assumption without range", {"physical.pue": {"value": 1.3, "assumption": "typical"}},
         "physical.pue", ["needs both 'low' and 'high'"]),
    case("assumption outside its range", {"physical.pue": _range(2.0, 1.1, 1.5)},
         "physical.pue", ["value 2 ", "[1.1, 1.5]"]),
    case("range upside down", {"physical.pue": _range(1.3, 1.5, 1.1)},
         "physical.pue", ["low (1.5)", "high (1.1)"]),
    case("range on a fact", {"physical.pue": {"value": 1.3, "fact": FACT, "low": 1, "high": 2}},
         "physical.pue", ["belong to assumptions only"]),
    case("mapping without value", {"physical.pue": {"assumption": "x", "low": 1, "high": 2}},
         "physical.pue", ["needs a 'value'"]),
    case("two provenance kinds", {"physical.pue": {"value": 1.3, "fact": FACT, "derived": "x"}},
         "physical.pue", ["one provenance kind", "['fact', 'derived']"]),
    case("fact with unknown source in a deal", {"deals[1].chip_usd_per_gw": _unknown_fact(35e9)},
         "deals[1].chip_usd_per_gw", _UNKNOWN_SOURCE),
    case("fact with unknown source in a list", {"deals[3].schedule[0].gw": _unknown_fact(1.0)},
         "deals[3].schedule[0].gw", _UNKNOWN_SOURCE),
    case("fact with unknown source in an entity", {"entities[0].users.users_growth_q":
         _unknown_fact(0.25)}, "entities[0].users.users_growth_q", _UNKNOWN_SOURCE),
    case(
        "fact with unknown source in physical", {"physical.pue": _unknown_fact(1.3)},
        "physical.pue", _UNKNOWN_SOURCE,
    ),
    case(
        "fact with unknown source in meta", {"meta.hkd_per_usd": _unknown_fact(7.8)},
        "meta.hkd_per_usd", _UNKNOWN_SOURCE,
    ),
    # references between entities and deals
    case("unknown vendor", {"deals[3].vendor": "Intel"},
         "deals[3].vendor", ["unknown entity 'Intel'", _KNOWN_ENTITY]),
    case("unknown builder", {"deals[0].builders[1].entity": "Microsoft"},
         "deals[0].builders[1].entity", ["unknown entity 'Microsoft'", _KNOWN_ENTITY]),
    case("entity of the wrong kind", {"deals[1].vendor": "Oracle"},
         "deals[1].vendor", ["'Oracle' is a builder", "['chip_vendor']"]),
    case("unknown trigger deal", {"deals[2].trigger_deal": "nope"},
         "deals[2].trigger_deal", ["'nope'", "'nvidia-10gw'"]),
    case("duplicate deal name", {"deals[3].name": "nvidia-10gw"},
         "deals[3].name", ["duplicate deal name 'nvidia-10gw'"]),
    case("duplicate entity name", {"entities[5].name": "Oracle"},
         "entities[5].name", ["duplicate entity name 'Oracle'"]),
    case("two labs", _two_labs, "entities", ["exactly one entity of kind 'lab'", "got 2"]),
    case("no lab", {"entities[0]": ...}, "entities", ["exactly one", "got 0"]),
    case("warrant issuer without share price", {"deals[4].issuer": "Broadcom"},
         "deals[4].issuer", ["'Broadcom'", "share_price_usd > 0"]),
    case("share price without its quarter", {"entities[1].share_price_quarter": ...},
         "entities[1].share_price_quarter", ["required when share_price_usd > 0"]),
    # dates and quarters
    case("quarter outside the axis", {"deals[1].schedule[0].quarter": "2040Q1"},
         "deals[1].schedule[0].quarter", ["2040Q1", "outside the time axis 2025Q1-2032Q4"]),
    case("impossible quarter", {"deals[1].schedule[0].quarter": "2026Q5"},
         "deals[1].schedule[0].quarter", ["like '2026Q3'", "'2026Q5'"]),
    case("year out of range", {"deals[1].schedule[0].quarter": "3000Q1"},
         "deals[1].schedule[0].quarter", ["between 1900 and 2200", "3000"]),
    case("warrant expiring before the axis", {"deals[4].expiry": "2020Q1"},
         "deals[4].expiry", ["2020Q1", "before the time axis starts (2025Q1)"]),
    case("absurd GW in a schedule", {"deals[0].schedule[0].gw": 1e12},
         "deals[0].schedule[0].gw", ["1e+12", "<= 1000"]),
    case("warrant expiring before it was announced", {"deals[4].expiry": "2025Q2"},
         "deals[4].expiry", ["2025Q2", "before the warrant was announced (2025-10-06)"]),
    case("time axis reversed", {"time.start": "2033Q1"}, "time", ["end 2032Q4", "start 2033Q1"]),
    case(
        "committed funding outside the axis",
        {"entities[0].funding.committed[0].quarter": "2040Q1"},
        "entities[0].funding.committed[0].quarter", ["2040Q1", "2025Q1-2032Q4"],
    ),
    case(
        "one-off outside the axis", {"entities[0].costs.one_offs[0].quarter": "2040Q1"},
        "entities[0].costs.one_offs[0].quarter", ["2040Q1", "2025Q1-2032Q4"],
    ),
    # amounts that must agree
    case("binding GW above the schedule", {"deals[3].binding_gw": 7},
         "deals[3].binding_gw", ["<= the scheduled total of 6 GW", "got 7"]),
    case("binding GW as an assumption", {"deals[0].binding_gw": _range(11, 0, 12)},
         "deals[0].binding_gw", ["<= the scheduled total of 10 GW", "got 11"]),
    case(
        "builder shares not summing to 1", {"deals[0].builders[1].share": 0.5},
        "deals[0].builders", ["add up to 1", "1.15"],
    ),
    case(
        "warrant tranches not adding up", {"deals[4].shares": 150e6},
        "deals[4].tranches", ["160,000,000", "150,000,000"],
    ),
    case(
        "lease shorter than a quarter", {"deals[1].lease_quarters": 0},
        "deals[1].lease_quarters", [">= 1", "got 0"],
    ),
]  # fmt: skip


def _assert_one_line_each(exc: ScenarioError, source: str) -> None:
    assert exc.source == source
    lines = str(exc).splitlines()
    assert len(lines) == len(exc.problems)
    for line, problem in zip(lines, exc.problems, strict=True):
        assert "\n" not in problem.message
        assert line.endswith(f"({source})")
        assert "{'name'" not in line, "a problem should name a field, not dump the record"


@pytest.mark.parametrize(("edits", "location", "fragments"), EDIT_CASES)
def test_bad_field_is_reported_where_it_is(
    write_scenario, edits, location: str, fragments: list[str]
) -> None:
    path = write_scenario(edits)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    exc = info.value
    found = {p.location: p.message for p in exc.problems}
    assert location in found, f"no problem at {location!r}: {exc!s}"
    for fragment in fragments:
        assert fragment in found[location]
    _assert_one_line_each(exc, str(path))


def test_every_field_problem_is_reported_at_once(write_scenario) -> None:
    path = write_scenario(
        {"deals[3].schedule[0].gw": -1.0, "entities[1].gross_margin": 2, "physical.pue": "high"}
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert [p.location for p in info.value.problems] == [
        "physical.pue",
        "entities[1].gross_margin",
        "deals[3].schedule[0].gw",
    ]
    _assert_one_line_each(info.value, str(path))


def test_cross_reference_problems_are_reported_together(write_scenario) -> None:
    path = write_scenario({"deals[1].vendor": "Intel", "deals[3].binding_gw": 7})
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert [p.location for p in info.value.problems] == ["deals[1].vendor", "deals[3].binding_gw"]


# --- bad files: syntax, encoding, size, and paths that are not scenario files ---------------


TEXT_CASES = [
    case("empty file", "", "", ["the scenario is empty"]),
    case("only comments", "# nothing here\n", "", ["the scenario is empty"]),
    case("unclosed bracket", "meta: [unclosed\n", "line 2, column 1", ["invalid YAML"]),
    case("tab indentation", "meta:\n\tname: x\n", "line 2, column 1", ["invalid YAML", "'\\t'"]),
    case("top level is a list", "- a\n- b\n", "", ["must be a mapping", "got list"]),
    case("top level is a number", "42\n", "", ["must be a mapping", "int"]),
    case("not UTF-8", b"meta:\n  name: caf\xe9\n", "", ["not a UTF-8 text file"]),
    case(
        "control character", "meta:\n  name: a\x00b\n", "character 15", ["invalid YAML", "#x0000"],
    ),
    case(
        "non-string key", "1: 2\n", "", ["keys must be text", "got 1"],
    ),
    case(
        "list as a key", "? [a, b]\n: 1\n", "line 1, column 3", ["invalid YAML"],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("text", "location", "fragments"), TEXT_CASES)
def test_bad_file_is_reported(write_scenario, text, location: str, fragments: list[str]) -> None:
    path = write_scenario(text=text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    exc = info.value
    assert location in {p.location for p in exc.problems}, str(exc)
    message = next(p.message for p in exc.problems if p.location == location)
    for fragment in fragments:
        assert fragment in message
    _assert_one_line_each(exc, str(path))


def test_duplicate_key_names_the_key_and_line(write_scenario, default_yaml: str) -> None:
    text = default_yaml.replace("\n  pue:", "\n  pue: 1.2\n  pue:", 1)
    line = text.splitlines().index("  pue: 1.2") + 2  # the second 'pue', 1-based
    path = write_scenario(text=text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    [problem] = info.value.problems
    assert problem.location == f"line {line}, column 3"
    assert f"duplicate key 'pue' (line {line})" in problem.message
    _assert_one_line_each(info.value, str(path))


def test_file_over_the_size_limit(write_scenario) -> None:
    path = write_scenario(text="#" * (MAX_FILE_BYTES + 1))
    with pytest.raises(ScenarioError, match=f"larger than {MAX_FILE_BYTES:,} bytes"):
        load_scenario(path)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing.yaml", "no scenario file '{path}', and no embedded scenario of that name"),
        (".", "'{path}' is a directory, not a scenario file"),
    ],
)
def test_path_that_is_no_scenario_file(tmp_path: Path, name: str, message: str) -> None:
    path = tmp_path / name
    with pytest.raises(UnknownScenarioError) as info:
        load_scenario(path)
    assert message.format(path=path) in str(info.value)


# --- bad arguments to the API ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"paths": 100_001}, "paths: must be a whole number from 1 to 100,000, got 100001"),
        ({"paths": 10**12}, "paths: must be a whole number from 1 to 100,000"),
        ({"paths": 0}, "paths: must be a whole number from 1 to 100,000, got 0"),
        ({"paths": -5}, "got -5"),
        ({"paths": 2.5}, "got 2.5"),
        ({"paths": True}, "got True"),
        ({"paths": "10"}, "got '10'"),
        ({"seed": -1}, "seed: must be a non-negative whole number, got -1"),
        ({"seed": 1.5}, "seed: must be a non-negative whole number, got 1.5"),
        ({"seed": False}, "seed: must be a non-negative whole number, got False"),
    ],
)
def test_simulate_rejects_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InputError) as info:
        simulate(default_scenario(), **kwargs)  # type: ignore[arg-type]
    assert message in str(info.value)
