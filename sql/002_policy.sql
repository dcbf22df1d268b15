-- 002_policy: statement classification and per-agent policy.
--
-- A policy rule maps (scope, subject, connection, class) to an action.
-- scope 'agent' names an agent, 'group' an IdP group from the token's groups
-- claim, 'default' everyone (subject ''); connection '*' means every
-- connection. The most specific rule wins (agent > group > default, a named
-- connection > '*'); without a rule the built-in default applies (read,
-- txn, session allow; write, ddl review; admin, unknown deny).
-- agentgatectl announces every change with NOTIFY agentgate_policy so that
-- each gateway instance reloads the rules and applies them to the next
-- statement of every session.
--
-- Statements gain the classifier's verdict and the policy decision, and the
-- decoded parameters of prepared executions; sessions record the IdP groups
-- the policy was evaluated with and whether they ran on the connection's
-- read-only credential.

CREATE TABLE policies (
    id          bigserial PRIMARY KEY,
    scope       text NOT NULL,
    subject     text NOT NULL DEFAULT '',
    connection  text NOT NULL DEFAULT '*',
    class       text NOT NULL,
    action      text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT policies_scope_check CHECK (scope IN ('default', 'group', 'agent')),
    CONSTRAINT policies_subject_check CHECK ((scope = 'default') = (subject = '')),
    CONSTRAINT policies_class_check CHECK (class IN
        ('read', 'txn', 'session', 'write', 'ddl', 'admin', 'unknown')),
    CONSTRAINT policies_action_check CHECK (action IN ('allow', 'review', 'deny')),
    CONSTRAINT policies_connection_check CHECK (connection ~ '^(\*|[A-Za-z0-9_.-]{1,64})$'),
    CONSTRAINT policies_rule_key UNIQUE (scope, subject, connection, class)
);

ALTER TABLE statements
    ADD COLUMN class text,
    ADD COLUMN decision text,
    ADD COLUMN policy text,
    ADD COLUMN reason text,
    ADD COLUMN params text;

ALTER TABLE sessions
    ADD COLUMN groups text[],
    ADD COLUMN read_only boolean;
