// What the workers write. contract_events keeps every PAY and P2P_TRADE event once (a job that
// runs twice inserts nothing the second time: unique on the event's place in its transaction).
// pending_balance_changes holds amounts a wallet flow has committed to but the chain has not
// confirmed yet, per transaction digest, so the worker that processes that digest can release
// exactly them; balances.pending_amount stays their sum. transaction_processing_log counts the
// runs that died mid-job (stalls), because bee-queue itself has no stall limit.
import type {Knex} from 'knex'

const ADDRESS_CHECK = `~ '^0x[0-9a-f]{64}$'`

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE contract_events (
      id           bigserial PRIMARY KEY,
      tx_digest    text NOT NULL,
      event_seq    integer NOT NULL CHECK (event_seq >= 0),
      package      text NOT NULL CHECK (package ${ADDRESS_CHECK}),
      module       text NOT NULL,
      event_name   text NOT NULL,
      event_type   text NOT NULL,
      fields       jsonb NOT NULL,
      typed        boolean NOT NULL,
      parse_error  text,
      account_ids  bigint[] NOT NULL DEFAULT '{}',
      sender       text,
      checkpoint   bigint NOT NULL,
      timestamp_ms bigint,
      created_at   timestamptz NOT NULL DEFAULT now(),
      UNIQUE (tx_digest, event_seq)
    );
    CREATE INDEX contract_events_kind_idx ON contract_events (package, module, event_name, checkpoint DESC);
    CREATE INDEX contract_events_accounts_idx ON contract_events USING gin (account_ids);

    CREATE TABLE pending_balance_changes (
      tx_digest  text NOT NULL,
      account_id bigint NOT NULL REFERENCES accounts(id),
      token      text NOT NULL,
      amount     numeric(39,0) NOT NULL CHECK (amount >= 0),
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (tx_digest, account_id, token)
    );

    ALTER TABLE transaction_processing_log ADD COLUMN stalls integer NOT NULL DEFAULT 0;
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE transaction_processing_log DROP COLUMN stalls;
    DROP TABLE pending_balance_changes;
    DROP TABLE contract_events;
  `)
}
