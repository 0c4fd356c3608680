"""Hypothesis sweeps in two sizes: a short one in the fast tier, the full one in the full suite.

A sweep test takes the number of examples as its ``examples`` parameter and runs an inner
``@given`` function with it::

    @two_sizes(3000)
    def test_a_property(examples):
        @settings(max_examples=examples, deadline=None)
        @given(st.text())
        def holds(text): ...

        holds()
"""

import pytest

#: Examples of each sweep in the fast tier (``-m "not slow"``).
QUICK = 200


def two_sizes(full: int) -> pytest.MarkDecorator:
    """Run the sweep with :data:`QUICK` examples, and with ``full`` examples marked slow."""
    return pytest.mark.parametrize("examples", [pytest.param(QUICK, id="quick"),
                                                pytest.param(full, id="full", marks=pytest.mark.slow)])
