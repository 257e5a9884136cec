"""Shared fixtures. Real parts only: one local Ray, one throwaway PostgreSQL for the session."""

from __future__ import annotations

import pytest

from tests.postgres_cluster import HOW_TO_ENABLE, ThrowawayCluster, server_bindir

POSTGRES_SKIP = "PostgreSQL tests skipped"


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


@pytest.fixture(scope="session")
def postgres_cluster():
    """A throwaway PostgreSQL server for the whole session (skipped, saying how to enable it,
    where the server binaries are not installed)."""
    if server_bindir() is None:
        pytest.skip(f"{POSTGRES_SKIP}: no server binaries; {HOW_TO_ENABLE}")
    with ThrowawayCluster.start() as cluster:
        yield cluster


@pytest.fixture()
def postgres_url(postgres_cluster) -> str:
    """A store URL of a fresh, empty schema of the session's server."""
    return postgres_cluster.new_schema_url()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Say in one line, at the end, that the PostgreSQL tests did not run and how to run them."""
    skipped = [r for r in terminalreporter.stats.get("skipped", [])
               if POSTGRES_SKIP in str(getattr(r, "longrepr", ""))]
    if skipped:
        terminalreporter.write_line(
            f"{POSTGRES_SKIP} ({len(skipped)}): no PostgreSQL server binaries on this machine; "
            f"to run them, {HOW_TO_ENABLE}.", yellow=True, bold=True)
