#!/usr/bin/env node
// Issue 17: store_crossings within its Lambda deadline. Run under harness.js
// with the real store_crossings bootstrap as xroad-store-crossings (function
// timeout 3000 ms, margin 500 ms) and hang_bootstrap.js as xroad-hang
// (timeout 500 ms).
//
// 1. The harness enforces timeouts: xroad-hang is killed at 500 ms and the
//    invoker gets "Task timed out" (otherwise step 2 proves nothing).
// 2. DynamoDB slowed to 4 s per BatchWriteItem, past the deadline: the
//    function still answers, before its deadline, naming all 5 records in
//    batchItemFailures (it used to run into the kill: the whole batch came
//    back as a function error and counted toward maxReceiveCount).
// 3. DynamoDB back to normal: the same event stores all 5, once each.
// 4. report_crossing (timeout 3000 ms) against SQS slowed to 4 s: it
//    answers before its deadline with its own error (XR_ETIMEDOUT), which
//    the node retries, instead of being killed.
'use strict';
const emu = require('./emu_aws');

function fail(msg) { console.error(`test-store-deadline: FAIL: ${msg}`); process.exit(1); }

async function main() {
  const t0 = Date.now();
  const hung = await emu.invoke('xroad-hang', '{}');
  const hungMs = Date.now() - t0;
  console.log(`hang: ${hungMs} ms, ${hung.functionError}: ${hung.body}`);
  if (hung.functionError !== 'Unhandled' || !hung.body.includes('Task timed out') || hungMs > 2000) {
    fail('the harness did not kill a function at its timeout');
  }

  const run = `deadline-${process.pid}`;
  const ids = [1, 2, 3, 4, 5].map((i) => `msg-${i}`);
  const event = JSON.stringify({ Records: ids.map((id, i) => ({
    messageId: id, receiptHandle: `rh-${i}`, eventSource: 'aws:sqs', awsRegion: 'us-east-1',
    body: JSON.stringify({ run, round: 1, car: i + 1, approach: 'SENW'[i % 4], turn: 'left',
      index: i, crossed_ms: 1700000000000 + i, after_deadlock: false }),
  })) });

  await emu.fault(process.env.XROAD_FAULT_DYNAMODB, { mode: 'delay', ms: 4000, count: 50, match: 'BatchWriteItem' });
  const t1 = Date.now();
  const slow = await emu.invoke('xroad-store-crossings', event);
  const slowMs = Date.now() - t1;
  console.log(`slowed DynamoDB: answered in ${slowMs} ms (timeout 3000, margin 500): ${slow.functionError || 'ok'} ${slow.body}`);
  if (slow.functionError) fail(`the function failed instead of answering in time: ${slow.body}`);
  if (slowMs >= 3000) fail(`answered after its deadline (${slowMs} ms)`);
  const named = (JSON.parse(slow.body).batchItemFailures || []).map((f) => f.itemIdentifier).sort();
  if (JSON.stringify(named) !== JSON.stringify(ids)) fail(`batchItemFailures ${JSON.stringify(named)}, want all 5`);
  const st = (await emu.lambdaStats())['xroad-store-crossings'];
  if (st.timeouts !== 0) fail(`the function was killed ${st.timeouts} time(s)`);

  await emu.call(process.env.XROAD_FAULT_DYNAMODB, 'POST', '/__clear', {}, '{}');
  const ok = await emu.invoke('xroad-store-crossings', event);
  console.log(`normal DynamoDB: ${ok.functionError || 'ok'} ${ok.body}`);
  if (ok.functionError || (JSON.parse(ok.body).batchItemFailures || []).length !== 0) {
    fail(`the same batch did not store: ${ok.body}`);
  }
  const items = await emu.scanRun(run);
  const keys = new Set(items.map((it) => it.round_car.S));
  console.log(`table: ${items.length} items of run ${run}, ${keys.size} distinct`);
  if (items.length !== 5 || keys.size !== 5) fail('want exactly 5 items');

  await emu.fault(process.env.XROAD_FAULT_SQS, { mode: 'delay', ms: 4000, count: 50, match: 'SendMessage' });
  const t2 = Date.now();
  const rep = await emu.invoke('xroad-report-crossing', JSON.parse(event).Records[0].body);
  const repMs = Date.now() - t2;
  console.log(`slowed SQS: report_crossing answered in ${repMs} ms (timeout 3000, margin 500): ${rep.functionError} ${rep.body}`);
  if (rep.functionError !== 'Unhandled' || !/XR_ETIMEDOUT/.test(rep.body) || repMs >= 3000) {
    fail('report_crossing did not answer with its own timeout error before its deadline');
  }
  if ((await emu.lambdaStats())['xroad-report-crossing'].timeouts !== 0) fail('report_crossing was killed');
  await emu.call(process.env.XROAD_FAULT_SQS, 'POST', '/__clear', {}, '{}');
  console.log('test-store-deadline: ok');
}

main().catch((e) => fail(e.stack || String(e)));
