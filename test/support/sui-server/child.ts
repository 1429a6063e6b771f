// Entry point of a spawned server (spawn.ts): starts the server with the options in argv[2],
// reports its port, then runs control requests from the parent until told to close.
import {startSuiServer} from './index.ts'
import type {ControlReply, ControlRequest} from './spawn.ts'

const sui = await startSuiServer(JSON.parse(process.argv[2] ?? '{}'))
const {ledger, faults} = sui

// Typed per method at the IPC boundary: arguments arrive as the parent sent them.
/* eslint-disable @typescript-eslint/no-explicit-any */
const handlers: Record<ControlRequest['method'], (...args: any[]) => unknown> = {
  generateTraffic: (opts) => ledger.generateTraffic(opts),
  produceCheckpoint: () => ledger.produceCheckpoint(),
  startProducing: (rate, traffic) => ledger.startProducing(rate, traffic),
  stopProducing: () => ledger.stopProducing(),
  setFaults: (settings) => void faults.set(settings),
  resetFaults: () => faults.reset(),
  callCounts: () => faults.callCounts(),
  serviceInfo: () => ledger.serviceInfo(),
  createAddress: (label) => ledger.createAddress(label),
  mint: (owner, coinType, amount, opts) => ledger.mint(owner, coinType, amount, opts).digest,
  transfer: (opts) => ledger.transfer(opts).digest,
  prune: (below) => ledger.prune(below),
  warmReadMask: (paths) => sui.warmReadMask(paths),
  close: async () => {
    await sui.close()
    setImmediate(() => process.exit(0))
  },
}
/* eslint-enable @typescript-eslint/no-explicit-any */

process.on('message', (request: ControlRequest) => {
  void (async () => {
    let reply: ControlReply
    try {
      reply = {id: request.id, result: await handlers[request.method](...request.args)}
    } catch (error) {
      reply = {id: request.id, error: error instanceof Error ? error.message : String(error)}
    }
    process.send?.(reply)
  })()
})
// The parent going away takes the server with it.
process.on('disconnect', () => void sui.close().then(() => process.exit(0)))

process.send?.({ready: {port: sui.port, url: sui.url}} satisfies ControlReply)
