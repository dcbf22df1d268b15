-- 004_approvals: human approval of statements, time-boxed grants, reviewer
-- logins and webhook delivery.
--
-- A statement whose class the policy sends to review becomes a row of
-- approval_requests holding its exact bytes and their SHA-256. Its state
-- moves pending -> approved | denied | expired | cancelled and never back;
-- every transition and every reviewer's vote is an approval_events row. An
-- approved request is consumed at most once (consumed_at): the statement
-- ran. All transitions go through the functions below, which lock the
-- request row, so that concurrent reviewers on different gateway instances,
-- the waiting session's timer and agentgatectl cannot race each other; each
-- announces itself with NOTIFY agentgate_approval '<id> <what>' in the same
-- transaction. Grants changes announce NOTIFY agentgate_grant.
--
-- Principals are compared as (issuer, subject): a reviewer whose login has
-- the same issuer and subject as the agent's token never approves that
-- agent's request.
--
-- A request names the statement it became: (session_id, stmt_seq) is the
-- key of its row in statements once it ran or was refused. A statement run
-- under a time-boxed grant names the grant in its policy column.

ALTER TABLE policies
    ADD COLUMN review_mode text NOT NULL DEFAULT 'hold',
    ADD COLUMN quorum integer NOT NULL DEFAULT 1,
    ADD COLUMN quorum_groups text[] NOT NULL DEFAULT '{}',
    ADD CONSTRAINT policies_review_mode_check
        CHECK (review_mode IN ('hold', 'deferred')),
    ADD CONSTRAINT policies_quorum_check CHECK (quorum BETWEEN 1 AND 16);

CREATE TABLE approval_requests (
    id               uuid PRIMARY KEY,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    state            text NOT NULL DEFAULT 'pending',
    mode             text NOT NULL,
    -- Where the statement came from.
    instance         text NOT NULL,
    session_id       uuid NOT NULL,
    stmt_seq         bigint,
    agent_id         bigint NOT NULL,
    agent_name       text NOT NULL,
    idp              text,
    issuer           text NOT NULL,
    subject          text NOT NULL,
    connection       text NOT NULL,
    client_addr      text,
    -- What it is.
    command          smallint NOT NULL,
    class            text NOT NULL,
    reason           text,
    policy           text,
    sql_text         text NOT NULL,
    sql_bytes        bytea NOT NULL,
    sql_sha256       bytea NOT NULL,
    params           text,
    context          jsonb NOT NULL DEFAULT '[]',
    -- What it needs.
    quorum           integer NOT NULL DEFAULT 1,
    quorum_groups    text[] NOT NULL DEFAULT '{}',
    -- How it ended.
    decided_at       timestamptz,
    decided_by       text,
    decision_comment text,
    state_reason     text,
    grant_id         uuid,
    consumed_at      timestamptz,
    consumed_session uuid,
    CONSTRAINT approval_requests_state_check
        CHECK (state IN ('pending', 'approved', 'denied', 'expired', 'cancelled')),
    CONSTRAINT approval_requests_mode_check CHECK (mode IN ('hold', 'deferred')),
    CONSTRAINT approval_requests_sha_check
        CHECK (sql_sha256 = sha256(sql_bytes)),
    CONSTRAINT approval_requests_consumed_check
        CHECK (consumed_at IS NULL OR state = 'approved')
);

CREATE INDEX approval_requests_pending_idx ON approval_requests (created_at)
    WHERE state = 'pending';
CREATE INDEX approval_requests_agent_idx ON approval_requests (agent_id, created_at);
CREATE INDEX approval_requests_created_idx ON approval_requests (created_at);
CREATE INDEX approval_requests_match_idx
    ON approval_requests (agent_id, connection, sql_sha256)
    WHERE consumed_at IS NULL AND state IN ('pending', 'approved');

CREATE TABLE approval_votes (
    request_id       uuid NOT NULL REFERENCES approval_requests (id),
    reviewer_issuer  text NOT NULL,
    reviewer_subject text NOT NULL,
    reviewer_name    text,
    reviewer_groups  text[] NOT NULL DEFAULT '{}',
    vote             text NOT NULL,
    comment          text,
    at               timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (request_id, reviewer_issuer, reviewer_subject),
    CONSTRAINT approval_votes_vote_check CHECK (vote IN ('approve', 'deny'))
);

CREATE TABLE approval_events (
    id         bigserial PRIMARY KEY,
    request_id uuid NOT NULL REFERENCES approval_requests (id),
    at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- 'agent NAME', 'reviewer NAME <ISSUER SUBJECT>', 'gateway INSTANCE',
    -- 'operator ...'.
    actor      text NOT NULL,
    action     text NOT NULL,
    state      text NOT NULL,
    comment    text,
    CONSTRAINT approval_events_action_check CHECK (action IN
        ('created', 'approve', 'deny', 'approved', 'denied', 'expired',
         'cancelled', 'executed'))
);

CREATE INDEX approval_events_request_idx ON approval_events (request_id, id);

CREATE TABLE approval_grants (
    id            uuid PRIMARY KEY,
    agent_id      bigint NOT NULL,
    agent_name    text NOT NULL,
    connection    text NOT NULL,
    class         text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    created_by    text NOT NULL,
    request_id    uuid REFERENCES approval_requests (id),
    comment       text,
    revoked_at    timestamptz,
    revoked_by    text,
    revoke_reason text,
    CONSTRAINT approval_grants_class_check CHECK (class IN
        ('read', 'txn', 'session', 'write', 'ddl', 'admin', 'unknown')),
    CONSTRAINT approval_grants_window_check CHECK (expires_at > created_at)
);

CREATE INDEX approval_grants_active_idx ON approval_grants (agent_id, expires_at)
    WHERE revoked_at IS NULL;

-- Reviewer logins to the web page. A session is known by the SHA-256 of its
-- cookie value (the cookie itself is never stored); csrf is the token every
-- state-changing form must carry.
CREATE TABLE reviewer_sessions (
    id_sha256     bytea PRIMARY KEY,
    issuer        text NOT NULL,
    subject       text NOT NULL,
    name          text,
    email         text,
    groups        text[] NOT NULL DEFAULT '{}',
    csrf          text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    ended_at      timestamptz,
    client_addr   text,
    user_agent    text
);

-- Authorization-code logins in flight: state -> PKCE verifier and nonce, so
-- that any instance can finish a login another one started. Used once.
CREATE TABLE reviewer_logins (
    state         text PRIMARY KEY,
    nonce         text NOT NULL,
    code_verifier text NOT NULL,
    return_to     text NOT NULL DEFAULT '/',
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz
);

-- Webhook notifications, written in the transaction of the transition they
-- announce and delivered by whichever gateway instance claims them first.
CREATE TABLE webhook_outbox (
    id              bigserial PRIMARY KEY,
    request_id      uuid NOT NULL,
    event           text NOT NULL,
    payload         jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    last_error      text
);

CREATE INDEX webhook_outbox_due_idx ON webhook_outbox (next_attempt_at)
    WHERE delivered_at IS NULL;

-- The public view of a request for notifications: no statement bytes.
CREATE FUNCTION approval_payload(r approval_requests, p_event text)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'event', p_event, 'id', r.id, 'state', r.state, 'mode', r.mode,
        'agent', r.agent_name, 'connection', r.connection, 'class', r.class,
        'sql_sha256', encode(r.sql_sha256, 'hex'),
        'sql', left(r.sql_text, 1000),
        'created_at', r.created_at, 'expires_at', r.expires_at,
        'decided_by', r.decided_by, 'comment', r.decision_comment,
        'reason', r.state_reason)
$$;

-- Records one transition of a request already updated by the caller.
CREATE FUNCTION approval_note(p_id uuid, p_actor text, p_action text,
                              p_comment text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r approval_requests;
BEGIN
    SELECT * INTO r FROM approval_requests WHERE id = p_id;
    INSERT INTO approval_events (request_id, actor, action, state, comment)
        VALUES (p_id, p_actor, p_action, r.state, p_comment);
    IF p_action IN ('created', 'approved', 'denied', 'expired', 'cancelled') THEN
        INSERT INTO webhook_outbox (request_id, event, payload)
            VALUES (p_id, 'request.' || p_action, approval_payload(r, 'request.' || p_action));
    END IF;
    PERFORM pg_notify('agentgate_approval', p_id::text || ' ' || p_action);
END
$$;

-- A statement that needs review. Deferred mode first looks for an approved,
-- unconsumed request of the same agent on the same connection with the same
-- bytes and parameters decided within p_window_s: that one is consumed and
-- the statement runs (outcome 'run'). An identical request still pending is
-- returned instead of a new one (outcome 'pending'). Otherwise a request is
-- created ('created') unless the pending bounds are reached ('refused').
CREATE FUNCTION approval_submit(
    p_id uuid, p_mode text, p_instance text, p_session uuid, p_seq bigint,
    p_agent_id bigint, p_agent_name text, p_idp text, p_issuer text,
    p_subject text, p_connection text, p_client_addr text, p_command smallint,
    p_class text, p_reason text, p_policy text, p_sql_text text,
    p_sql_bytes bytea, p_params text, p_context jsonb, p_quorum integer,
    p_quorum_groups text[], p_ttl_s integer, p_window_s integer,
    p_max_agent integer, p_max_total integer)
RETURNS TABLE (outcome text, request_id uuid, detail text)
LANGUAGE plpgsql AS $$
DECLARE
    v_sha bytea := sha256(p_sql_bytes);
    v_id uuid;
    v_n bigint;
BEGIN
    -- One submission at a time, so that the bounds hold across instances.
    PERFORM pg_advisory_xact_lock(7018690069353947509);
    IF p_mode = 'deferred' THEN
        SELECT r.id INTO v_id FROM approval_requests r
         WHERE r.agent_id = p_agent_id AND r.connection = p_connection
           AND r.sql_sha256 = v_sha AND r.params IS NOT DISTINCT FROM p_params
           AND r.mode = 'deferred' AND r.state = 'approved'
           AND r.consumed_at IS NULL
           AND r.decided_at > now() - make_interval(secs => p_window_s)
         ORDER BY r.decided_at LIMIT 1 FOR UPDATE;
        IF FOUND THEN
            UPDATE approval_requests SET consumed_at = now(),
                   consumed_session = p_session WHERE id = v_id;
            PERFORM approval_note(v_id, 'agent ' || p_agent_name, 'executed',
                                  NULL);
            RETURN QUERY SELECT 'run'::text, v_id, NULL::text;
            RETURN;
        END IF;
        SELECT r.id INTO v_id FROM approval_requests r
         WHERE r.agent_id = p_agent_id AND r.connection = p_connection
           AND r.sql_sha256 = v_sha AND r.params IS NOT DISTINCT FROM p_params
           AND r.mode = 'deferred' AND r.state = 'pending'
           AND r.expires_at > now()
         ORDER BY r.created_at LIMIT 1;
        IF FOUND THEN
            RETURN QUERY SELECT 'pending'::text, v_id, NULL::text;
            RETURN;
        END IF;
    END IF;
    SELECT count(*) INTO v_n FROM approval_requests r
     WHERE r.state = 'pending' AND r.agent_id = p_agent_id;
    IF v_n >= p_max_agent THEN
        RETURN QUERY SELECT 'refused'::text, NULL::uuid,
            format('agent %s already has %s pending requests (max_pending_per_agent)',
                   p_agent_name, v_n);
        RETURN;
    END IF;
    SELECT count(*) INTO v_n FROM approval_requests r WHERE r.state = 'pending';
    IF v_n >= p_max_total THEN
        RETURN QUERY SELECT 'refused'::text, NULL::uuid,
            format('%s requests are already pending (max_pending)', v_n);
        RETURN;
    END IF;
    INSERT INTO approval_requests (id, expires_at, mode, instance, session_id,
        stmt_seq, agent_id, agent_name, idp, issuer, subject, connection,
        client_addr, command, class, reason, policy, sql_text, sql_bytes,
        sql_sha256, params, context, quorum, quorum_groups)
    VALUES (p_id, now() + make_interval(secs => p_ttl_s), p_mode, p_instance,
        p_session, p_seq, p_agent_id, p_agent_name, p_idp, p_issuer, p_subject,
        p_connection, p_client_addr, p_command, p_class, p_reason, p_policy,
        p_sql_text, p_sql_bytes, v_sha, p_params, coalesce(p_context, '[]'),
        greatest(p_quorum, 1), coalesce(p_quorum_groups, '{}'));
    PERFORM approval_note(p_id, 'agent ' || p_agent_name, 'created', NULL);
    RETURN QUERY SELECT 'created'::text, p_id, NULL::text;
END
$$;

-- One reviewer's vote. A deny ends the request; approvals count until the
-- quorum is reached (and, when the request names groups, one approver has
-- one of them). p_grant_minutes > 0 on the deciding approval also opens a
-- time-boxed grant for the agent x connection x class, capped at
-- p_max_grant_minutes. Returns the state afterwards and a message for the
-- reviewer; a refused vote (own request, second vote, not pending) comes
-- back as outcome 'refused' and changes nothing.
CREATE FUNCTION approval_decide(
    p_id uuid, p_issuer text, p_subject text, p_name text, p_groups text[],
    p_vote text, p_comment text, p_grant_minutes integer,
    p_max_grant_minutes integer)
RETURNS TABLE (outcome text, state text, detail text)
LANGUAGE plpgsql AS $$
DECLARE
    r approval_requests;
    v_actor text := format('reviewer %s <%s %s>', coalesce(p_name, p_subject),
                           p_issuer, p_subject);
    v_who text := coalesce(nullif(p_name, ''), p_subject);
    v_n bigint;
    v_groups_ok boolean;
    v_grant uuid;
BEGIN
    IF p_vote NOT IN ('approve', 'deny') THEN
        RETURN QUERY SELECT 'refused'::text, NULL::text, 'unknown vote'::text;
        RETURN;
    END IF;
    SELECT * INTO r FROM approval_requests WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'refused'::text, NULL::text, 'no such request'::text;
        RETURN;
    END IF;
    IF r.state = 'pending' AND r.expires_at <= now() THEN
        UPDATE approval_requests SET state = 'expired',
               state_reason = 'no decision before it expired'
         WHERE id = p_id;
        PERFORM approval_note(p_id, 'gateway', 'expired', NULL);
        r.state := 'expired';
    END IF;
    IF r.state <> 'pending' THEN
        RETURN QUERY SELECT 'refused'::text, r.state,
            format('the request is already %s', r.state);
        RETURN;
    END IF;
    IF p_vote = 'approve' AND r.issuer = p_issuer AND r.subject = p_subject THEN
        RETURN QUERY SELECT 'refused'::text, r.state,
            'you cannot approve a request made with your own identity'::text;
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM approval_votes v WHERE v.request_id = p_id
                AND v.reviewer_issuer = p_issuer
                AND v.reviewer_subject = p_subject) THEN
        RETURN QUERY SELECT 'refused'::text, r.state,
            'you have already voted on this request'::text;
        RETURN;
    END IF;
    INSERT INTO approval_votes (request_id, reviewer_issuer, reviewer_subject,
        reviewer_name, reviewer_groups, vote, comment)
    VALUES (p_id, p_issuer, p_subject, p_name, coalesce(p_groups, '{}'),
        p_vote, nullif(p_comment, ''));
    PERFORM approval_note(p_id, v_actor, p_vote, nullif(p_comment, ''));
    IF p_vote = 'deny' THEN
        UPDATE approval_requests SET state = 'denied', decided_at = now(),
               decided_by = v_who, decision_comment = nullif(p_comment, '')
         WHERE id = p_id;
        PERFORM approval_note(p_id, v_actor, 'denied', nullif(p_comment, ''));
        RETURN QUERY SELECT 'decided'::text, 'denied'::text, 'denied'::text;
        RETURN;
    END IF;
    SELECT count(*), coalesce(bool_or(v.reviewer_groups && r.quorum_groups), false)
      INTO v_n, v_groups_ok
      FROM approval_votes v WHERE v.request_id = p_id AND v.vote = 'approve';
    IF cardinality(r.quorum_groups) = 0 THEN
        v_groups_ok := true;
    END IF;
    IF v_n < r.quorum OR NOT v_groups_ok THEN
        RETURN QUERY SELECT 'voted'::text, 'pending'::text,
            format('%s of %s approvals%s', v_n, r.quorum,
                   CASE WHEN v_groups_ok THEN ''
                        ELSE '; one approver must be in ' ||
                             array_to_string(r.quorum_groups, ' or ') END);
        RETURN;
    END IF;
    IF coalesce(p_grant_minutes, 0) > 0 THEN
        v_grant := gen_random_uuid();
        INSERT INTO approval_grants (id, agent_id, agent_name, connection,
            class, expires_at, created_by, request_id, comment)
        VALUES (v_grant, r.agent_id, r.agent_name, r.connection, r.class,
            now() + make_interval(mins => least(p_grant_minutes,
                                                 greatest(p_max_grant_minutes, 1))),
            v_actor, p_id, nullif(p_comment, ''));
        PERFORM pg_notify('agentgate_grant', v_grant::text);
    END IF;
    UPDATE approval_requests SET state = 'approved', decided_at = now(),
           decided_by = v_who, decision_comment = nullif(p_comment, ''),
           grant_id = v_grant
     WHERE id = p_id;
    PERFORM approval_note(p_id, v_actor, 'approved', nullif(p_comment, ''));
    RETURN QUERY SELECT 'decided'::text, 'approved'::text, 'approved'::text;
END
$$;

-- The held session asks for its request: an approved, unconsumed request
-- is consumed at once (the statement runs now, once); anything else comes
-- back as it is. p_end_state 'expired' or 'cancelled' ends a request still
-- pending first (the session's timer ran out, the agent went away).
CREATE FUNCTION approval_take(p_id uuid, p_session uuid, p_actor text,
                              p_end_state text, p_end_reason text)
RETURNS TABLE (state text, consumed boolean, sql_sha256 bytea,
               decided_by text, comment text, reason text)
LANGUAGE plpgsql AS $$
DECLARE
    r approval_requests;
BEGIN
    SELECT * INTO r FROM approval_requests WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'missing'::text, false, NULL::bytea, NULL::text,
                            NULL::text, 'no such request'::text;
        RETURN;
    END IF;
    IF r.state = 'pending' AND (p_end_state IS NOT NULL OR r.expires_at <= now()) THEN
        r.state := CASE WHEN p_end_state = 'cancelled' THEN 'cancelled'
                        ELSE 'expired' END;
        r.state_reason := coalesce(p_end_reason,
                                   'no decision before it expired');
        UPDATE approval_requests SET state = r.state,
               state_reason = r.state_reason WHERE id = p_id;
        PERFORM approval_note(p_id, p_actor, r.state, r.state_reason);
    END IF;
    IF r.state = 'approved' AND r.consumed_at IS NULL AND r.mode = 'hold' THEN
        UPDATE approval_requests SET consumed_at = now(),
               consumed_session = p_session WHERE id = p_id;
        PERFORM approval_note(p_id, p_actor, 'executed', NULL);
        RETURN QUERY SELECT r.state, true, r.sql_sha256, r.decided_by,
                            r.decision_comment, r.state_reason;
        RETURN;
    END IF;
    RETURN QUERY SELECT r.state, false, r.sql_sha256, r.decided_by,
                        r.decision_comment, r.state_reason;
END
$$;

-- Ends pending requests that can no longer be decided usefully: those past
-- their expiry (any instance may sweep), and with p_instance set, the
-- held requests of that instance's earlier life (its sessions are gone).
-- Also drops notifications older than a week.
CREATE FUNCTION approval_sweep(p_instance text)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_id uuid;
    v_n integer := 0;
BEGIN
    FOR v_id IN SELECT id FROM approval_requests
                 WHERE state = 'pending' AND expires_at <= now()
                 ORDER BY created_at FOR UPDATE SKIP LOCKED LOOP
        UPDATE approval_requests SET state = 'expired',
               state_reason = 'no decision before it expired' WHERE id = v_id;
        PERFORM approval_note(v_id, 'gateway', 'expired', NULL);
        v_n := v_n + 1;
    END LOOP;
    -- Notifications are kept a week, delivered or not.
    DELETE FROM webhook_outbox WHERE created_at < now() - interval '7 days';
    IF p_instance IS NOT NULL THEN
        FOR v_id IN SELECT id FROM approval_requests
                     WHERE state = 'pending' AND mode = 'hold'
                       AND instance = p_instance
                     ORDER BY created_at FOR UPDATE SKIP LOCKED LOOP
            UPDATE approval_requests SET state = 'cancelled',
                   state_reason = 'the gateway instance holding the session restarted'
             WHERE id = v_id;
            PERFORM approval_note(v_id, 'gateway ' || p_instance, 'cancelled',
                                  'the gateway instance holding the session restarted');
            v_n := v_n + 1;
        END LOOP;
    END IF;
    RETURN v_n;
END
$$;

-- Revokes a grant early.
CREATE FUNCTION approval_grant_revoke(p_id uuid, p_actor text, p_reason text)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    UPDATE approval_grants SET revoked_at = now(), revoked_by = p_actor,
           revoke_reason = p_reason
     WHERE id = p_id AND revoked_at IS NULL AND expires_at > now();
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM pg_notify('agentgate_grant', p_id::text);
    RETURN true;
END
$$;

-- Revoking an agent cancels its pending requests and ends its grants, in
-- the transaction of the revocation, whoever revokes it.
CREATE FUNCTION approval_agent_revoked() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_id uuid;
BEGIN
    FOR v_id IN SELECT id FROM approval_requests
                 WHERE agent_id = NEW.id AND state = 'pending'
                 FOR UPDATE LOOP
        UPDATE approval_requests SET state = 'cancelled',
               state_reason = 'the agent was revoked' WHERE id = v_id;
        PERFORM approval_note(v_id, 'operator', 'cancelled',
                              'the agent was revoked');
    END LOOP;
    UPDATE approval_grants SET revoked_at = now(), revoked_by = 'operator',
           revoke_reason = 'the agent was revoked'
     WHERE agent_id = NEW.id AND revoked_at IS NULL AND expires_at > now();
    IF FOUND THEN
        PERFORM pg_notify('agentgate_grant', '');
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER agents_revoked_approvals
    AFTER UPDATE OF status ON agents
    FOR EACH ROW WHEN (NEW.status = 'revoked' AND OLD.status <> 'revoked')
    EXECUTE FUNCTION approval_agent_revoked();
