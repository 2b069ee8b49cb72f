"""Property test: whatever a signed request carries, the answer is a well-formed envelope."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from emulator_helpers import raw_request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cmqinfra.emulator import Emulator
from cmqinfra.emulator.params import ACTIONS

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=70),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
member_names = st.sampled_from(sorted({name for spec in ACTIONS.values() for name in spec.members}))
bodies = st.dictionaries(member_names | st.text(max_size=10), json_values, max_size=6)


@pytest.fixture(scope="module")
def shared_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    emu = Emulator.start(Path(tmp_path_factory.mktemp("fuzz")) / "fuzz.sqlite3", rate_limits=False)
    yield emu
    emu.stop()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(action=st.sampled_from(sorted(ACTIONS)), body=bodies)
def test_any_parameters_get_a_well_formed_answer(shared_emulator: Emulator, action: str, body: dict) -> None:
    service = ACTIONS[action].service
    version = "2020-02-17" if service == "tdmq" else "2018-08-13"
    response = raw_request(
        shared_emulator.endpoint, action, json.dumps(body).encode(), service=service, version=version
    )
    assert response.status == 200 and response.content_type == "application/json"
    envelope = response.json()["Response"]
    assert isinstance(envelope["RequestId"], str)
    if "Error" in envelope:
        assert envelope["Error"]["Code"] != "InternalError", envelope
        assert envelope["Error"]["Message"]
