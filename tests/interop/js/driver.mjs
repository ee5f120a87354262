// bittorrent-dht as an interop peer: the driver protocol of
// tests/interop/README.md on stdin/stdout.
//
//   node driver.mjs --bind 127.0.0.1:PORT [--bootstrap 127.0.0.1:P]...
//
// The bootstrap list is exactly the one given. With none, `bootstrap: false`
// (k-rpc turns it into []); never `undefined`, which k-rpc replaces by
// its three public routers. BEP 44 signatures: tweetnacl (pure JS).
import crypto from 'node:crypto'
import readline from 'node:readline'
import DHT from 'bittorrent-dht'
import nacl from 'tweetnacl'

const K = 20

function parseArgs (argv) {
  let bind = null
  const bootstrap = []
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]]
    if (value === undefined) throw new Error(`${flag} needs a value`)
    const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(value)
    if (!m) throw new Error(`${flag} ${value}: IPv4:port expected`)
    const addr = { host: m[1], port: Number(m[2]) }
    if (flag === '--bind') bind = addr
    else if (flag === '--bootstrap') bootstrap.push(addr)
    else throw new Error(`unknown argument ${flag}`)
  }
  if (!bind) throw new Error('--bind is required')
  return { bind, bootstrap }
}

const say = obj => process.stdout.write(JSON.stringify(obj) + '\n')
const hex = buf => Buffer.from(buf).toString('hex')
const sha1 = buf => crypto.createHash('sha1').update(buf).digest()
const addrOf = n => `${n.host || n.address}:${n.port}`
const verify = (sig, msg, pk) => nacl.sign.detached.verify(msg, sig, pk)

function hexArg (cmd, key, bytes) {
  const s = cmd[key]
  if (typeof s !== 'string' || !new RegExp(`^[0-9a-fA-F]{${2 * bytes}}$`).test(s)) {
    throw new Error(`${key}: ${2 * bytes} hex digits expected`)
  }
  return Buffer.from(s, 'hex')
}

function byDistance (target) {
  return (a, b) => Buffer.compare(xor(a.id, target), xor(b.id, target))
}
function xor (a, b) {
  const out = Buffer.alloc(a.length)
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i]
  return out
}

function decodeNodes (buf) {
  const nodes = []
  for (let i = 0; buf && i + 26 <= buf.length; i += 26) {
    const ip = [...buf.subarray(i + 20, i + 24)].join('.')
    nodes.push({ id: hex(buf.subarray(i, i + 20)), addr: `${ip}:${buf.readUInt16BE(i + 24)}` })
  }
  return nodes
}

const call = (fn) => new Promise((resolve, reject) =>
  fn((err, ...rest) => err ? reject(err) : resolve(rest)))

async function findNode (dht, cmd) {
  const target = hexArg(cmd, 'target', 20)
  const message = { q: 'find_node', a: { id: dht.nodeId, target } }
  if (cmd.addr) { // one query to one node: its own answer
    const [host, port] = cmd.addr.split(':')
    const [res] = await call(cb => dht._rpc.query({ host, port: Number(port) }, message, cb))
    return { nodes: decodeNodes(res.r && res.r.nodes) }
  }
  const seen = new Map() // the nodes that answered this lookup
  await call(cb => dht._rpc.closest(target, message, (res, peer) => {
    if (res.r && Buffer.isBuffer(res.r.id) && res.r.id.length === 20) {
      seen.set(hex(res.r.id), { id: res.r.id, addr: addrOf(peer) })
    }
    return true
  }, cb))
  const nodes = [...seen.values()].sort(byDistance(target)).slice(0, K)
  return { nodes: nodes.map(n => ({ id: hex(n.id), addr: n.addr })) }
}

async function getPeers (dht, cmd) {
  const infoHash = hexArg(cmd, 'info_hash', 20)
  const peers = new Set()
  const onPeer = (peer, ih) => { if (ih.equals(infoHash)) peers.add(addrOf(peer)) }
  dht.on('peer', onPeer)
  try {
    await call(cb => dht.lookup(infoHash, cb))
  } finally {
    dht.removeListener('peer', onPeer)
  }
  return { peers: [...peers].sort() }
}

// A network lookup first; the node's own store only when that finds nothing.
async function get (dht, target, salt) {
  const opts = salt === undefined ? {} : { salt: Buffer.from(salt) }
  let [res] = await call(cb => dht.get(target, { ...opts, cache: false }, cb))
  let from = 'network'
  if (!res) {
    [res] = await call(cb => dht.get(target, opts, cb))
    from = 'local'
  }
  if (!res || !res.v) throw new Error('no value found')
  return { value: Buffer.from(res.v).toString('utf8'), seq: res.seq, from }
}

async function command (dht, cmd) {
  switch (cmd.op) {
    case 'id':
      return { id: hex(dht.nodeId), port: dht.address().port }
    case 'find_node':
      return findNode(dht, cmd)
    case 'get_peers':
      return getPeers(dht, cmd)
    case 'announce': {
      if (!Number.isInteger(cmd.port)) throw new Error('port: integer expected')
      const [n] = await call(cb => dht.announce(hexArg(cmd, 'info_hash', 20), cmd.port, cb))
      return { stored: n }
    }
    case 'put_immutable': {
      if (typeof cmd.value !== 'string') throw new Error('value: string expected')
      const [target, n] = await call(cb => dht.put({ v: Buffer.from(cmd.value) }, cb))
      return { target: hex(target), stored: n }
    }
    case 'get_immutable': {
      const { value, from } = await get(dht, hexArg(cmd, 'target', 20))
      return { value, from }
    }
    case 'put_mutable': {
      const keys = nacl.sign.keyPair.fromSeed(hexArg(cmd, 'key_seed', 32))
      if (!Number.isInteger(cmd.seq)) throw new Error('seq: integer expected')
      const opts = {
        k: Buffer.from(keys.publicKey),
        v: Buffer.from(String(cmd.value)),
        seq: cmd.seq,
        sign: buf => Buffer.from(nacl.sign.detached(buf, keys.secretKey))
      }
      if (typeof cmd.salt === 'string') opts.salt = Buffer.from(cmd.salt)
      const [target, n] = await call(cb => dht.put(opts, cb))
      return { target: hex(target), pubkey: hex(keys.publicKey), stored: n }
    }
    case 'get_mutable': {
      const k = hexArg(cmd, 'pubkey', 32)
      const salt = typeof cmd.salt === 'string' ? cmd.salt : undefined
      const target = sha1(salt === undefined ? k : Buffer.concat([k, Buffer.from(salt)]))
      return get(dht, target, salt)
    }
    case 'table':
      return {
        nodes: dht.nodes.toArray().map(n => ({ id: hex(n.id), addr: addrOf(n) }))
          .sort((a, b) => a.id.localeCompare(b.id))
      }
    default:
      throw new Error(`unknown op ${JSON.stringify(cmd.op)}`)
  }
}

function main () {
  const { bind, bootstrap } = parseArgs(process.argv.slice(2))
  const dht = new DHT({ bootstrap: bootstrap.length ? bootstrap : false, verify })
  dht.on('error', err => { console.error(`bittorrent-dht: ${err.message}`); process.exit(2) })
  let pending = 2
  const maybeReady = () => {
    if (--pending === 0) say({ ready: true, id: hex(dht.nodeId), port: dht.address().port, impl: 'bittorrent-dht 11.0.12' })
  }
  dht.once('listening', maybeReady)
  dht.once('ready', maybeReady)
  dht.listen(bind.port, bind.host)

  let queue = Promise.resolve()
  const rl = readline.createInterface({ input: process.stdin })
  rl.on('line', line => {
    if (!line.trim()) return
    queue = queue.then(async () => {
      let cmd
      try { cmd = JSON.parse(line) } catch (e) { return say({ ok: false, error: `not JSON: ${e.message}` }) }
      if (cmd.op === 'quit') {
        say({ ok: true })
        dht.destroy(() => process.exit(0))
        return new Promise(() => {})
      }
      try {
        say({ ok: true, ...(await command(dht, cmd)) })
      } catch (e) {
        say({ ok: false, error: `${cmd.op}: ${e.message}` })
      }
    })
  })
  rl.on('close', () => queue.then(() => dht.destroy(() => process.exit(0))))
}

try { main() } catch (e) { console.error(`driver.mjs: ${e.message}`); process.exit(2) }
