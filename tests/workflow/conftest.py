"""Workflow tests build and run the real pipeline (minutes): every test under tests/workflow is marked
`workflow`, and the quick configuration is built once per pytest session (the `built` fixture)."""

from __future__ import annotations

from pathlib import Path

import pytest
import smk


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.workflow)


built = smk.built_fixture()
