// Check 6: the checks bite. Each case copies terraform/ to a scratch folder,
// breaks one rule of the design there, runs the check that guards the rule
// against the copy (XROAD_TERRAFORM_DIR) and requires it to fail with the
// expected message. A check that passes a broken copy is itself broken.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const L = require("./lib");

// [what is broken, file, from (regexp), to, check script, expected FAIL text]
const CASES = [
  ["batch size 10", "lambda.tf", /batch_size\s+= 5/, "batch_size = 10", "design.js", "batch_size = 5"],
  ["no batching window", "lambda.tf", /\n\s*maximum_batching_window_in_seconds\s*=.*\n/, "\n", "design.js", "a batching window is set"],
  ["no ReportBatchItemFailures", "lambda.tf", /\["ReportBatchItemFailures"\]/, "[]", "design.js", "ReportBatchItemFailures"],
  ["no dead-letter queue", "queue.tf", /\n  redrive_policy = jsonencode\(\{[^}]*\}\)\n/, "\n", "design.js", "redrive policy"],
  ["visibility 5x", "queue.tf", /6 \* var\.store_timeout_s/, "5 * var.store_timeout_s", "design.js", "visibility timeout >= 6 x"],
  ["IMDSv1 allowed", "compute.tf", /http_tokens\s+= "required"/, 'http_tokens = "optional"', "design.js", "IMDSv2 required"],
  ["wildcard action", "iam.tf", /"sqs:SendMessage"/, '"sqs:*"', "design.js", "no wildcard action"],
  ["wildcard resource", "iam.tf", /resources = \[aws_lambda_function\.report_crossing\.arn\]/, 'resources = ["*"]', "design.js", "names a resource"],
  ["six cars by default", "variables.tf", /default     = 4\n/, "default     = 5\n", "design.js", "5 instances by default"],
  ["undeclared variable", "compute.tf", /var\.seed\b/, "var.seeds", "design.js", "every var.X referenced is declared"],
  ["unused variable", "variables.tf", /^/, 'variable "spare" {\n  description = "never used anywhere"\n  type        = string\n  default     = ""\n}\n', "design.js", "every declared variable is used"],
  ["unbound template variable", "compute.tf", /\n\s*cross_ms\s+= var\.cross_ms\n/, "\n", "design.js", "is bound"],
  ["xroadctl open to the world", "network.tf", /cidr_ipv4\s+= var\.operator_cidr\n  ip_protocol       = "tcp"\n  from_port         = var\.xroad_port/, 'cidr_ipv4 = "0.0.0.0/0"\n  ip_protocol = "tcp"\n  from_port = var.xroad_port', "design.js", "not open to the world"],
  ["public bucket", "storage.tf", /restrict_public_buckets = true/, "restrict_public_buckets = false", "design.js", "public access fully blocked"],
  ["typo in a reference", "outputs.tf", /aws_s3_object\.routes\.key/, "aws_s3_object.route.key", "design.js", "names a declared resource"],
  ["wrong node id in the unit", "templates/user_data.sh.tftpl", /--config \/etc\/xroad\/cluster\.conf --id \$\{node_id\}\nRestart/, "--config /etc/xroad/cluster.conf --id 0\nRestart", "user_data.js", "xroad.service runs xroad"],
  ["two lights", "nodes.tf", /role\s+= i == 0 \? "light" : "car"/, 'role       = i <= 1 ? "light" : "car"', "user_data.js", "follows docs/CONFIG.md"],
  ["bash syntax error", "templates/user_data.sh.tftpl", /\ndone\n/, "\ndone fi\n", "user_data.js", "bash -n accepts"],
  ["unparsable .tf", "queue.tf", /^/, 'resource "aws_sqs_queue" "x" {\n  name = \n}\n', "parse.js", "queue.tf parses"],
  ["TLS key written world-readable", "templates/user_data.sh.tftpl", /\numask 077\n/, "\n", "user_data.js", "the key is written under umask 077"],
  ["every node gets node 0's key", "compute.tf", /node-\$\{n\.id\}\.key/, "node-0.key", "user_data.js", "writes its own key"],
  ["the CA's key shipped as the CA", "compute.tf", /\/ca\.crt"\n/, '/ca.key"\n', "user_data.js", "writes the CA of tls_dir"],
  ["dynamodb:Scan granted again", "iam.tf", /"dynamodb:Query"/, '"dynamodb:Scan", "dynamodb:Query"', "iam_actions.js", "grants nothing the code does not call"],
  ["PutItem granted to store", "iam.tf", /"dynamodb:BatchWriteItem"\]/, '"dynamodb:BatchWriteItem", "dynamodb:PutItem"]', "iam_actions.js", "grants nothing the code does not call"],
  ["constant run id", "run.tf", /terraform_data\.run_id\.output/, '"aws-1"', "design.js", "generated per deployment"],
  ["run id changing at every plan", "run.tf", /\n  lifecycle \{\n    ignore_changes = \[input\]\n  \}\n/, "\n", "design.js", "the run id is kept across plans"],
  ["TLS without tls+tcp:// addresses", "nodes.tf", /local\.tls \? "tls\+tcp" : "tcp"/, '"tcp"', "user_data.js", "every address is tls+tcp://"],
];

const CHECKS = { "parse.js": require("./parse"), "design.js": require("./design"), "user_data.js": require("./user_data"), "iam_actions.js": require("./iam_actions") };

async function check(c) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "xroad-tf-mut-"));
  try {
    for (const [i, [what, file, from, to, script, expect]] of CASES.entries()) {
      const dir = path.join(root, String(i));
      fs.cpSync(L.TF_DIR, dir, { recursive: true });
      const f = path.join(dir, file);
      const before = fs.readFileSync(f, "utf8");
      const after = before.replace(from, to);
      if (!c.ok(after !== before, `${what}: the mutation applies to terraform/${file}`)) continue;
      fs.writeFileSync(f, after);
      // The guarding check, in this process (the parser and its caches are
      // shared), against the broken copy, printing nothing.
      const inner = new L.Checks(script, { quiet: true });
      await CHECKS[script](inner, dir, { quick: true }).catch((e) => inner.ok(false, "exception", String(e)));
      const hit = inner.failures.filter((l) => l.includes(expect));
      c.ok(hit.length > 0, `${what}: ${script} fails with "${expect}"`, inner.failures.slice(0, 3).join(" | ") || "no check failed");
      fs.rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

module.exports = check;
if (require.main === module) L.main("terraform-mutations", check);
