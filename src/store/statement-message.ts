// Several statements sent as one simple-protocol message: one round trip, and pg answers with one
// result per statement, in order (BEGIN, SET and COMMIT have one too). A statement added here
// gets a handle, and its rows are read through that handle, never by counting statements. The
// simple protocol takes no parameters: values are inlined by the caller as escaped literals.
import type pg from 'pg'

/** A statement's place in its message; Row is the shape of the rows it returns. */
export interface Statement<Row> {
  readonly index: number
  /** Never set: carries Row for the type checker. */
  readonly row?: Row
}

export class StatementMessage {
  private readonly statements: string[] = []

  /** Adds a statement (without its semicolon); the handle reads its rows from the answer. */
  add<Row = never>(statement: string): Statement<Row> {
    this.statements.push(statement)
    return {index: this.statements.length - 1}
  }

  async send(connection: pg.Client): Promise<StatementAnswer> {
    const result = (await connection.query(`${this.statements.join(';\n')};`)) as pg.QueryResult | pg.QueryResult[]
    return new StatementAnswer(Array.isArray(result) ? result : [result])
  }
}

/** The results of a message's statements. */
export class StatementAnswer {
  private readonly results: pg.QueryResult[]

  constructor(results: pg.QueryResult[]) {
    this.results = results
  }

  rows<Row>(statement: Statement<Row>): Row[] {
    return this.results[statement.index]!.rows as Row[]
  }
}
