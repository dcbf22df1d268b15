-- 001_init: the agents registry and the audit record.
--
-- Agents are the identities the gateway admits: one row per (idp, subject),
-- with the MySQL connections each may use in agent_grants. A revocation is
-- the agent's status, revoked_at and revoke_reason; agentgatectl announces
-- it with NOTIFY agentgate_revoke so live sessions are cut at once.
--
-- sessions, statements and auth_events are written by the gateway's audit
-- recorder in batches. They carry no foreign keys on purpose: an audit row
-- must be storable even when the agent row it names is later deleted, and
-- the recorder writes a session's end or a statement's outcome as an upsert
-- that may reach the database before (or without) its start.
--
-- The migration runner wraps this file in a transaction; it must not contain
-- transaction control of its own.

CREATE TABLE agents (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL,
    idp           text NOT NULL,
    subject       text NOT NULL,
    status        text NOT NULL DEFAULT 'active',
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz,
    revoke_reason text,
    CONSTRAINT agents_name_key UNIQUE (name),
    CONSTRAINT agents_idp_subject_key UNIQUE (idp, subject),
    CONSTRAINT agents_name_check CHECK (name ~ '^[A-Za-z0-9_.-]{1,64}$'),
    CONSTRAINT agents_status_check CHECK (status IN ('active', 'revoked')),
    CONSTRAINT agents_revoked_at_check
        CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
);

CREATE TABLE agent_grants (
    agent_id   bigint NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    connection text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agent_id, connection)
);

CREATE TABLE sessions (
    id                uuid PRIMARY KEY,
    instance          text,
    agent_id          bigint,
    agent_name        text,
    idp               text,
    issuer            text,
    subject           text,
    connection        text,
    client_addr       text,
    tls_version       text,
    started_at        timestamptz,
    ended_at          timestamptz,
    end_reason        text,
    bytes_from_client bigint,
    bytes_to_client   bigint,
    statements        bigint
);

CREATE INDEX sessions_agent_started_idx ON sessions (agent_id, started_at);
CREATE INDEX sessions_started_idx ON sessions (started_at);

CREATE TABLE statements (
    session_id    uuid NOT NULL,
    seq           bigint NOT NULL,
    started_at    timestamptz,
    command       smallint,
    command_name  text,
    -- The statement as valid UTF-8 (invalid bytes and NUL became U+FFFD).
    sql_text      text,
    -- The exact bytes the client sent, only when sql_text is not lossless.
    sql_bytes     bytea,
    status        text,
    duration_us   bigint,
    rows_affected bigint,
    rows_returned bigint,
    error_code    integer,
    error_message text,
    PRIMARY KEY (session_id, seq),
    CONSTRAINT statements_status_check
        CHECK (status IN ('running', 'ok', 'error', 'refused', 'aborted'))
);

CREATE INDEX statements_started_idx ON statements (started_at);

CREATE TABLE auth_events (
    id          bigserial PRIMARY KEY,
    -- Chosen by the gateway so that a batch retried after an unanswered
    -- COMMIT does not write the event twice.
    event_id    uuid NOT NULL,
    at          timestamptz NOT NULL,
    instance    text,
    success     boolean NOT NULL,
    reason      text,
    client_addr text,
    listener    text,
    connection  text,
    idp         text,
    issuer      text,
    subject     text,
    agent_id    bigint,
    session_id  uuid,
    CONSTRAINT auth_events_event_id_key UNIQUE (event_id)
);

CREATE INDEX auth_events_at_idx ON auth_events (at);
CREATE INDEX auth_events_agent_idx ON auth_events (agent_id, at);
