-- The live centre store of the first release (schema version 1), as vtsim.live.store created it.
-- {serial} is INTEGER PRIMARY KEY on SQLite and BIGSERIAL PRIMARY KEY on PostgreSQL.
CREATE TABLE IF NOT EXISTS messages (
    tenant TEXT NOT NULL, device_id TEXT NOT NULL, message_id TEXT NOT NULL,
    device_type TEXT NOT NULL, event TEXT NOT NULL, seq BIGINT NOT NULL, device_ts TEXT NOT NULL,
    received_at DOUBLE PRECISION NOT NULL, stored_at DOUBLE PRECISION NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (tenant, device_id, message_id));
CREATE TABLE IF NOT EXISTS rejections (
    id {serial}, topic TEXT NOT NULL, tenant TEXT, device_id TEXT, message_id TEXT,
    reason TEXT NOT NULL, detail TEXT NOT NULL, received_at DOUBLE PRECISION NOT NULL,
    stored_at DOUBLE PRECISION NOT NULL);
CREATE TABLE IF NOT EXISTS incidents (
    incident_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, device_id TEXT NOT NULL,
    device_type TEXT NOT NULL, kind TEXT NOT NULL, priority INTEGER NOT NULL,
    message_id TEXT, state TEXT NOT NULL, opened_at DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS incident_changes (
    id {serial}, incident_id TEXT NOT NULL, state TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS devices (
    tenant TEXT NOT NULL, device_id TEXT NOT NULL, device_type TEXT NOT NULL,
    status TEXT NOT NULL, last_seen DOUBLE PRECISION, last_seq BIGINT, gaps BIGINT NOT NULL,
    out_of_order BIGINT NOT NULL, last_periodic DOUBLE PRECISION, heartbeat_s DOUBLE PRECISION,
    PRIMARY KEY (tenant, device_id));
CREATE INDEX IF NOT EXISTS incidents_state ON incidents (state);
