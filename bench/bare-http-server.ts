// The floor of bench/api.ts's fixed-rate figure: a bare node:http server in a process of its own
// (as `confio serve` is), answering every request at once with a body the size of a balance
// answer, no framework, no auth, no lookup. What the load generator measures against it at the
// same rate is what this machine, this client and Node's HTTP stack cost by themselves.
// Prints its port on the first line of its output, then serves until it is killed.
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'

const body = JSON.stringify({
  balances: [{token: 'CUSD', amount: '1000000', pending: '0', available: '1000000', decimals: 6, checkpoint: '12', lastSynced: new Date(0).toISOString(), isStale: false, source: 'memory'}],
})
const server = createServer((_request, response) => {
  response.writeHead(200, {'content-type': 'application/json; charset=utf-8'}).end(body)
})
server.listen(0, '127.0.0.1', () => console.log((server.address() as AddressInfo).port))
