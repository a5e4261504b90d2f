#!/usr/bin/env node
// The event source mapping's stand-in for the emulator tests: what AWS runs
// between the crossings queue and store_crossings, as a separate process, so
// that the nodes (poller off, as on AWS) are not the consumer. Run under
// harness.js, which starts the store_crossings bootstrap behind its Lambda
// emulator and enforces the function's timeout by killing it.
//
//   node esm.js [--function NAME] [--batch N] [--window-ms MS]
//               [--max-receive N] [--stats FILE]
//
// As Lambda's SQS event source mapping does (AWS Lambda Developer Guide,
// "Using Lambda with Amazon SQS"):
//   - it receives from the queue (XROAD_SQS_QUEUE_URL, on the emulator
//     itself: AWS's own consumer does not go through our fault proxies) and
//     holds messages until it has --batch (5) or --window-ms (500) has passed
//     since the first one of the batch;
//   - it invokes the function (RequestResponse) with the SQS event: Records
//     with messageId, receiptHandle, body, attributes, md5OfBody,
//     eventSource, eventSourceARN, awsRegion;
//   - with ReportBatchItemFailures: it deletes the records not named in
//     batchItemFailures; an answer it cannot read, an itemIdentifier that is
//     empty or names no record, or a function error (a timeout included)
//     fails the whole batch, and nothing is deleted: the messages come back
//     after the queue's visibility timeout;
//   - the queue's redrive policy, played here because the emulator does not:
//     a message received more than --max-receive (3) times is moved to the
//     dead-letter queue (XROAD_SQS_DLQ_URL) instead of being delivered.
// On SIGTERM it finishes the batch in hand and exits, writing its counters
// to --stats as JSON.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const emu = require('./emu_aws');

const opt = { function: 'xroad-store-crossings', batch: 5, windowMs: 500, maxReceive: 3, stats: null };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const v = argv[i + 1];
  switch (argv[i]) {
    case '--function': opt.function = v; i++; break;
    case '--batch': opt.batch = Number(v); i++; break;
    case '--window-ms': opt.windowMs = Number(v); i++; break;
    case '--max-receive': opt.maxReceive = Number(v); i++; break;
    case '--stats': opt.stats = v; i++; break;
    default: console.error(`esm: unknown argument ${argv[i]}`); process.exit(2);
  }
}
if (!(opt.batch >= 1 && opt.batch <= 10) || !(opt.windowMs >= 0) || !(opt.maxReceive >= 1)) {
  console.error('esm: --batch 1..10, --window-ms >= 0, --max-receive >= 1');
  process.exit(2);
}
const QUEUE = process.env.XROAD_SQS_QUEUE_URL;
const DLQ = process.env.XROAD_SQS_DLQ_URL;
if (!QUEUE || !DLQ || !process.env.XROAD_EMU_SQS || !process.env.XROAD_LAMBDA_ENDPOINT) {
  console.error('esm: run me under harness.js (XROAD_SQS_QUEUE_URL, XROAD_SQS_DLQ_URL, XROAD_EMU_SQS, XROAD_LAMBDA_ENDPOINT)');
  process.exit(2);
}
const QUEUE_NAME = QUEUE.split('/').pop();
const stats = { receives: 0, batches: 0, records: 0, deleted: 0, item_failures: 0,
  batch_failures: 0, function_errors: 0, timeouts: 0, dead_lettered: 0, max_batch: 0 };
let stopping = false;
process.on('SIGTERM', () => { stopping = true; });
process.on('SIGINT', () => { stopping = true; });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => { if (process.env.XROAD_HARNESS_VERBOSE) console.error('esm:', ...a); };

function writeStats() {
  if (opt.stats) fs.writeFileSync(opt.stats, JSON.stringify(stats));
}

async function deadLetter(m) {
  // SQS moves the message itself; its body is kept as it was.
  await emu.sqs('SendMessage', { QueueUrl: DLQ, MessageBody: m.Body });
  await emu.sqs('DeleteMessage', { QueueUrl: QUEUE, ReceiptHandle: m.ReceiptHandle });
  stats.dead_lettered++;
  log('dead-lettered', m.MessageId);
}

async function handBatch(held) {
  stats.batches++;
  stats.records += held.length;
  stats.max_batch = Math.max(stats.max_batch, held.length);
  const event = { Records: held.map((m) => ({
    messageId: m.MessageId,
    receiptHandle: m.ReceiptHandle,
    body: m.Body,
    attributes: m.Attributes || {},
    messageAttributes: {},
    md5OfBody: crypto.createHash('md5').update(m.Body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${QUEUE_NAME}`,
    awsRegion: 'us-east-1',
  })) };
  const r = await emu.invoke(opt.function, JSON.stringify(event));
  let failed = null; // ids to keep; null: the whole batch failed
  if (r.status !== 200 || r.functionError) {
    stats.function_errors++;
    if (/Task timed out/.test(r.body)) stats.timeouts++;
    log('function error', r.body);
  } else {
    try {
      const ans = JSON.parse(r.body);
      const list = ans === null || ans.batchItemFailures === undefined || ans.batchItemFailures === null
        ? [] : ans.batchItemFailures;
      const ids = new Set(held.map((m) => m.MessageId));
      if (Array.isArray(list) && list.every((f) => f && typeof f.itemIdentifier === 'string' && ids.has(f.itemIdentifier))) {
        failed = new Set(list.map((f) => f.itemIdentifier));
      }
    } catch (e) { /* unreadable: the whole batch failed */ }
  }
  if (failed === null) {
    stats.batch_failures++;
    return;
  }
  stats.item_failures += failed.size;
  const done = held.filter((m) => !failed.has(m.MessageId));
  if (done.length) {
    const d = await emu.sqs('DeleteMessageBatch', { QueueUrl: QUEUE,
      Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) });
    stats.deleted += (d.Successful || []).length;
  }
}

async function main() {
  let held = [];
  let firstAt = 0;
  while (!stopping) {
    const want = opt.batch - held.length;
    const r = await emu.sqs('ReceiveMessage', { QueueUrl: QUEUE, MaxNumberOfMessages: want,
      WaitTimeSeconds: 0, AttributeNames: ['All'] });
    stats.receives++;
    for (const m of r.Messages || []) {
      if (Number((m.Attributes || {}).ApproximateReceiveCount || 1) > opt.maxReceive) {
        await deadLetter(m);
        continue;
      }
      if (held.length === 0) firstAt = Date.now();
      held.push(m);
    }
    if (held.length >= opt.batch || (held.length > 0 && Date.now() - firstAt >= opt.windowMs)) {
      const batch = held;
      held = [];
      await handBatch(batch);
      writeStats();
    } else if (!(r.Messages || []).length) {
      await sleep(100);
    }
  }
  // Held messages are dropped without being deleted: they come back after
  // the visibility timeout, as with a mapping that is disabled.
  writeStats();
}

main().then(() => process.exit(0), (e) => {
  console.error(`esm: ${e.stack || e}`);
  writeStats();
  process.exit(1);
});
