"""What the test suites share besides fixtures: apps, clients, page readers, throwaway servers.

Fixtures live in the conftest files; tests import everything else from here.
"""
