-- Who may use the API: people (users with a password hash and a role) and integrations (API keys, stored as a
-- hash with a public prefix to look them up).  Neither a password nor an API key is ever stored.
CREATE SCHEMA IF NOT EXISTS auth;

CREATE TABLE auth.users (
    id            integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    full_name     text NOT NULL DEFAULT '' CHECK (length(full_name) <= 200),
    password_hash text NOT NULL,            -- argon2id, encoded with its parameters and salt
    role          text NOT NULL CHECK (role IN ('admin', 'dispatcher', 'technician', 'finance', 'viewer')),
    is_active     boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE auth.api_keys (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    prefix      text NOT NULL UNIQUE CHECK (prefix ~ '^[0-9a-f]{12}$'),
    key_hash    text NOT NULL,              -- sha256 of the whole key (the key is 256 random bits)
    role        text NOT NULL CHECK (role IN ('admin', 'dispatcher', 'technician', 'finance', 'viewer')),
    created_by  integer REFERENCES auth.users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    revoked_at  timestamptz
);
