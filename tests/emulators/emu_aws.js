// Unsigned AWS calls for the emulator test scripts (run under harness.js,
// which sets the endpoints): the emulators take any credentials, and the
// harness's Lambda emulator checks only the shape of SigV4's Authorization.
// These stand in for AWS's own side (the event source mapping, an operator's
// scan), never for the code under test, which signs for real.
'use strict';

const http = require('http');

function call(base, method, path, headers, body) {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method, path, headers,
      timeout: 120000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
        body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

function auth(svc) {
  const d = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  return { Authorization: `AWS4-HMAC-SHA256 Credential=S3RVER/${d.slice(0, 8)}/us-east-1/${svc}/aws4_request, ` +
    `SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`, 'X-Amz-Date': d };
}

async function json(base, svc, target, body) {
  const r = await call(base, 'POST', '/', { ...auth(svc), 'Content-Type': 'application/x-amz-json-1.0',
    'X-Amz-Target': target }, JSON.stringify(body));
  if (r.status !== 200) throw new Error(`${target}: HTTP ${r.status}: ${r.body}`);
  return JSON.parse(r.body || '{}');
}

// The emulators themselves, not the fault proxies: AWS's own consumer is not
// what the faults are about.
const sqs = (op, body) => json(process.env.XROAD_EMU_SQS, 'sqs', `AmazonSQS.${op}`, body);
const ddb = (op, body) => json(process.env.XROAD_EMU_DYNAMODB, 'dynamodb', `DynamoDB_20120810.${op}`, body);

// Lambda Invoke (RequestResponse) through the harness's Lambda emulator.
async function invoke(fn, payload) {
  const r = await call(process.env.XROAD_LAMBDA_ENDPOINT, 'POST',
    `/2015-03-31/functions/${encodeURIComponent(fn)}/invocations`,
    { ...auth('lambda'), 'Content-Type': 'application/json' }, payload);
  return { status: r.status, functionError: r.headers['x-amz-function-error'] || null, body: r.body };
}

async function lambdaStats() {
  const r = await call(process.env.XROAD_LAMBDA_ENDPOINT, 'GET', '/__stats', {});
  return JSON.parse(r.body);
}

async function fault(proxy, f) {
  const r = await call(proxy, 'POST', '/__fault', { 'Content-Type': 'application/json' }, JSON.stringify(f));
  if (r.status !== 200) throw new Error(`fault ${JSON.stringify(f)}: HTTP ${r.status}`);
}

// Every item of one run, paging through Scan.
async function scanRun(run) {
  const items = [];
  let start;
  do {
    const r = await ddb('Scan', { TableName: process.env.XROAD_DYNAMODB_TABLE,
      FilterExpression: '#r = :r', ExpressionAttributeNames: { '#r': 'run' },
      ExpressionAttributeValues: { ':r': { S: run } }, ExclusiveStartKey: start });
    items.push(...r.Items);
    start = r.LastEvaluatedKey;
  } while (start);
  return items;
}

async function queueDepth(url) {
  const r = await sqs('GetQueueAttributes', { QueueUrl: url,
    AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] });
  return Number(r.Attributes.ApproximateNumberOfMessages) +
    Number(r.Attributes.ApproximateNumberOfMessagesNotVisible);
}

module.exports = { call, sqs, ddb, invoke, lambdaStats, fault, scanRun, queueDepth };
