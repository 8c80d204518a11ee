r"""The PostgreSQL schema as versioned steps, the append-only guard and the ``parkmap_app`` role's grants.

:data:`MIGRATIONS` is a list of ``(version, SQL)`` steps; ``parkmap_meta``
records each applied step (one row per version; the schema version is the
highest).  :func:`geo.db.schema.init_db` applies the missing steps in one
transaction and refuses a database whose version is above
:data:`SCHEMA_VERSION`.  A released step is never edited: a change is a new
step.

Tables (version 1)
    ``users``, ``proposals``, ``checks``, ``events``
        The embedded workspace's tables (:data:`geo.audit.TABLES_SQL`), column
        for column, so :func:`geo.audit.row_hash` verifies their rows
        unchanged: the hashed columns keep the embedded store's values and
        types (timestamps as the ISO text with ``+08:00`` that
        :func:`geo.clock.now_iso` writes, JSON as its text, WKB as ``bytea``,
        areas as ``double precision``).  ``events."user"`` must be quoted
        (``user`` is reserved in PostgreSQL).  Typed copies are *generated*
        from them and are not hashed: ``*_ts timestamptz``, ``options``,
        ``inputs``, ``layer_hashes``, ``result``, ``detail`` as ``jsonb``, and
        ``geom geometry(Geometry, 4490)`` (GiST-indexed) from the WKB.  Ids
        are plain ``bigint`` keys, assigned by the appender (previous id + 1,
        as the chain walk expects: a sequence would leave gaps on rollback);
        ``UNIQUE (prev_hash)`` lets no two rows extend the same chain link,
        so two writers racing on one table cannot fork the chain.
    ``layer_versions``
        One row per import of an official layer: ``(layer, version)``, source
        file name and SHA-256, feature count, CRS, importer and role, time.
    ``layer_features``
        The imported features: ``(layer, version)``, the feature's position
        in the source, ``geom geometry(Geometry, 4490)`` (GiST), ``attributes
        jsonb``.  Earlier versions stay, so old checks remain reproducible.
    ``parkmap_meta``
        The applied steps: ``version``, ``applied_at``, ``applied_by``, ``note``.

Append-only, in the database itself
    Every table above has statement-level ``BEFORE UPDATE``, ``BEFORE
    DELETE`` and ``BEFORE TRUNCATE`` triggers (``<table>_no_update`` …, like
    :data:`geo.audit.TRIGGERS`) calling ``parkmap_append_only()``, which
    raises ``<table> are append-only``; they fire for the tables' owner too.
    Only a superuser can get round them (``session_replication_role``), or
    the owner by dropping them, which :func:`geo.db.schema.status` reports.

The role ``parkmap_app``
    A ``NOLOGIN`` role for the app's login user (``GRANT parkmap_app TO
    <login user>``): ``SELECT`` and ``INSERT`` on every table here (and on
    ``parkmap_meta`` ``SELECT`` only), ``USAGE`` on the ``layer_features`` id
    sequence, nothing else: no ``UPDATE``, ``DELETE``, ``TRUNCATE``, ``ALTER``
    or ``DROP``.  The tables belong to whoever ran ``parkmap db init`` (an
    owner account, not the app's login user: an owner may drop triggers).
"""

from __future__ import annotations

from geo import audit

#: The layout this parkmap writes.
SCHEMA_VERSION = 1
#: The role the app's login user is granted.
APP_ROLE = "parkmap_app"
#: The table recording the applied steps.
META_TABLE = "parkmap_meta"
#: The hash-chained tables, as in the embedded workspace.
CHAINED_TABLES: tuple[str, ...] = audit.TABLES
#: The official-layer tables.
LAYER_TABLES: tuple[str, ...] = ("layer_versions", "layer_features")
#: Every table the triggers protect.
PROTECTED_TABLES: tuple[str, ...] = (*CHAINED_TABLES, *LAYER_TABLES, META_TABLE)
#: Operations the triggers refuse.
REFUSED_OPS: tuple[str, ...] = ("UPDATE", "DELETE", "TRUNCATE")
#: trigger name -> (table, operation).
TRIGGERS: dict[str, tuple[str, str]] = {f"{t}_no_{op.lower()}": (t, op) for t in PROTECTED_TABLES for op in REFUSED_OPS}
#: Key of the transaction-level advisory lock that serialises ``parkmap db init`` runs.
INIT_LOCK = 0x70_61_72_6B  # "park"

#: Body of the guard function (``status`` compares it: a replaced body would let edits through).
GUARD_BODY = """
BEGIN
    RAISE EXCEPTION '% are append-only', TG_TABLE_NAME
        USING HINT = '只能追加新记录 / only new rows may be added';
END
"""

_HASHES = ("    prev_hash text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),\n"
           "    row_hash text NOT NULL CHECK (row_hash ~ '^[0-9a-f]{64}$'),\n")


def _chain(table: str) -> str:
    return f"    CONSTRAINT {table}_one_successor UNIQUE (prev_hash)"


_V1_TABLES = rf"""
CREATE TABLE parkmap_meta (
    version integer PRIMARY KEY CHECK (version > 0),
    applied_at timestamptz NOT NULL DEFAULT now(),
    applied_by text NOT NULL DEFAULT current_user,
    note text NOT NULL DEFAULT ''
);

-- ISO 8601 text with an explicit offset (what geo.clock writes) as timestamptz; NULL for anything else.
-- Immutable because the offset is explicit: the session's TimeZone does not enter.
CREATE FUNCTION parkmap_ts(t text) RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN t ~ '^\d{{4}}-\d{{2}}-\d{{2}}[T ]\d{{2}}:\d{{2}}(:\d{{2}}(\.\d{{1,6}})?)?(Z|[+-]\d{{2}}(:?\d{{2}})?)$'
                THEN t::timestamptz END
$$;

CREATE FUNCTION parkmap_append_only() RETURNS trigger LANGUAGE plpgsql AS $guard${GUARD_BODY}$guard$;

CREATE TABLE users (
    id bigint PRIMARY KEY CHECK (id > 0),
    at text NOT NULL,
    name text NOT NULL,
    role text NOT NULL,
    pw_hash text NOT NULL,
    disabled integer NOT NULL DEFAULT 0,
    by_user text NOT NULL,
    by_role text NOT NULL,
{_HASHES}    at_ts timestamptz GENERATED ALWAYS AS (parkmap_ts(at)) STORED,
{_chain("users")}
);
CREATE INDEX users_by_name ON users(name, id);
CREATE INDEX users_by_hash ON users(row_hash);

CREATE TABLE proposals (
    id bigint PRIMARY KEY CHECK (id > 0),
    name text NOT NULL,
    zone_id text NOT NULL,
    options_json text NOT NULL,
    source text NOT NULL DEFAULT '',
    geom_wkb bytea NOT NULL,
    geom_geojson text NOT NULL,
    area_m2 double precision NOT NULL,
    created_at text NOT NULL,
    created_by text NOT NULL,
    created_role text NOT NULL,
{_HASHES}    options jsonb GENERATED ALWAYS AS (options_json::jsonb) STORED,
    geom geometry(Geometry, 4490) GENERATED ALWAYS AS (ST_GeomFromWKB(geom_wkb, 4490)) STORED,
    created_ts timestamptz GENERATED ALWAYS AS (parkmap_ts(created_at)) STORED,
{_chain("proposals")}
);
CREATE INDEX proposals_geom ON proposals USING gist (geom);

CREATE TABLE checks (
    id bigint PRIMARY KEY CHECK (id > 0),
    proposal_id bigint NOT NULL REFERENCES proposals(id),
    parent_check_id bigint REFERENCES checks(id),
    kind text NOT NULL DEFAULT 'check',
    created_at text NOT NULL,
    created_by text NOT NULL,
    created_role text NOT NULL,
    verdict text NOT NULL,
    inputs_json text NOT NULL,
    geom_wkb bytea,
    geom_geojson text,
    layer_hashes_json text NOT NULL,
    rules_hash text NOT NULL,
    result_json text NOT NULL,
{_HASHES}    inputs jsonb GENERATED ALWAYS AS (inputs_json::jsonb) STORED,
    layer_hashes jsonb GENERATED ALWAYS AS (layer_hashes_json::jsonb) STORED,
    result jsonb GENERATED ALWAYS AS (result_json::jsonb) STORED,
    geom geometry(Geometry, 4490) GENERATED ALWAYS AS (ST_GeomFromWKB(geom_wkb, 4490)) STORED,
    created_ts timestamptz GENERATED ALWAYS AS (parkmap_ts(created_at)) STORED,
{_chain("checks")}
);
CREATE INDEX checks_by_proposal ON checks(proposal_id, id);
CREATE INDEX checks_by_parent ON checks(parent_check_id, id) WHERE parent_check_id IS NOT NULL;

CREATE TABLE events (
    id bigint PRIMARY KEY CHECK (id > 0),
    at text NOT NULL,
    "user" text NOT NULL,
    role text NOT NULL,
    action text NOT NULL,
    proposal_id bigint,
    check_id bigint,
    detail_json text NOT NULL DEFAULT '{{}}',
{_HASHES}    detail jsonb GENERATED ALWAYS AS (detail_json::jsonb) STORED,
    at_ts timestamptz GENERATED ALWAYS AS (parkmap_ts(at)) STORED,
{_chain("events")}
);
CREATE INDEX events_by_proposal ON events(proposal_id, id);
CREATE INDEX events_by_action ON events(action, id);
CREATE INDEX events_by_user ON events("user", id);

CREATE TABLE layer_versions (
    layer text NOT NULL CHECK (layer ~ '^[a-z][a-z0-9_]{{0,62}}$'),
    version integer NOT NULL CHECK (version > 0),
    source_name text NOT NULL,
    source_sha256 text NOT NULL CHECK (source_sha256 ~ '^[0-9a-f]{{64}}$'),
    feature_count bigint NOT NULL CHECK (feature_count >= 0),
    crs text NOT NULL,
    imported_by text NOT NULL,
    imported_role text NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (layer, version)
);

CREATE TABLE layer_features (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    layer text NOT NULL,
    version integer NOT NULL,
    feature_no integer NOT NULL CHECK (feature_no >= 0),
    geom geometry(Geometry, 4490) NOT NULL,
    attributes jsonb NOT NULL DEFAULT '{{}}',
    FOREIGN KEY (layer, version) REFERENCES layer_versions(layer, version)
);
CREATE INDEX layer_features_geom ON layer_features USING gist (geom);
CREATE INDEX layer_features_by_version ON layer_features(layer, version, feature_no);
"""


def _triggers_sql() -> str:
    return "\n".join(f"CREATE TRIGGER {name} BEFORE {op} ON {table} FOR EACH STATEMENT "
                     "EXECUTE FUNCTION parkmap_append_only();" for name, (table, op) in TRIGGERS.items())


#: ``(version, note, SQL)`` steps, oldest first.
MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (1, "workspace tables, official layers, append-only triggers", _V1_TABLES + _triggers_sql()),
)

#: Creates the role when missing (idempotent; two concurrent runs do not fail).
ROLE_SQL = f"""
DO $role$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
        CREATE ROLE {APP_ROLE} NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$role$;
"""


def grants_sql() -> str:
    """The ``parkmap_app`` grants, reset to exactly these on every ``init`` (idempotent).

    Examples
    --------
    >>> "UPDATE" in grants_sql().replace("REVOKE ALL", "")
    False
    """
    tables = ", ".join(PROTECTED_TABLES)
    writable = ", ".join(t for t in PROTECTED_TABLES if t != META_TABLE)
    return (f"REVOKE ALL ON {tables} FROM PUBLIC;\n"
            f"REVOKE ALL ON {tables} FROM {APP_ROLE};\n"
            f"GRANT USAGE ON SCHEMA public TO {APP_ROLE};\n"
            f"GRANT SELECT, INSERT ON {writable} TO {APP_ROLE};\n"
            f"GRANT SELECT ON {META_TABLE} TO {APP_ROLE};\n"
            f"GRANT USAGE ON SEQUENCE layer_features_id_seq TO {APP_ROLE};\n")


__all__ = ["APP_ROLE", "CHAINED_TABLES", "GUARD_BODY", "INIT_LOCK", "LAYER_TABLES", "META_TABLE", "MIGRATIONS",
           "PROTECTED_TABLES", "REFUSED_OPS", "ROLE_SQL", "SCHEMA_VERSION", "TRIGGERS", "grants_sql"]
