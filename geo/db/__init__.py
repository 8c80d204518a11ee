"""The PostgreSQL/PostGIS backend (issue #11): connections, schema and migrations.

Used when ``PARKMAP_DATABASE_URL`` (:func:`geo.settings.database_url`) is set;
without it parkmap stays embedded (SQLite workspace, GeoPackage layers).

Modules
    :mod:`geo.db.connect`
        URLs, connections and pools (psycopg 3, psycopg-pool); every failure
        is one bilingual :class:`geo.errors.ParkmapError` naming the fix.
    :mod:`geo.db.migrations`
        The schema as versioned steps: tables mirroring the embedded
        workspace, official layers, append-only triggers, the ``parkmap_app``
        role's grants.
    :mod:`geo.db.schema`
        :func:`geo.db.schema.init_db` (create or migrate, refuse a newer
        schema) and :func:`geo.db.schema.status`.
    :mod:`geo.db.layers`
        Official control layers: ``parkmap layers import`` (the embedded
        reader's refusals, then one transaction: a new version and its tiles)
        and ``parkmap layers list``.
    :mod:`geo.db.layer_query`
        A layer version as the rules see a layer: tiles fetched per proposal
        and measured with the in-memory index's code.

Nothing here is imported by the embedded code paths: psycopg is loaded only
when a database is used.
"""
