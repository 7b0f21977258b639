//! The store's SQL schema as an ordered list of migrations.
//!
//! A store records the version it is at in `meta(key = 'schema_version')`
//! (mirrored in `PRAGMA user_version` so `sqlite3` users see it too).
//! Opening a store applies, in one transaction, every migration above that
//! version; a store written by a newer zongjie is refused rather than
//! guessed at. Migrations are append-only: a released migration is never
//! edited, a change is a new entry at the end.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

/// One step of the schema's history.
pub struct Migration {
    /// The schema version this migration brings the store to (1, 2, …).
    pub version: u32,
    /// What it changes, for the person reading `meta`.
    pub description: &'static str,
    pub sql: &'static str,
}

/// Every migration, in order. The last one's version is [`SCHEMA_VERSION`].
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "documents, sections, facts, findings, files and runs; everyday views",
        sql: V1,
    },
    Migration {
        version: 2,
        description: "leaner facts: no record column (typed columns hold every field), \
                      indexes by document, kind and date only",
        sql: V2,
    },
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = 2;

/// Facts are most of what a run imports (about 90 per document), and each
/// index and the JSON copy of every fact made importing cost more than the
/// analysis it records. The typed columns already hold every field of a
/// facts.jsonl record, so the copy goes; the indexes that stay serve the
/// views and the everyday queries (facts of a document, by kind, by date).
/// A fact is looked up by id together with its document (the id starts
/// with it), which facts_doc_kind serves.
/// Secondary indexes an import into an EMPTY store drops at its start and
/// builds at its end (see `Importer::open`), in the schema's own words.
/// Building an index from a finished table is one sort; keeping it current
/// row by row is a random B-tree insert per fact (three per fact), which at
/// 10^5 documents misses the page cache and dominated the writer. None of
/// them is a key: the import never needs them to find a duplicate, only to
/// delete (cascades, the cross-finding replacement), and it builds them
/// before it deletes anything.
pub const DEFERRED_INDEXES: &[(&str, &str)] = &[
    (
        "facts_doc_kind",
        "CREATE INDEX IF NOT EXISTS facts_doc_kind ON facts(doc_id, kind, start)",
    ),
    (
        "facts_kind_value",
        "CREATE INDEX IF NOT EXISTS facts_kind_value ON facts(kind, value_text)",
    ),
    (
        "facts_date",
        "CREATE INDEX IF NOT EXISTS facts_date ON facts(date_start) WHERE date_start IS NOT NULL",
    ),
    (
        "findings_doc",
        "CREATE INDEX IF NOT EXISTS findings_doc ON findings(doc_id)",
    ),
    (
        "findings_rule",
        "CREATE INDEX IF NOT EXISTS findings_rule ON findings(rule, severity)",
    ),
    (
        "findings_finding_id",
        "CREATE INDEX IF NOT EXISTS findings_finding_id ON findings(finding_id)",
    ),
    (
        "finding_others_finding",
        "CREATE INDEX IF NOT EXISTS finding_others_finding ON finding_others(finding)",
    ),
    (
        "finding_others_doc",
        "CREATE INDEX IF NOT EXISTS finding_others_doc ON finding_others(doc_id)",
    ),
];

const V2: &str = r#"
DROP INDEX facts_count_unit;
DROP INDEX facts_fact_id;
DROP INDEX facts_placeholder;
ALTER TABLE facts DROP COLUMN record;
"#;

const V1: &str = r#"
-- One row per `zongjie run` that imported into this store. Counters are
-- updated at every commit, so a run that was killed shows how far it got
-- (finished_at stays NULL).
CREATE TABLE runs (
    run_id              INTEGER PRIMARY KEY,
    started_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    finished_at         TEXT,
    zongjie_version     TEXT NOT NULL,
    schema_version      INTEGER NOT NULL,
    inputs              TEXT NOT NULL,          -- JSON array of the paths given
    out_dir             TEXT NOT NULL,
    documents_seen      INTEGER NOT NULL DEFAULT 0,
    documents_added     INTEGER NOT NULL DEFAULT 0,
    documents_unchanged INTEGER NOT NULL DEFAULT 0,
    documents_reextracted INTEGER NOT NULL DEFAULT 0,
    documents_removed   INTEGER NOT NULL DEFAULT 0,
    files_moved         INTEGER NOT NULL DEFAULT 0,
    cross_findings      INTEGER NOT NULL DEFAULT 0,
    import_ms           INTEGER NOT NULL DEFAULT 0
);

-- Where each file was last seen and what it held: the path -> content map
-- that recognises changed files (same path, new sha256) and moved ones
-- (same sha256, new path).
CREATE TABLE files (
    path       TEXT PRIMARY KEY,
    sha256     TEXT NOT NULL,
    format     TEXT NOT NULL,
    encoding   TEXT,
    pieces     INTEGER NOT NULL,
    first_run  INTEGER NOT NULL,
    last_run   INTEGER NOT NULL
);
CREATE INDEX files_sha256 ON files(sha256);

-- One row per document (one piece of one file). doc_id is derived from the
-- file's content and the piece number, so the same bytes are the same
-- document wherever they live.
CREATE TABLE documents (
    doc_id         TEXT PRIMARY KEY,
    sha256         TEXT NOT NULL,
    piece          INTEGER NOT NULL,
    pieces         INTEGER NOT NULL,
    path           TEXT NOT NULL,
    format         TEXT NOT NULL,
    encoding       TEXT,
    title          TEXT,
    year           INTEGER,
    year_source    TEXT,
    province       TEXT,
    prefecture     TEXT,
    county         TEXT,
    township       TEXT,
    region_code    TEXT,
    chars          INTEGER NOT NULL,
    paragraphs     INTEGER NOT NULL,
    fact_count     INTEGER NOT NULL,
    finding_count  INTEGER NOT NULL,
    text           TEXT NOT NULL,
    -- the documents.jsonl record without its `text` (which is the column
    -- above): json_set(record, '$.text', text) gives the record back
    record         TEXT NOT NULL,
    -- hash of everything extracted from the document: a new zongjie or new
    -- dictionaries that extract differently re-import the document
    results_sha256 TEXT NOT NULL,
    run_id         INTEGER NOT NULL
);
CREATE INDEX documents_county_year ON documents(county, year);
CREATE INDEX documents_year ON documents(year);
CREATE INDEX documents_sha256 ON documents(sha256);

CREATE TABLE sections (
    doc_id      TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    ord         INTEGER NOT NULL,
    level       INTEGER NOT NULL,
    title       TEXT NOT NULL,
    start       INTEGER NOT NULL,
    end         INTEGER NOT NULL,
    heading_end INTEGER,
    PRIMARY KEY (doc_id, ord)
) WITHOUT ROWID;

-- One row per fact. The kind-specific fields of the record are spread over
-- typed columns (NULL where a kind has no such field); `record` is the
-- facts.jsonl record without its `text` (the column):
-- json_set(record, '$.text', text) is the facts.jsonl line.
CREATE TABLE facts (
    id            INTEGER PRIMARY KEY,
    fact_id       TEXT NOT NULL,
    doc_id        TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    ord           INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    text          TEXT NOT NULL,
    start         INTEGER NOT NULL,
    end           INTEGER NOT NULL,
    value_text    TEXT,      -- date: EDTF; activity: type id; place/org: name
    value_num     REAL,      -- count: the number (NULL for placeholders)
    unit          TEXT,
    approx        TEXT,
    placeholder   INTEGER NOT NULL DEFAULT 0,
    status        TEXT,
    date_start    TEXT,      -- date: ISO lower bound when fully known
    date_end      TEXT,      -- date: ISO upper bound when fully known
    year_inferred INTEGER,
    relative      INTEGER,
    level         TEXT,
    code          TEXT,
    category      TEXT,
    section_ord   INTEGER,   -- innermost section holding the fact
    record        TEXT NOT NULL
);
CREATE INDEX facts_doc_kind ON facts(doc_id, kind, start);
CREATE INDEX facts_kind_value ON facts(kind, value_text);
CREATE INDEX facts_count_unit ON facts(unit) WHERE kind = 'count';
CREATE INDEX facts_date ON facts(date_start) WHERE date_start IS NOT NULL;
CREATE INDEX facts_fact_id ON facts(fact_id);
CREATE INDEX facts_placeholder ON facts(doc_id) WHERE placeholder = 1;

-- One row per finding. Cross-document findings (cross_document = 1) arrive
-- after all documents of a run; `finding_others` lists the other documents
-- they involve, and a finding goes when any document it involves goes.
CREATE TABLE findings (
    id             INTEGER PRIMARY KEY,
    finding_id     TEXT NOT NULL,
    doc_id         TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    ord            INTEGER,
    rule           TEXT NOT NULL,
    severity       TEXT NOT NULL,
    message        TEXT NOT NULL,
    start          INTEGER,
    end            INTEGER,
    text           TEXT,
    cross_document INTEGER NOT NULL DEFAULT 0,
    record         TEXT NOT NULL    -- findings.jsonl record without `text`
);
CREATE INDEX findings_doc ON findings(doc_id);
CREATE INDEX findings_rule ON findings(rule, severity);
CREATE INDEX findings_finding_id ON findings(finding_id);

CREATE TABLE finding_others (
    finding INTEGER NOT NULL REFERENCES findings(id) ON DELETE CASCADE,
    doc_id  TEXT NOT NULL,
    start   INTEGER,
    end     INTEGER
);
CREATE INDEX finding_others_finding ON finding_others(finding);
CREATE INDEX finding_others_doc ON finding_others(doc_id);

-- A document that goes takes with it the findings elsewhere that point at
-- it (its own rows go by ON DELETE CASCADE), however it is deleted.
CREATE TRIGGER documents_delete_others AFTER DELETE ON documents
BEGIN
    DELETE FROM findings WHERE id IN
        (SELECT finding FROM finding_others WHERE doc_id = OLD.doc_id);
END;

-- Documents per county and year.
CREATE VIEW v_documents_per_county AS
SELECT province, prefecture, county, year, COUNT(*) AS documents
FROM documents
GROUP BY province, prefecture, county, year;

-- Every figure (count fact) with its document's place and year and the
-- activity type of the activity passage holding it (NULL when none does;
-- a figure inside passages of two types appears once per type).
CREATE VIEW v_figures AS
SELECT c.doc_id, d.path, d.title, d.province, d.prefecture, d.county,
       d.township, d.year,
       a.value_text AS activity_type, a.status AS activity_status,
       c.fact_id, c.text, c.value_num AS value, c.unit, c.approx,
       c.placeholder, c.start, c.end
FROM facts c
JOIN documents d ON d.doc_id = c.doc_id
LEFT JOIN facts a ON a.doc_id = c.doc_id AND a.kind = 'activity'
                 AND a.start <= c.start AND c.end <= a.end
WHERE c.kind = 'count';

-- Figures per county, year, activity type and unit.
CREATE VIEW v_figure_totals AS
SELECT county, year, activity_type, unit,
       COUNT(*) AS figures,
       COUNT(value) AS with_value,
       SUM(value) AS total,
       SUM(approx IS NOT NULL AND approx <> 'exact') AS approximate,
       SUM(placeholder) AS placeholders
FROM v_figures
GROUP BY county, year, activity_type, unit;

-- Every placeholder (`XX人`, `20xx年`) with its document.
CREATE VIEW v_placeholders AS
SELECT f.doc_id, d.path, d.title, d.county, d.year, f.kind, f.fact_id,
       f.text, f.start, f.end
FROM facts f
JOIN documents d ON d.doc_id = f.doc_id
WHERE f.placeholder = 1;

-- Placeholders per document (documents with none are left out).
CREATE VIEW v_placeholders_per_document AS
SELECT d.doc_id, d.path, d.title, d.county, d.year,
       COUNT(*) AS placeholders,
       SUM(f.kind = 'count') AS placeholder_figures,
       SUM(f.kind = 'date') AS placeholder_dates
FROM facts f
JOIN documents d ON d.doc_id = f.doc_id
WHERE f.placeholder = 1
GROUP BY d.doc_id;
"#;

/// The version a store is at (0 for a new, empty file).
pub fn current_version(conn: &Connection) -> rusqlite::Result<u32> {
    let has_meta: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta')",
        [],
        |r| r.get(0),
    )?;
    if !has_meta {
        return Ok(0);
    }
    let v: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok(v.and_then(|s| s.parse().ok()).unwrap_or(0))
}

/// Bring a store to [`SCHEMA_VERSION`]. Returns the version it was at.
pub fn migrate(conn: &mut Connection) -> anyhow::Result<u32> {
    migrate_with(conn, MIGRATIONS)
}

/// [`migrate`] over a given migration list (tests use shorter histories).
pub fn migrate_with(conn: &mut Connection, migrations: &[Migration]) -> anyhow::Result<u32> {
    let latest = migrations.last().map_or(0, |m| m.version);
    // IMMEDIATE: two runs opening the same new store must not both migrate.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    )?;
    let was = current_version(&tx)?;
    if was > latest {
        anyhow::bail!(
            "the store has schema version {was}, newer than this zongjie understands ({latest}); \
             use a newer zongjie or another --db"
        );
    }
    for m in migrations.iter().filter(|m| m.version > was) {
        tx.execute_batch(m.sql)
            .map_err(|e| anyhow::anyhow!("migration to schema version {}: {e}", m.version))?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('schema_version', ?1)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [m.version.to_string()],
        )?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [
                format!("migration_{}", m.version),
                m.description.to_string(),
            ],
        )?;
        tx.pragma_update(None, "user_version", m.version)?;
    }
    tx.commit()?;
    Ok(was)
}
