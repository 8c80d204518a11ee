"""The test suite, a package so every module has a unique dotted name (``tests.geo.check.test_engine``); see ``tests/conftest.py``."""
