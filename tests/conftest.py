"""Shared fixtures. Real parts only: one local Ray for the whole test session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def ray_local():
    """One local Ray (2 CPUs) shared by every test that needs it; shut down at the end."""
    import ray  # a core dependency: a broken install fails here, never skips (imported late
    # only so that runs without a Ray test do not pay for it)

    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                 configure_logging=False)
    yield ray
    ray.shutdown()
