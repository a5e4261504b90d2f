// Issue 17: terraform/iam.tf grants exactly the actions the code calls.
// The list is derived from the C sources, not written down by hand:
//   1. src/cloud/aws_cloud.c: each backend operation (the xr_cloud_ops
//      table) and the AWS requests it sends (`.op = "..."` on an endpoint,
//      sqs_call(c, "...")), through the static functions it calls;
//   2. per role, which operations its code uses: the node (src/cmd: the
//      daemon and xroadctl, whose `log` sends ctl_log_dynamodb.c's request;
//      the queue poller is off with cloud = aws, aws_light_no_poller),
//      report_crossing and store_crossings (lambda/*.c);
//   3. API operation -> IAM action (Invoke is lambda:InvokeFunction,
//      DeleteMessageBatch is sqs:DeleteMessage).
// Grants no code makes a request for are listed below with the reason; the
// comparison with each policy document is exact both ways.
"use strict";
const fs = require("fs");
const path = require("path");
const L = require("./lib");

const SRC = L.SOURCE_DIR;
const read = (p) => fs.readFileSync(path.join(SRC, p), "utf8");
const SERVICE = { s3: "s3", sqs: "sqs", ddb: "dynamodb", lambda: "lambda" };
const IAM_NAME = { Invoke: "InvokeFunction", DeleteMessageBatch: "DeleteMessage", SendMessageBatch: "SendMessage" };

// Not requests of our code, each needed all the same:
const NOT_CODE = {
  node: { "s3:GetObjectVersion": "the user data fetches the artifact by its version (aws s3api get-object --version-id)" },
  report_crossing: {
    "logs:CreateLogStream": "Lambda writes the function's stderr to its log group with the function's role",
    "logs:PutLogEvents": "idem",
  },
  store_crossings: {
    "sqs:ReceiveMessage": "the event source mapping polls the queue with the function's role",
    "sqs:DeleteMessage": "the event source mapping deletes what the function stored",
    "sqs:GetQueueAttributes": "the event source mapping reads the queue's attributes",
    "logs:CreateLogStream": "Lambda writes the function's stderr to its log group with the function's role",
    "logs:PutLogEvents": "idem",
  },
};

// Static functions of a C file: name -> body.
function functions(text) {
  const out = {};
  const re = /^(?:static\s+)?[a-z_ ]+\*?\s*\b(\w+)\(([^;{]*)\)\s*\{/gm;
  const starts = [];
  let m;
  while ((m = re.exec(text))) starts.push({ name: m[1], at: m.index });
  starts.forEach((s, i) => { out[s.name] = text.slice(s.at, i + 1 < starts.length ? starts[i + 1].at : text.length); });
  return out;
}

// AWS actions each function sends, directly or through the file's functions.
function actionsOf(text) {
  const fns = functions(text);
  const direct = {};
  for (const [name, body] of Object.entries(fns)) {
    const acts = new Set();
    // a request's service: the endpoint the function uses (&a->s3, ...)
    const svc = /&a->(s3|sqs|ddb|lambda)\b/.exec(body);
    for (const m of body.matchAll(/\.op\s*=\s*"(\w+)"/g)) acts.add(`${svc ? SERVICE[svc[1]] : "?"}:${IAM_NAME[m[1]] || m[1]}`);
    for (const m of body.matchAll(/sqs_call\(c,\s*"(\w+)"/g)) acts.add(`sqs:${IAM_NAME[m[1]] || m[1]}`);
    direct[name] = { acts, calls: Object.keys(fns).filter((f) => f !== name && new RegExp(`\\b${f}\\(`).test(body)) };
  }
  const closure = (name, seen = new Set()) => {
    if (seen.has(name) || !direct[name]) return new Set();
    seen.add(name);
    const acts = new Set(direct[name].acts);
    for (const f of direct[name].calls) for (const a of closure(f, seen)) acts.add(a);
    return acts;
  };
  return { closure, fns };
}

async function check(c, dir = L.TF_DIR) {
  const cloudSrc = read("src/cloud/aws_cloud.c");
  const { closure } = actionsOf(cloudSrc);
  const table = /static const struct xr_cloud_ops aws_ops = \{([\s\S]*?)\};/.exec(cloudSrc);
  if (!c.ok(table, "src/cloud/aws_cloud.c has its ops table")) return;
  const opFn = Object.fromEntries([...table[1].matchAll(/\.(\w+)\s*=\s*(aws_\w+)/g)].map((m) => [m[1], m[2]]));
  const opActs = Object.fromEntries(Object.entries(opFn).map(([op, fn]) => [op, [...closure(fn)]]));
  c.ok(opActs.fetch.includes("s3:GetObject") && opActs.table_put.includes("dynamodb:BatchWriteItem"), "the derivation finds the requests (fetch: s3:GetObject, table_put: dynamodb:BatchWriteItem)", JSON.stringify(opActs));
  console.log(`operations -> requests: ${Object.entries(opActs).filter(([, a]) => a.length).map(([o, a]) => `${o}: ${a.join(" ")}`).join("; ")}`);

  const usedOps = (files) => {
    const ops = new Set();
    for (const f of files) for (const m of read(f).matchAll(/ops->(\w+)\s*\(/g)) ops.add(m[1]);
    return ops;
  };
  const cmdFiles = fs.readdirSync(path.join(SRC, "src/cmd")).filter((f) => f.endsWith(".c")).map((f) => `src/cmd/${f}`);
  const ctlDdb = read("src/cmd/ctl_log_dynamodb.c");
  const ctlActs = [...ctlDdb.matchAll(/\.op\s*=\s*"(\w+)"/g)].map((m) => `dynamodb:${IAM_NAME[m[1]] || m[1]}`);
  const code = {
    node: new Set([...usedOps(cmdFiles)].flatMap((o) => opActs[o] || []).concat(ctlActs)),
    report_crossing: new Set([...usedOps(["lambda/report_crossing.c"])].flatMap((o) => opActs[o] || [])),
    store_crossings: new Set([...usedOps(["lambda/store_crossings.c"])].flatMap((o) => opActs[o] || [])),
  };
  c.ok(!code.node.has("sqs:ReceiveMessage"), "the node code sends no ReceiveMessage of its own (the poller is not reached through ops-> in src/cmd)", [...code.node].join(" "));

  const { model, errors } = await L.loadConfig(dir);
  if (!c.ok(errors.length === 0, "terraform/ parses", errors.join("; "))) return;
  for (const [role, acts] of Object.entries(code)) {
    const want = new Set([...acts, ...Object.keys(NOT_CODE[role])]);
    const d = model.data[`data.aws_iam_policy_document.${role}`];
    if (!c.ok(d, `terraform/iam.tf has the ${role} policy document`)) continue;
    const have = new Set(d.body.statement.flatMap((s) => s.actions));
    const extra = [...have].filter((a) => !want.has(a));
    const missing = [...want].filter((a) => !have.has(a));
    console.log(`${role}: the code calls ${[...acts].sort().join(", ")}; plus ${Object.keys(NOT_CODE[role]).join(", ")}`);
    c.ok(extra.length === 0, `${role}: iam.tf grants nothing the code does not call (or the list above explains)`, `extra: ${extra.join(", ")}`);
    c.ok(missing.length === 0, `${role}: iam.tf grants everything the code calls`, `missing: ${missing.join(", ")}`);
  }
}

module.exports = check;
if (require.main === module) L.main("iam-actions", check);
