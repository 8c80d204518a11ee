"""The test suite, a package so every module has a unique dotted name (``tests.geo.test_check``); see ``tests/conftest.py``."""
