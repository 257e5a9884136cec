"""Example action catalogs shipped with the package (read with ``importlib.resources``)."""
