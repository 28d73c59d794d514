"""The built-in checks; importing this package registers them (see :mod:`onemap.qc.registry`)."""

from onemap.qc.checks import area, basics, consistency, coverage, domain, lines, logic, topology  # noqa: F401
