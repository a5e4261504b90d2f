#!/usr/bin/env node
// Emulator harness for the AWS backend tests. Everything listens on
// 127.0.0.1, on ports the kernel picks.
//
//   node harness.js [--bootstrap NAME=PATH ...] [--fn-env NAME:VAR=VALUE ...]
//                   [--fn-timeout NAME=MS ...] -- COMMAND [ARGS...]
//
// Each function has a timeout (30000 ms unless --fn-timeout says otherwise),
// enforced as Lambda does: the invocation's Lambda-Runtime-Deadline-Ms is
// its start plus the timeout, and a bootstrap still running at the deadline
// is killed and the invoker gets "Task timed out" (the next invocation
// starts a fresh process).
//
// Starts s3rver (S3), dynalite (DynamoDB) and local-aws-sqs (SQS, JSON 1.0),
// creates the routes bucket and object, the queue and the crossings table,
// puts a fault-injecting proxy of our own in front of each emulator, and a
// small Lambda emulator (the Invoke API plus, per function, a Runtime API
// that a real `bootstrap` binary polls). Then runs COMMAND with the
// environment pointing at all of it (XROAD_*_ENDPOINT, XROAD_SQS_QUEUE_URL,
// XROAD_DYNAMODB_TABLE, XROAD_REPORT_FUNCTION, XROAD_ROUTES_SOURCE, and the
// proxies' control URLs XROAD_FAULT_*), and stops everything afterwards,
// whatever happened (exit, error, signal).
//
// Fault control, on each proxy: POST /__fault {"mode": M, "count": N,
// "match": "BatchWriteItem"} where M is
//   throttle     answer 400 ThrottlingException (SQS) or
//                ProvisionedThroughputExceededException (DynamoDB), or 503
//                SlowDown (S3), without forwarding
//   500          answer 500 InternalFailure without forwarding
//   500-after    forward, then answer 500 anyway (the write happened but the
//                client cannot know: its retry makes a duplicate)
//   unprocessed  BatchWriteItem: forward only the first item and return the
//                others as UnprocessedItems
//   reset        drop the connection
//   delay        hold the request for "ms" milliseconds, then forward it
//                (a DynamoDB slower than a Lambda's deadline)
// GET /__stats -> {"injected": n, "forwarded": m}.
'use strict';

const http = require('http');
const path = require('path');
const fs = require('fs');
const os = require('os');
const { spawn } = require('child_process');

const HERE = __dirname;
const NM = path.join(HERE, 'node_modules');
const HOST = '127.0.0.1';
const REGION = 'us-east-1';
const QUEUE = 'xroad-crossings';
const TABLE = 'xroad-crossings';
const BUCKET = 'xroad-routes';
// docs/CONFIG.md's routes file: turn and relative weight
const ROUTES = '# turn weight\nright     1\nstraight  2\nleft      1\n';

const cleanups = [];
let cleaned = false;
async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  for (const fn of cleanups.reverse()) {
    try { await fn(); } catch (e) { /* keep stopping the rest */ }
  }
}

function log(...a) {
  if (process.env.XROAD_HARNESS_VERBOSE) console.error('harness:', ...a);
}

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve(server.address().port));
  });
}

function closeServer(server) {
  return new Promise((resolve) => {
    if (server.closeAllConnections) server.closeAllConnections();
    server.close(() => resolve());
    setTimeout(resolve, 2000).unref();
  });
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function request(port, method, p, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port, method, path: p, headers }, (res) => {
      readBody(res).then((b) => resolve({ status: res.statusCode, headers: res.headers, body: b }), reject);
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

// Emulators don't verify SigV4, but want its shape.
function FAKE_AUTH(svc) {
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  return {
    Authorization: `AWS4-HMAC-SHA256 Credential=S3RVER/${amzDate.slice(0, 8)}/${REGION}/${svc}/aws4_request, ` +
      'SignedHeaders=host;x-amz-date, Signature=0000',
    'x-amz-date': amzDate,
    'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
  };
}

async function jsonCall(port, svc, target, body) {
  const r = await request(port, 'POST', '/', {
    ...FAKE_AUTH(svc),
    'Content-Type': 'application/x-amz-json-1.0',
    'X-Amz-Target': target,
  }, JSON.stringify(body));
  if (r.status !== 200) throw new Error(`${target}: HTTP ${r.status}: ${r.body}`);
  return JSON.parse(r.body.toString() || '{}');
}

// ------------------------------------------------------------ emulators

async function startS3() {
  const S3rver = require(path.join(NM, 's3rver'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xroad-s3rver-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const s3 = new S3rver({ address: HOST, port: 0, silent: true, directory: dir,
    configureBuckets: [{ name: BUCKET }] });
  const addr = await s3.run();
  cleanups.push(() => s3.close());
  const port = addr.port;
  const r = await request(port, 'PUT', `/${BUCKET}/routes.txt`,
    { ...FAKE_AUTH('s3'), 'Content-Type': 'text/csv', 'Content-Length': Buffer.byteLength(ROUTES) },
    ROUTES);
  if (r.status !== 200) throw new Error(`s3rver PutObject: HTTP ${r.status}: ${r.body}`);
  return port;
}

async function startDynamo() {
  const dynalite = require(path.join(NM, 'dynalite'));
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const port = await listen(server);
  cleanups.push(() => closeServer(server));
  await jsonCall(port, 'dynamodb', 'DynamoDB_20120810.CreateTable', {
    TableName: TABLE,
    AttributeDefinitions: [
      { AttributeName: 'run', AttributeType: 'S' },
      { AttributeName: 'round_car', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'run', KeyType: 'HASH' },
      { AttributeName: 'round_car', KeyType: 'RANGE' },
    ],
    BillingMode: 'PAY_PER_REQUEST',
  });
  for (let i = 0; i < 50; i++) {
    const d = await jsonCall(port, 'dynamodb', 'DynamoDB_20120810.DescribeTable', { TableName: TABLE });
    if (d.Table.TableStatus === 'ACTIVE') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return port;
}

async function startSqs() {
  const { createSqsServer } = require(path.join(NM, 'local-aws-sqs'));
  const server = await createSqsServer({ port: 0, hostname: HOST,
    emulateQueueCreationLifecycle: false });
  cleanups.push(() => closeServer(server));
  const port = server.address().port;
  const q = await jsonCall(port, 'sqs', 'AmazonSQS.CreateQueue', {
    QueueName: QUEUE,
    // short, so that a message whose delete was lost comes back in-test
    Attributes: { VisibilityTimeout: process.env.XROAD_TEST_VISIBILITY || '3' },
  });
  // the dead-letter queue esm.js moves messages to after maxReceiveCount
  const dlq = await jsonCall(port, 'sqs', 'AmazonSQS.CreateQueue', { QueueName: `${QUEUE}-dlq` });
  return { port, queueUrl: q.QueueUrl, dlqUrl: dlq.QueueUrl };
}

// ---------------------------------------------------------- fault proxy

function faultAnswer(kind, mode) {
  if (mode === 'throttle') {
    if (kind === 'dynamodb') {
      return [400, { 'Content-Type': 'application/x-amz-json-1.0' },
        JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
          message: 'The level of configured provisioned throughput for the table was exceeded.' })];
    }
    if (kind === 'sqs') {
      return [400, { 'Content-Type': 'application/x-amz-json-1.0', 'x-amzn-query-error': 'ThrottlingException;Sender' },
        JSON.stringify({ __type: 'com.amazonaws.sqs#ThrottlingException', message: 'Rate exceeded' })];
    }
    return [503, { 'Content-Type': 'application/xml' },
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>'];
  }
  if (kind === 's3') {
    return [500, { 'Content-Type': 'application/xml' },
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>'];
  }
  return [500, { 'Content-Type': 'application/x-amz-json-1.0' },
    JSON.stringify({ __type: 'com.amazonaws.service#InternalFailure', message: 'injected 500' })];
}

async function startProxy(kind, targetPort) {
  const state = { faults: [], injected: 0, forwarded: 0 };
  const server = http.createServer(async (req, res) => {
    try {
      const body = await readBody(req);
      if (req.url === '/__fault' && req.method === 'POST') {
        const f = JSON.parse(body.toString());
        state.faults.push({ mode: f.mode, count: f.count || 1, match: f.match || '', ms: f.ms || 0 });
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return res.end('{}');
      }
      if (req.url === '/__stats') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return res.end(JSON.stringify({ injected: state.injected, forwarded: state.forwarded,
          pending: state.faults.reduce((n, f) => n + f.count, 0) }));
      }
      if (req.url === '/__clear' && req.method === 'POST') {
        state.faults = [];
        res.writeHead(200);
        return res.end('{}');
      }
      const target = req.headers['x-amz-target'] || `${req.method} ${req.url}`;
      const fault = state.faults.find((f) => f.count > 0 && target.includes(f.match));
      let mode = null;
      let delayMs = 0;
      if (fault) {
        delayMs = fault.ms;
        fault.count--;
        mode = fault.mode;
        state.injected++;
        state.faults = state.faults.filter((f) => f.count > 0);
        log(kind, 'inject', mode, target);
      }
      if (mode === 'delay') await new Promise((r) => setTimeout(r, delayMs));
      if (mode === 'reset') {
        req.socket.destroy();
        return;
      }
      if (mode === 'throttle' || mode === '500') {
        const [st, h, b] = faultAnswer(kind, mode);
        res.writeHead(st, h);
        return res.end(b);
      }
      let fwdBody = body;
      let unprocessed = null;
      if (mode === 'unprocessed' && target.endsWith('BatchWriteItem')) {
        const j = JSON.parse(body.toString());
        unprocessed = {};
        for (const [t, list] of Object.entries(j.RequestItems)) {
          if (list.length > 1) unprocessed[t] = list.slice(1);
          j.RequestItems[t] = list.slice(0, 1);
        }
        fwdBody = Buffer.from(JSON.stringify(j));
      }
      const headers = { ...req.headers, 'content-length': fwdBody.length };
      delete headers['transfer-encoding'];
      headers.host = `${HOST}:${targetPort}`;
      const up = await request(targetPort, req.method, req.url, headers, fwdBody);
      state.forwarded++;
      if (mode === '500-after') {
        const [st, h, b] = faultAnswer(kind, '500');
        res.writeHead(st, h);
        return res.end(b);
      }
      let outBody = up.body;
      if (unprocessed && up.status === 200) {
        const j = JSON.parse(up.body.toString() || '{}');
        j.UnprocessedItems = unprocessed;
        outBody = Buffer.from(JSON.stringify(j));
      }
      const h = { ...up.headers, 'content-length': outBody.length };
      delete h['transfer-encoding'];
      delete h.connection;
      res.writeHead(up.status, h);
      res.end(outBody);
    } catch (e) {
      res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(`proxy error: ${e.message}`);
    }
  });
  const port = await listen(server);
  cleanups.push(() => closeServer(server));
  return port;
}

// ------------------------------------------------------- Lambda emulator

// One function: a Runtime API server its bootstrap polls, a queue of
// invocations, and the bootstrap process (started on first use).
class LambdaFunction {
  constructor(name, bin, env, timeoutMs) {
    this.name = name;
    this.timeoutMs = timeoutMs || 30000;
    this.bin = bin;
    this.env = env;
    this.queue = [];
    this.waiting = [];
    this.inflight = new Map();
    this.seq = 0;
    this.proc = null;
    this.initError = null;
    this.stats = { invocations: 0, responses: 0, errors: 0, init_errors: 0, starts: 0, timeouts: 0 };
  }

  async start() {
    this.server = http.createServer((req, res) => this.runtimeApi(req, res));
    this.port = await listen(this.server);
    cleanups.push(() => closeServer(this.server));
    cleanups.push(() => this.stop());
  }

  spawnIfNeeded() {
    if (this.proc) return;
    this.stats.starts++;
    this.initError = null;
    const env = { ...this.env, AWS_LAMBDA_RUNTIME_API: `${HOST}:${this.port}`,
      AWS_LAMBDA_FUNCTION_NAME: this.name };
    const p = spawn(this.bin, [], { env, stdio: ['ignore', 'inherit', 'pipe'] });
    this.proc = p;
    p.stderr.on('data', (d) => { if (process.env.XROAD_HARNESS_VERBOSE) process.stderr.write(d); });
    p.on('error', (e) => this.exited(`spawn failed: ${e.message}`));
    p.on('exit', (code, sig) => this.exited(`exit ${code === null ? sig : code}`));
  }

  exited(why) {
    this.proc = null;
    const err = JSON.stringify({ errorType: 'Runtime.ExitError', errorMessage: `bootstrap ${why}` });
    for (const [, inv] of this.inflight) this.finish(inv, 200, { 'X-Amz-Function-Error': 'Unhandled' }, err);
    this.inflight.clear();
    if (this.initError) {
      for (const inv of this.queue.splice(0)) {
        this.finish(inv, 200, { 'X-Amz-Function-Error': 'Unhandled' }, this.initError);
      }
    }
  }

  stop() {
    return new Promise((resolve) => {
      const p = this.proc;
      if (!p) return resolve();
      const t = setTimeout(() => { try { p.kill('SIGKILL'); } catch (e) { /* gone */ } resolve(); }, 2000);
      p.once('exit', () => { clearTimeout(t); resolve(); });
      try { p.kill('SIGTERM'); } catch (e) { clearTimeout(t); resolve(); }
    });
  }

  finish(inv, status, headers, body) {
    if (inv.done) return;
    inv.done = true;
    if (inv.timer) clearTimeout(inv.timer);
    inv.res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    inv.res.end(body);
  }

  invoke(payload, res) {
    this.stats.invocations++;
    const id = `${this.name}-${++this.seq}-${process.pid}`;
    const inv = { id, payload, res, done: false };
    this.queue.push(inv);
    this.spawnIfNeeded();
    this.dispatch();
  }

  dispatch() {
    while (this.queue.length && this.waiting.length) {
      const inv = this.queue.shift();
      const res = this.waiting.shift();
      this.inflight.set(inv.id, inv);
      // Lambda's timeout: at the deadline the process is killed, the
      // invoker gets "Task timed out" (exited() answers every invocation
      // in flight), and the next invocation starts a new process.
      const deadline = Date.now() + this.timeoutMs;
      inv.timer = setTimeout(() => {
        if (inv.done) return;
        this.stats.timeouts++;
        this.inflight.delete(inv.id);
        this.finish(inv, 200, { 'X-Amz-Function-Error': 'Unhandled' }, JSON.stringify({
          errorType: 'Sandbox.Timedout',
          errorMessage: `Task timed out after ${(this.timeoutMs / 1000).toFixed(2)} seconds` }));
        const p = this.proc;
        if (p) { try { p.kill('SIGKILL'); } catch (e) { /* gone */ } }
      }, this.timeoutMs);
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Lambda-Runtime-Aws-Request-Id': inv.id,
        'Lambda-Runtime-Deadline-Ms': String(deadline),
        'Lambda-Runtime-Invoked-Function-Arn': `arn:aws:lambda:${REGION}:123456789012:function:${this.name}`,
      });
      res.end(inv.payload);
    }
  }

  async runtimeApi(req, res) {
    const body = await readBody(req);
    const base = '/2018-06-01/runtime';
    const url = req.url;
    if (req.method === 'GET' && url === `${base}/invocation/next`) {
      this.waiting.push(res);
      res.on('close', () => { this.waiting = this.waiting.filter((r) => r !== res); });
      return this.dispatch();
    }
    let m = url.match(/^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/);
    if (req.method === 'POST' && m) {
      const inv = this.inflight.get(m[1]);
      if (!inv) {
        res.writeHead(400, { 'Content-Type': 'application/json' });
        return res.end('{"errorType":"InvalidRequestID","errorMessage":"unknown request id"}');
      }
      this.inflight.delete(m[1]);
      if (m[2] === 'response') {
        this.stats.responses++;
        this.finish(inv, 200, {}, body);
      } else {
        this.stats.errors++;
        this.finish(inv, 200, { 'X-Amz-Function-Error': 'Unhandled' }, body);
      }
      res.writeHead(202, { 'Content-Type': 'application/json' });
      return res.end('{"status":"OK"}');
    }
    if (req.method === 'POST' && url === `${base}/init/error`) {
      this.stats.init_errors++;
      this.initError = body.toString();
      res.writeHead(202, { 'Content-Type': 'application/json' });
      return res.end('{"status":"OK"}');
    }
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end('{"errorType":"NotFound"}');
  }
}

async function startLambda(functions) {
  const server = http.createServer(async (req, res) => {
    const body = await readBody(req);
    if (req.url === '/__stats') {
      const s = {};
      for (const [n, f] of functions) s[n] = f.stats;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return res.end(JSON.stringify(s));
    }
    const m = req.url.match(/^\/2015-03-31\/functions\/([^/]+)\/invocations$/);
    if (req.method !== 'POST' || !m) {
      res.writeHead(404, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': 'UnknownOperationException' });
      return res.end('{"message":"unknown operation"}');
    }
    const fn = functions.get(decodeURIComponent(m[1]));
    if (!fn) {
      res.writeHead(404, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': 'ResourceNotFoundException' });
      return res.end(JSON.stringify({ Type: 'User', message: `Function not found: ${m[1]}` }));
    }
    if (!/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/lambda\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/
      .test(req.headers.authorization || '')) {
      res.writeHead(403, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': 'InvalidSignatureException' });
      return res.end('{"message":"missing or malformed SigV4 Authorization"}');
    }
    fn.invoke(body, res);
  });
  const port = await listen(server);
  cleanups.push(() => closeServer(server));
  return port;
}

// ------------------------------------------------------------------ main

async function main() {
  const argv = process.argv.slice(2);
  const sep = argv.indexOf('--');
  if (sep < 0 || sep === argv.length - 1) {
    console.error('usage: harness.js [--bootstrap NAME=PATH ...] -- COMMAND [ARGS...]');
    return 2;
  }
  const bootstraps = [];
  const fnEnv = {};
  const fnTimeout = {};
  for (let i = 0; i < sep; i++) {
    if (argv[i] === '--bootstrap' && i + 1 < sep) bootstraps.push(argv[++i]);
    else if (argv[i] === '--fn-env' && i + 1 < sep) {
      // NAME:VAR=VALUE, an environment variable for one function only
      const m = argv[++i].match(/^([^:]+):([A-Za-z_][A-Za-z0-9_]*)=(.*)$/);
      if (!m) { console.error(`harness: bad --fn-env ${argv[i]}`); return 2; }
      (fnEnv[m[1]] = fnEnv[m[1]] || {})[m[2]] = m[3];
    } else if (argv[i] === '--fn-timeout' && i + 1 < sep) {
      const m = argv[++i].match(/^([^=]+)=([0-9]+)$/);
      if (!m) { console.error(`harness: bad --fn-timeout ${argv[i]} (NAME=MS)`); return 2; }
      fnTimeout[m[1]] = Number(m[2]);
    } else { console.error(`harness: unknown argument ${argv[i]}`); return 2; }
  }
  const cmd = argv.slice(sep + 1);
  if (!fs.existsSync(NM)) {
    console.error('harness: tests/emulators/node_modules missing: run tests/emulators/install');
    return 2;
  }

  const s3 = await startS3();
  const ddb = await startDynamo();
  const sqs = await startSqs();
  const s3p = await startProxy('s3', s3);
  const ddbp = await startProxy('dynamodb', ddb);
  const sqsp = await startProxy('sqs', sqs.port);
  const env = {
    ...process.env,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'S3RVER', // s3rver's account; the others take any
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_EC2_METADATA_DISABLED: 'true',
    XROAD_S3_ENDPOINT: `http://${HOST}:${s3p}`,
    XROAD_DYNAMODB_ENDPOINT: `http://${HOST}:${ddbp}`,
    XROAD_SQS_ENDPOINT: `http://${HOST}:${sqsp}`,
    XROAD_SQS_QUEUE_URL: sqs.queueUrl,
    XROAD_SQS_DLQ_URL: sqs.dlqUrl,
    XROAD_DYNAMODB_TABLE: TABLE,
    XROAD_REPORT_FUNCTION: 'xroad-report-crossing',
    XROAD_ROUTES_SOURCE: `s3://${BUCKET}/routes.txt`,
    XROAD_FAULT_S3: `http://${HOST}:${s3p}`,
    XROAD_FAULT_DYNAMODB: `http://${HOST}:${ddbp}`,
    XROAD_FAULT_SQS: `http://${HOST}:${sqsp}`,
    XROAD_EMU_DYNAMODB: `http://${HOST}:${ddb}`,
    XROAD_EMU_SQS: `http://${HOST}:${sqs.port}`,
    XROAD_AWS_BACKOFF_BASE_MS: process.env.XROAD_AWS_BACKOFF_BASE_MS || '10',
    XROAD_AWS_BACKOFF_CAP_MS: process.env.XROAD_AWS_BACKOFF_CAP_MS || '200',
  };
  delete env.AWS_SESSION_TOKEN;
  delete env.AWS_PROFILE;
  const functions = new Map();
  for (const b of bootstraps) {
    const [name, bin] = b.split('=');
    const f = new LambdaFunction(name, path.resolve(bin), { ...env, ...(fnEnv[name] || {}) },
      fnTimeout[name]);
    await f.start();
    functions.set(name, f);
  }
  const lp = await startLambda(functions);
  env.XROAD_LAMBDA_ENDPOINT = `http://${HOST}:${lp}`;
  log('ready', { s3, ddb, sqs: sqs.port, s3p, ddbp, sqsp, lambda: lp });

  const child = spawn(cmd[0], cmd.slice(1), { env, stdio: 'inherit' });
  let childExited = false;
  child.on('exit', () => { childExited = true; });
  // On a signal or the watchdog: TERM, give it 3 s to stop what it started,
  // then KILL.
  const stopChild = () => new Promise((resolve) => {
    if (childExited) return resolve();
    const t = setTimeout(() => { try { child.kill('SIGKILL'); } catch (e) { /* gone */ } resolve(); }, 3000);
    child.once('exit', () => { clearTimeout(t); resolve(); });
    try { child.kill('SIGTERM'); } catch (e) { clearTimeout(t); resolve(); }
  });
  cleanups.push(stopChild); // cleanups run in reverse: the command stops first
  const code = await new Promise((resolve) => {
    child.on('error', (e) => { console.error(`harness: ${cmd[0]}: ${e.message}`); resolve(127); });
    child.on('exit', (c, sig) => resolve(c === null ? 128 + (sig === 'SIGKILL' ? 9 : 15) : c));
  });
  return code;
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { cleanup().finally(() => process.exit(128 + 15)); });
}
const watchdog = setTimeout(() => {
  console.error('harness: over 115 s, stopping everything');
  cleanup().finally(() => process.exit(124));
}, 115000);
watchdog.unref();

main()
  .then(async (code) => { await cleanup(); process.exit(code); })
  .catch(async (e) => {
    console.error(`harness: ${e.stack || e}`);
    await cleanup();
    process.exit(1);
  });
