// The first schema. Amounts are numeric(39,0) base units (u64 needs 20 digits; 39 leaves room
// for sums), checkpoints are bigint, addresses are stored normalized (0x + 64 lowercase hex).
import type {Knex} from 'knex'

const ADDRESS_CHECK = `~ '^0x[0-9a-f]{64}$'`

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE accounts (
      id          bigserial PRIMARY KEY,
      email       text UNIQUE,
      sui_address text NOT NULL UNIQUE CHECK (sui_address ${ADDRESS_CHECK}),
      label       text,
      created_at  timestamptz NOT NULL DEFAULT now(),
      deleted_at  timestamptz
    );

    CREATE TABLE balances (
      id                     bigserial PRIMARY KEY,
      account_id             bigint NOT NULL REFERENCES accounts(id),
      token                  text NOT NULL,
      amount                 numeric(39,0) NOT NULL DEFAULT 0 CHECK (amount >= 0),
      pending_amount         numeric(39,0) NOT NULL DEFAULT 0 CHECK (pending_amount >= 0),
      last_synced            timestamptz,
      last_blockchain_check  timestamptz,
      last_synced_checkpoint bigint,
      is_stale               boolean NOT NULL DEFAULT true,
      sync_attempts          integer NOT NULL DEFAULT 0,
      UNIQUE (account_id, token)
    );
    CREATE INDEX balances_stale_idx ON balances (is_stale, last_synced);

    CREATE TABLE raw_blockchain_events (
      id              bigserial PRIMARY KEY,
      tx_digest       text NOT NULL UNIQUE,
      checkpoint      bigint NOT NULL,
      timestamp_ms    bigint,
      sender          text,
      success         boolean,
      move_calls      jsonb NOT NULL DEFAULT '[]',
      events          jsonb NOT NULL DEFAULT '[]',
      balance_changes jsonb NOT NULL DEFAULT '[]',
      gas_used        numeric(39,0),
      gas_owner       text,
      parse_error     text,
      created_at      timestamptz NOT NULL DEFAULT now(),
      queued_at       timestamptz,
      processed_at    timestamptz
    );
    CREATE INDEX raw_blockchain_events_checkpoint_idx ON raw_blockchain_events (checkpoint);
    -- The outbox scans only what is not processed yet.
    CREATE INDEX raw_blockchain_events_unprocessed_idx ON raw_blockchain_events (id) WHERE processed_at IS NULL;

    CREATE TABLE transaction_processing_log (
      id            bigserial PRIMARY KEY,
      tx_digest     text NOT NULL UNIQUE,
      status        text NOT NULL CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
      handler       text,
      attempts      integer NOT NULL DEFAULT 0,
      error_message text,
      started_at    timestamptz,
      finished_at   timestamptz,
      updated_at    timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX transaction_processing_log_status_idx ON transaction_processing_log (status);

    CREATE TABLE account_transactions (
      id           bigserial PRIMARY KEY,
      account_id   bigint NOT NULL REFERENCES accounts(id),
      tx_digest    text NOT NULL,
      token        text NOT NULL,
      direction    text NOT NULL CHECK (direction IN ('sent', 'received', 'fee')),
      amount       numeric(39,0) NOT NULL CHECK (amount >= 0),
      counterparty text,
      checkpoint   bigint NOT NULL,
      timestamp_ms bigint,
      created_at   timestamptz NOT NULL DEFAULT now(),
      UNIQUE (tx_digest, account_id, token, direction)
    );
    CREATE INDEX account_transactions_account_idx ON account_transactions (account_id, checkpoint DESC);

    CREATE TABLE ingest_cursors (
      name       text PRIMARY KEY,
      checkpoint bigint NOT NULL CHECK (checkpoint >= 0),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE ingest_cursors;
    DROP TABLE account_transactions;
    DROP TABLE transaction_processing_log;
    DROP TABLE raw_blockchain_events;
    DROP TABLE balances;
    DROP TABLE accounts;
  `)
}
