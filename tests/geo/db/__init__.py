"""Tests of the PostgreSQL/PostGIS backend (geo/db), against a throwaway cluster the tests start."""
