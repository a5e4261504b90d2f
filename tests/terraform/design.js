// Check 2: reads the parsed configuration of terraform/ and checks the design
// of issue 5: the node count, the queue and its dead-letter queue, the event
// source mapping, IMDSv2, least-privilege IAM, the network exposure, and the
// hygiene of variables, locals, references and templatefile() calls.
"use strict";
const fs = require("fs");
const path = require("path");
const L = require("./lib");

const OPERATOR = "203.0.113.7/32"; // the one variable without a default

async function check(c, dir = L.TF_DIR) {
  const { model, errors, files } = await L.loadConfig(dir);
  if (!c.ok(errors.length === 0, "every .tf file parses", errors.join("; "))) return;
  c.ok(model.dup.length === 0, "no block is declared twice", model.dup.join(", "));
  const ev = (vars = {}) => new L.Evaluator(model, { tfDir: dir, vars: { operator_cidr: OPERATOR, ...vars } });
  const E = ev();
  const res = (key) => model.resources[key];
  const one = (type) => L.resourcesOfType(model, type);

  // ---- the nodes ----
  await c.run("nodes", async () => {
    const inst = one("aws_instance");
    c.ok(inst.length === 1, "exactly one aws_instance definition (count/for_each)", `found ${inst.length}`);
    const node = inst[0];
    const countExpr = node.body.count !== undefined ? node.body.count : node.body.for_each;
    c.ok(countExpr !== undefined, "the aws_instance is counted");
    const n = await E.value(node.body.count, {});
    c.ok(n === 5, "5 instances by default", `count = ${n}`);
    const nodes = await E.local("nodes");
    const roles = nodes.map((x) => x.role);
    c.ok(roles.filter((r) => r === "light").length === 1 && roles[0] === "light", "node 0 is the one light");
    c.ok(roles.filter((r) => r === "car").length === 4, "4 cars by default (var.cars)");
    c.ok(nodes.every((x, i) => x.id === i), "node ids are 0..n-1");
    c.ok(new Set(nodes.map((x) => x.private_ip)).size === nodes.length, "every node has its own fixed private IP");
    const n2 = await ev({ cars: 7 }).value(node.body.count, {});
    c.ok(n2 === 8, "cars = 7 gives 8 instances", `count = ${n2}`);
    c.ok(node.body.private_ip !== undefined && /local\.nodes\[count\.index\]\.private_ip/.test(node.body.private_ip), "each instance is pinned to its node's private IP");
    const subnet = await E.value(res("aws_subnet.nodes").body.cidr_block, {});
    const inSubnet = (ip) => L.cidrhost(subnet, 0).split(".").slice(0, 3).join(".") === ip.split(".").slice(0, 3).join(".");
    c.ok(nodes.every((x) => inSubnet(x.private_ip)), `node IPs lie in the owned subnet ${subnet}`);
    c.ok(nodes.every((x) => Number(x.private_ip.split(".")[3]) >= 4), "node IPs avoid the 4 addresses AWS reserves at the start of a subnet");
    const mo = (node.body.metadata_options || [])[0] || {};
    c.ok(mo.http_tokens === "required", "IMDSv2 required (metadata_options.http_tokens)", JSON.stringify(mo));
    c.ok(mo.http_endpoint !== "disabled", "the metadata endpoint stays on (the role's credentials come from it)");
    c.ok(/templatefile\(/.test(node.body.user_data || ""), "user data comes from templatefile()");
    c.ok(node.body.user_data_replace_on_change === true, "user data changes replace the instance (it only runs at first boot)");
    c.ok(/aws_iam_instance_profile\./.test(node.body.iam_instance_profile || ""), "instances carry the instance profile");
    const ami = model.data["data.aws_ami.debian"];
    c.ok(ami && /data\.aws_ami\./.test(node.body.ami), "the AMI comes from an aws_ami data source");
    c.ok(one("aws_launch_template").length === 0, "no launch template that could bypass these settings");
  });

  // ---- queue, dead-letter queue, event source mapping, Lambdas ----
  await c.run("queue and lambdas", async () => {
    const esms = one("aws_lambda_event_source_mapping");
    c.ok(esms.length === 1, "one event source mapping");
    const esm = esms[0].body;
    c.ok(esm.batch_size === 5, "event source mapping batch_size = 5", `batch_size = ${esm.batch_size}`);
    const win = await E.value(esm.maximum_batching_window_in_seconds, {});
    c.ok(typeof win === "number" && win >= 1, "a batching window is set", `maximum_batching_window_in_seconds = ${win}`);
    c.ok(Array.isArray(esm.function_response_types) && esm.function_response_types.includes("ReportBatchItemFailures"), "function_response_types = [ReportBatchItemFailures]");
    const qm = /^\$\{aws_sqs_queue\.(\w+)\.arn\}$/.exec(esm.event_source_arn || "");
    c.ok(qm, "the mapping reads an aws_sqs_queue of this configuration", esm.event_source_arn);
    const fm = /^\$\{aws_lambda_function\.(\w+)\.(arn|function_name)\}$/.exec(esm.function_name || "");
    c.ok(fm && fm[1] === "store_crossings", "the mapping feeds store_crossings", esm.function_name);
    const queue = res(`aws_sqs_queue.${qm[1]}`);
    c.ok(queue && queue.body.redrive_policy, "the source queue has a redrive policy");
    const rp = await E.value(queue.body.redrive_policy, {});
    const policy = JSON.parse(rp);
    const dlqName = /:aws_sqs_queue\/(.+)$/.exec(policy.deadLetterTargetArn || "");
    const dlqs = one("aws_sqs_queue").filter((q) => q.name !== qm[1]);
    const dlqNames = await Promise.all(dlqs.map((q) => E.value(q.body.name, {})));
    c.ok(dlqName && dlqNames.includes(dlqName[1]), "the redrive policy targets the dead-letter queue of this configuration", rp);
    c.ok(Number.isInteger(policy.maxReceiveCount) && policy.maxReceiveCount >= 1, "maxReceiveCount is set", rp);
    const fn = res(`aws_lambda_function.${fm[1]}`);
    for (const vars of [{}, { store_timeout_s: 120, batching_window_s: 300 }, { store_timeout_s: 1, batching_window_s: 1 }]) {
      const e = ev(vars);
      const vis = await e.value(queue.body.visibility_timeout_seconds, {});
      const to = await e.value(fn.body.timeout, {});
      const w = await e.value(esm.maximum_batching_window_in_seconds, {});
      c.ok(vis >= 6 * to, `visibility timeout >= 6 x store_crossings timeout ${JSON.stringify(vars)}`, `${vis} < 6 x ${to}`);
      c.ok(vis >= 6 * to + w, `visibility timeout covers the batching window too ${JSON.stringify(vars)}`, `${vis} < 6 x ${to} + ${w}`);
      c.ok(vis <= 43200, `visibility timeout within the SQS maximum ${JSON.stringify(vars)}`, `${vis}`);
    }
    for (const f of one("aws_lambda_function")) {
      const b = f.body;
      c.ok(b.runtime === "provided.al2023", `${f.name}: runtime provided.al2023`, b.runtime);
      c.ok(b.handler === "bootstrap", `${f.name}: handler bootstrap`, b.handler);
      c.ok(/source_code_hash|filebase64sha256/.test(JSON.stringify(b.source_code_hash || "")), `${f.name}: source_code_hash set from the zip`);
      const file = await E.value(b.filename, {});
      c.ok(file.endsWith(`/dist/lambda/${f.name}-x86_64.zip`), `${f.name}: deploys dist/lambda/${f.name}-<arch>.zip (tools/package-lambdas)`, file);
      c.ok(/\barchitectures\b/.test(JSON.stringify(Object.keys(b))), `${f.name}: architecture set`);
    }
    c.ok(["report_crossing", "store_crossings"].every((n) => res(`aws_lambda_function.${n}`)), "both Lambdas are defined");
  });

  // ---- table and bucket ----
  await c.run("table and bucket", async () => {
    const tables = one("aws_dynamodb_table");
    c.ok(tables.length === 1, "one DynamoDB table");
    const t = tables[0].body;
    c.ok(t.billing_mode === "PAY_PER_REQUEST", "the table is on-demand (PAY_PER_REQUEST)");
    const attrs = Object.fromEntries((t.attribute || []).map((a) => [a.name, a.type]));
    c.ok(t.hash_key === "run" && attrs.run === "S", "hash key run (S)");
    c.ok(t.range_key === "round_car" && attrs.round_car === "S", "range key round_car (S)");
    const buckets = one("aws_s3_bucket");
    c.ok(buckets.length === 1, "one S3 bucket");
    const b = buckets[0].name;
    const on = (type) => one(type).find((r) => (r.body.bucket || "").includes(`aws_s3_bucket.${b}.`));
    const pab = on("aws_s3_bucket_public_access_block");
    c.ok(pab && ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"].every((k) => pab.body[k] === true), "public access fully blocked");
    const ver = on("aws_s3_bucket_versioning");
    c.ok(ver && ver.body.versioning_configuration[0].status === "Enabled", "versioning enabled");
    const sse = on("aws_s3_bucket_server_side_encryption_configuration");
    c.ok(sse && sse.body.rule[0].apply_server_side_encryption_by_default[0].sse_algorithm, "default encryption configured");
    c.ok(one("aws_s3_bucket_acl").length === 0 && one("aws_s3_bucket_policy").length === 0, "no ACL or bucket policy that could open the bucket");
    const objs = one("aws_s3_object");
    c.ok(objs.length === 2 && res("aws_s3_object.routes") && res("aws_s3_object.xroad_artifact"), "the bucket holds the routes file and the xroad artifact");
    const routes = await E.value(res("aws_s3_object.routes").body.source, {});
    c.ok(fs.existsSync(routes), "the default routes file exists", routes);
    const art = await E.value(res("aws_s3_object.xroad_artifact").body.source, {});
    c.ok(/\.tar\.gz$/.test(art), "the artifact is a tarball path", art);
  });

  // ---- network exposure ----
  await c.run("network", async () => {
    c.ok(one("aws_vpc").length === 1 && one("aws_subnet").length === 1 && one("aws_internet_gateway").length === 1 && one("aws_route_table").length === 1, "one VPC, subnet, internet gateway and route table");
    c.ok(one("aws_route_table_association").length === 1, "the subnet uses the route table");
    const sgs = one("aws_security_group");
    c.ok(sgs.length === 1, "one security group");
    const sg = sgs[0];
    c.ok(!sg.body.ingress && !sg.body.egress, "no inline rules (they fight the rule resources)");
    const ingress = one("aws_vpc_security_group_ingress_rule");
    const self = ingress.filter((r) => r.body.referenced_security_group_id === `\${aws_security_group.${sg.name}.id}`);
    c.ok(self.length === 1, "nng ports open between the nodes only (self-referencing rule)");
    if (self.length === 1) {
      const from = await E.value(self[0].body.from_port, {});
      const to = await E.value(self[0].body.to_port, {});
      c.ok(from === 7100 && to === 7101, "node-to-node rule covers request and wave ports", `${from}-${to}`);
    }
    for (const r of ingress) {
      const cidr = r.body.cidr_ipv4 !== undefined ? await E.value(r.body.cidr_ipv4, {}) : null;
      c.ok(cidr === null || r.body.cidr_ipv4 === "${var.operator_cidr}", `${r.name}: reachable only from var.operator_cidr or the cluster`, r.body.cidr_ipv4);
      c.ok(cidr !== "0.0.0.0/0" && r.body.cidr_ipv6 === undefined, `${r.name}: not open to the world`);
      if (cidr !== null) {
        const from = await E.value(r.body.from_port, {});
        const to = await E.value(r.body.to_port, {});
        c.ok((from === 7100 && to === 7100) || (from === 22 && to === 22), `${r.name}: operator gets the xroadctl port or ssh only`, `${from}-${to}`);
      }
    }
    const ssh = ingress.filter((r) => r.body.from_port === 22);
    c.ok(ssh.length <= 1 && ssh.every((r) => /ssh_key_name/.test(String(r.body.count))), "ssh is optional (only with ssh_key_name)");
    const sshCount = ssh.length ? await E.value(ssh[0].body.count, {}) : 0;
    c.ok(sshCount === 0, "ssh closed by default");
  });

  // ---- IAM ----
  await c.run("iam", async () => {
    const docs = Object.values(model.data).filter((d) => d.type === "aws_iam_policy_document");
    let statements = 0;
    for (const d of docs) {
      for (const [i, s] of (d.body.statement || []).entries()) {
        statements++;
        const where = `${d.name} statement ${s.sid || i}`;
        const actions = s.actions || [];
        c.ok(!s.not_actions && !s.not_resources, `${where}: no NotAction/NotResource`);
        c.ok(actions.length > 0 && actions.every((a) => !a.includes("*")), `${where}: no wildcard action`, actions.join(" "));
        c.ok(!s.effect || s.effect === "Allow", `${where}: Allow statement`);
        const isAssume = actions.length === 1 && actions[0] === "sts:AssumeRole";
        if (isAssume) {
          c.ok(!s.resources && (s.principals || []).every((p) => p.type === "Service" && p.identifiers.every((x) => x.endsWith(".amazonaws.com"))), `${where}: trust policy names one AWS service`);
          continue;
        }
        const resources = s.resources || [];
        c.ok(resources.length > 0, `${where}: names its resources`);
        for (const r of resources) {
          // The one documented "*": a log group's streams, whose names Lambda picks.
          const logStreams = /^\$\{aws_cloudwatch_log_group\.\w+\.arn\}:\*$/.test(r) && actions.every((a) => a.startsWith("logs:"));
          c.ok(!r.includes("*") || logStreams, `${where}: resource ${r} names a resource`);
          c.ok(/^\$\{(aws_[a-z0-9_]+)\.\w+\.arn\}/.test(r), `${where}: resource ${r} is an ARN of this configuration`);
        }
      }
    }
    c.ok(statements >= 8, `policy documents checked (${statements} statements)`);
    c.ok(one("aws_iam_policy_attachment").length === 0 && one("aws_iam_role_policy_attachment").length === 0, "no managed policy attached (AWS managed policies use wildcards)");
    const inline = [...one("aws_iam_role_policy"), ...one("aws_iam_policy")];
    c.ok(inline.every((p) => /^\$\{data\.aws_iam_policy_document\.\w+\.json\}$/.test(p.body.policy)), "every policy is a checked aws_iam_policy_document");
    for (const r of one("aws_iam_role"))
      c.ok(/^\$\{data\.aws_iam_policy_document\.\w+\.json\}$/.test(r.body.assume_role_policy) && !r.body.inline_policy && !r.body.managed_policy_arns, `role ${r.name}: trust policy from a document, no inline/managed policies`);
    // Who may do what, exactly.
    const grants = async (doc) => {
      const d = model.data[`data.aws_iam_policy_document.${doc}`];
      const out = [];
      for (const s of d.body.statement) for (const a of s.actions) for (const r of s.resources || []) out.push(`${a} ${r}`);
      return out.sort();
    };
    const expect = {
      node: ["s3:GetObject", "s3:GetObjectVersion", "lambda:InvokeFunction", "dynamodb:Query"],
      report_crossing: ["sqs:SendMessage", "logs:CreateLogStream", "logs:PutLogEvents"],
      store_crossings: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "dynamodb:BatchWriteItem", "logs:CreateLogStream", "logs:PutLogEvents"],
    };
    for (const [doc, actions] of Object.entries(expect)) {
      const g = await grants(doc);
      const have = [...new Set(g.map((x) => x.split(" ")[0]))].sort();
      c.ok(JSON.stringify(have) === JSON.stringify([...actions].sort()), `${doc} role may do exactly: ${actions.join(", ")}`, have.join(", "));
    }
    const node = await grants("node");
    c.ok(node.filter((x) => x.startsWith("s3:GetObject ")).every((x) => /aws_s3_bucket\.\w+\.arn\}\/\$\{aws_s3_object\.(routes|xroad_artifact)\.key\}$/.test(x)), "nodes read only the two objects", node.join("; "));
    c.ok(node.some((x) => x === "lambda:InvokeFunction ${aws_lambda_function.report_crossing.arn}"), "nodes invoke report_crossing only");
    const rep = await grants("report_crossing");
    c.ok(rep.includes("sqs:SendMessage ${aws_sqs_queue.crossings.arn}"), "report_crossing sends to the crossings queue only");
    const st = await grants("store_crossings");
    c.ok(st.includes("dynamodb:BatchWriteItem ${aws_dynamodb_table.crossings.arn}"), "store_crossings writes the crossings table only");
    for (const [fn, doc] of [["report_crossing", "report_crossing"], ["store_crossings", "store_crossings"]]) {
      const f = res(`aws_lambda_function.${fn}`);
      c.ok(f.body.role === `\${aws_iam_role.${doc}.arn}`, `${fn} runs with its own role`);
      const lg = (await grants(doc)).filter((x) => x.startsWith("logs:"));
      c.ok(lg.every((x) => x.endsWith(`aws_cloudwatch_log_group.${fn}.arn}:*`)), `${fn} writes only its own log group`, lg.join("; "));
    }
  });

  // ---- mutual TLS (var.tls_dir) ----
  await c.run("tls", async () => {
    const dir = L.genCerts(5);
    const T = ev({ tls_dir: dir });
    const nodes = await T.local("nodes");
    c.ok(nodes.every((n) => n.address.startsWith("tls+tcp://")), "tls_dir set: every node address is tls+tcp://");
    c.ok((await E.local("nodes")).every((n) => n.address.startsWith("tcp://")), "tls_dir empty: every node address is tcp://");
    // The operator's configuration: public addresses, the CA where
    // gen-certs left it, xroadctl's certificate beside it.
    const op = L.checkClusterConf(await T.local("operator_conf"), "operator.conf");
    c.ok(op.errors.length === 0, "the operator's configuration with TLS follows docs/CONFIG.md", op.errors.join("; "));
    c.ok(op.settings.tls_ca === path.join(dir, "ca.crt") && !op.settings.tls_cert, "the operator's configuration names tls_dir's CA by its absolute path (xroadctl finds ctl.crt beside it)", JSON.stringify(op.settings));
    c.ok(op.nodes.every((n) => /^tls\+tcp:\/\/198\.51\.100\.\d+:7100$/.test(n.address)), "the operator reaches the nodes' public addresses over tls+tcp://", op.nodes.map((n) => n.address).join(" "));
    const plain = L.checkClusterConf(await E.local("operator_conf"), "operator.conf");
    c.ok(!plain.settings.tls_ca && plain.nodes.every((n) => n.address.startsWith("tcp://")), "without tls_dir the operator's configuration has no TLS");
    const ssh = await ev({ tls_dir: dir, ssh_key_name: "k" }).value(model.outputs.ssh_xroadctl_command.body.value, {});
    c.ok(/ sudo xroadctl /.test(ssh), "with TLS, xroadctl on an instance runs under sudo (the node's key is not the login user's)", ssh);
    // Nothing new may read the keys: TLS adds no S3 object and no grant.
    c.ok(one("aws_s3_object").every((o) => !/tls/.test(JSON.stringify(o.body))), "no certificate or key goes to S3");
    const inst = one("aws_instance")[0];
    const pre = JSON.stringify((inst.body.lifecycle || [])[0] || {});
    c.ok(/fileexists/.test(pre) && /tls_files/.test(pre), "a precondition names the missing TLS file before anything is created");
  });

  // ---- variables, locals, references ----
  await c.run("references", async () => {
    const used = new Map(); // var name -> files
    const localsUsed = new Set();
    const bad = [];
    const declared = (parts) => {
      const [a, b, cc] = parts;
      if (["var", "local", "path", "count", "each", "self", "terraform"].includes(a)) return true;
      if (a === "data") return !!model.data[`data.${b}.${cc}`];
      return !!model.resources[`${a}.${b}`];
    };
    const scan = async (value, where, skipVarSelf) => {
      for (const parts of await L.references(value)) {
        if (parts[0] === "var" && parts[1] !== skipVarSelf) {
          if (!used.has(parts[1])) used.set(parts[1], new Set());
          used.get(parts[1]).add(where);
        }
        if (parts[0] === "local") localsUsed.add(parts[1]);
        if (!declared(parts)) bad.push(`${where}: ${parts.join(".")}`);
        if (parts[0] === "local" && !model.locals[parts[1]]) bad.push(`${where}: local.${parts[1]} not declared`);
      }
    };
    // lifecycle.ignore_changes lists attribute names, not references
    const noIgnore = (b) => (b.lifecycle === undefined ? b : { ...b, lifecycle: [].concat(b.lifecycle).map((l) => ({ ...l, ignore_changes: undefined })) });
    for (const [k, r] of Object.entries(model.resources)) await scan(noIgnore(r.body), `${r.file} ${k}`);
    for (const [k, r] of Object.entries(model.data)) await scan(r.body, `${r.file} ${k}`);
    for (const [k, o] of Object.entries(model.outputs)) await scan(o.body, `${o.file} output ${k}`);
    for (const [k, l] of Object.entries(model.locals)) await scan(l.expr, `${l.file} local ${k}`);
    for (const [k, v] of Object.entries(model.variables)) await scan({ ...v.body, type: undefined }, `${v.file} variable ${k}`, k);
    for (const json of Object.values(files)) for (const p of Object.values(json.provider || {})) await scan(p, "provider");
    const undeclared = [...used.keys()].filter((k) => !model.variables[k]);
    c.ok(undeclared.length === 0, "every var.X referenced is declared", undeclared.map((k) => `var.${k} in ${[...used.get(k)].join(", ")}`).join("; "));
    const unused = Object.keys(model.variables).filter((k) => !used.has(k));
    c.ok(unused.length === 0, "every declared variable is used", unused.join(", "));
    const unusedLocals = Object.keys(model.locals).filter((k) => !localsUsed.has(k));
    c.ok(unusedLocals.length === 0, "every local is used", unusedLocals.join(", "));
    c.ok(bad.length === 0, "every reference names a declared resource, data source or local", bad.join("; "));
    for (const [k, v] of Object.entries(model.variables)) {
      c.ok(typeof v.body.description === "string" && v.body.description.length > 10, `variable ${k} has a description`);
      c.ok(typeof v.body.type === "string", `variable ${k} has a type`);
    }
    const withValidation = Object.values(model.variables).filter((v) => v.body.validation).length;
    c.ok(withValidation >= 10, `variables are validated (${withValidation} with validation blocks)`);
    const noDefault = Object.keys(model.variables).filter((k) => !("default" in model.variables[k].body));
    c.ok(JSON.stringify(noDefault) === '["operator_cidr"]', "only operator_cidr must be given", noDefault.join(", "));
    for (const [k, o] of Object.entries(model.outputs)) c.ok(typeof o.body.description === "string", `output ${k} has a description`);
    const outs = ["nodes", "private_ips", "public_ips", "xroadctl_command", "table_name", "queue_name", "queue_url", "bucket", "run_id"];
    // Issue 17: one run id per deployment, made by terraform, in the
    // nodes' and the operator's configuration; a given run_id wins.
    const E0 = ev({});
    const runOut = await E0.value(model.outputs.run_id.body.value, {});
    c.ok(/^aws-\d{8}-\d{6}$/.test(runOut), "by default the run id is generated per deployment (aws-YYYYMMDD-hhmmss)", runOut);
    const nodeConf = L.checkClusterConf(await E0.local("cluster_conf"), "cluster.conf");
    const opConf = L.checkClusterConf(await E0.local("operator_conf"), "operator.conf");
    c.ok(nodeConf.settings.run === runOut && opConf.settings.run === runOut, "the nodes and the operator's configuration carry the generated run id", `${nodeConf.settings.run} ${opConf.settings.run}`);
    const named = await ev({ run_id: "mine-1" }).value(model.outputs.run_id.body.value, {});
    c.ok(named === "mine-1", "-var run_id=... names the run", named);
    const rt = model.resources["terraform_data.run_id"];
    const life = rt ? [].concat(rt.body.lifecycle || [])[0] || {} : {};
    const trig = rt ? JSON.stringify(rt.body.triggers_replace || "") : "";
    c.ok(rt && /input/.test(JSON.stringify(life.ignore_changes || "")) && /aws_s3_object\.xroad_artifact\.version_id/.test(trig) && /data\.aws_ami\.debian\.id/.test(trig),
      "the run id is kept across plans (ignore_changes = [input]) and made anew with new instances (new artifact, AMI, ...)", trig);
    c.ok(outs.every((o) => model.outputs[o]), `outputs ${outs.join(", ")} exist`, outs.filter((o) => !model.outputs[o]).join(", "));
  });

  // ---- templatefile() calls: every template variable bound, no stray key ----
  await c.run("templatefile", async () => {
    const calls = [];
    const collect = async (value, where) => {
      for (const f of await L.functionCalls(value)) if (f.name === "templatefile") calls.push({ f, where });
    };
    for (const [k, r] of Object.entries(model.resources)) await collect(r.body, `${r.file} ${k}`);
    for (const [k, l] of Object.entries(model.locals)) await collect(l.expr, `${l.file} local.${k}`);
    for (const [k, o] of Object.entries(model.outputs)) await collect(o.body, `${o.file} output ${k}`);
    c.ok(calls.length >= 2, `templatefile() calls found (${calls.length})`);
    for (const { f, where } of calls) {
      const [pathNode, varsNode] = f.node.children;
      const file = await E.node(pathNode, {});
      const rel = path.relative(L.SOURCE_DIR, file);
      if (!c.ok(fs.existsSync(file), `${where}: template ${rel} exists`)) continue;
      c.ok(varsNode && varsNode.type === "object", `${where}: variables given as an object literal`);
      const given = new Set(Object.keys(varsNode.meta.items));
      const wanted = await L.templateVariables(fs.readFileSync(file, "utf8"), rel);
      const missing = [...wanted].filter((v) => !given.has(v));
      const extra = [...given].filter((v) => !wanted.has(v));
      c.ok(missing.length === 0, `${where}: every variable of ${rel} is bound`, `missing ${missing.join(", ")}`);
      c.ok(extra.length === 0, `${where}: no variable given that ${rel} does not use`, `extra ${extra.join(", ")}`);
    }
  });

  // ---- versions ----
  await c.run("versions", async () => {
    const tf = Object.values(files).flatMap((j) => j.terraform || []);
    c.ok(tf.some((t) => /^>=\s*1\.5/.test(t.required_version || "")), "required_version >= 1.5");
    const aws = tf.flatMap((t) => t.required_providers || []).map((p) => p.aws).find(Boolean);
    c.ok(aws && aws.source === "hashicorp/aws" && aws.version, "hashicorp/aws provider pinned to a range", JSON.stringify(aws));
  });

}

module.exports = check;
if (require.main === module) L.main("terraform-design", check);
