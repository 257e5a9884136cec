"""The production commands: ``serve`` and ``export``, one module each with ``add_parser``."""
