// Check 3: renders the user data of the light and of every car the way
// `terraform apply` would (templatefile() over the real expressions of
// compute.tf, with stand-ins only for what AWS computes), then checks that
// each script is valid bash, starts the right node with the right role, and
// writes a cluster configuration that follows docs/CONFIG.md.
// The rendered files are left in $XROAD_BUILD_DIR/tests/terraform-rendered/.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawnSync } = require("child_process");
const L = require("./lib");

function outDir() {
  const base = fs.existsSync(L.BUILD_DIR) ? path.join(L.BUILD_DIR, "tests") : os.tmpdir();
  const dir = path.join(base, "terraform-rendered");
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

async function check(c, dir = L.TF_DIR, opts = {}) {
  const { model, errors } = await L.loadConfig(dir);
  if (!c.ok(errors.length === 0, "every .tf file parses", errors.join("; "))) return;
  const out = opts.quick ? null : outDir();
  const haveBash = spawnSync("bash", ["--version"]).status === 0;
  // shellcheck is a bonus where it is installed (Debian package shellcheck).
  const haveShellcheck = !opts.quick && spawnSync("shellcheck", ["--version"]).status === 0;

  // opts.quick (mutations.js): the default cluster, plain and with TLS.
  const tlsDir = L.genCerts(5);
  const variants = [{}, { tls_dir: tlsDir }, { cars: 1 }, { cars: 31, topology: "ring", vpc_cidr: "10.9.0.0/20", xroad_port: 9000 }];
  for (const vars of opts.quick ? variants.slice(0, 2) : variants) {
    const label = Object.keys(vars).length ? ` ${JSON.stringify(vars.tls_dir ? { ...vars, tls_dir: "<gen-certs --nodes 5>" } : vars)}` : "";
    const tls = !!vars.tls_dir;
    await c.run(`render${label}`, async () => {
      const { nodes, rendered, ev } = await L.renderNodes(model, vars, dir);
      const cars = vars.cars || 4;
      c.ok(rendered.length === 1 + cars, `${rendered.length} user data scripts rendered${label}`);
      const confs = new Set(rendered.map((r) => r.clusterConf));
      c.ok(confs.size === 1, `every node gets the same cluster configuration${label}`);
      const table = await ev.value(L.resourcesOfType(model, "aws_dynamodb_table")[0].body.name, {});
      const fn = await ev.value(model.resources["aws_lambda_function.report_crossing"].body.function_name, {});
      for (const r of rendered) {
        const who = `node ${r.id} (${r.role})${label}`;
        const ud = r.userData;
        c.ok(ud.startsWith("#!/bin/bash\n"), `${who}: user data is a bash script`);
        const size = Buffer.byteLength(ud);
        c.ok(size < 16384, `${who}: user data under EC2's 16 KB limit (${size} bytes)`);
        c.ok(!/\$\{[a-z_]+\}/.test(ud.replace(/\$\{[A-Z_]+\}/g, "")) && !/%\{/.test(ud), `${who}: no template syntax left over`);
        if (haveBash) {
          const syn = spawnSync("bash", ["-n"], { input: ud });
          c.ok(syn.status === 0, `${who}: bash -n accepts the script`, String(syn.stderr));
        }
        if (haveShellcheck && (r.id <= 1 || r.id === rendered.length - 1)) {
          const sc = spawnSync("shellcheck", ["-s", "bash", "-"], { input: ud, encoding: "utf8" });
          c.ok(sc.status === 0, `${who}: shellcheck finds nothing`, sc.stdout.slice(0, 800));
        }
        c.ok(r.clusterConf !== null, `${who}: writes /etc/xroad/cluster.conf`);
        const { errors: confErrors, settings, nodes: confNodes } = L.checkClusterConf(r.clusterConf || "", `node${r.id}/cluster.conf`);
        c.ok(confErrors.length === 0, `${who}: cluster.conf follows docs/CONFIG.md`, confErrors.join("; "));
        c.ok(settings.cloud === "aws", `${who}: cloud = aws`);
        c.ok(/^s3:\/\/[^/]+\/routes\.txt$/.test(settings.routes || ""), `${who}: routes from the S3 object`, settings.routes);
        const me = confNodes.find((n) => Number(n.id) === r.id);
        c.ok(me && me.role === (r.id === 0 ? "light" : "car"), `${who}: its line in cluster.conf has role ${r.role}`);
        const scheme = tls ? "tls+tcp" : "tcp";
        c.ok(me && me.address === nodes[r.id].address && me.address.startsWith(`${scheme}://${nodes[r.id].private_ip}:`), `${who}: listens on its fixed private IP (${scheme}://)`, me && me.address);
        c.ok(confNodes.every((n) => n.address.startsWith(`${scheme}://`)), `${who}: every address is ${scheme}:// (TLS is all or nothing)`);
        if (tls) {
          const file = (name) => fs.readFileSync(path.join(vars.tls_dir, name), "utf8");
          c.ok(settings.tls_ca === "/etc/xroad/tls/ca.crt" && settings.tls_cert === "/etc/xroad/tls/node.crt" && settings.tls_key === "/etc/xroad/tls/node.key", `${who}: cluster.conf points tls_ca, tls_cert, tls_key at /etc/xroad/tls`, JSON.stringify(settings));
          c.ok(r.tls.ca === file("ca.crt"), `${who}: writes the CA of tls_dir byte for byte`);
          c.ok(r.tls.cert === file(`node-${r.id}.crt`), `${who}: writes its own certificate node-${r.id}.crt byte for byte`);
          c.ok(r.tls.key === file(`node-${r.id}.key`), `${who}: writes its own key node-${r.id}.key byte for byte`);
          const others = rendered.filter((o) => o.id !== r.id).map((o) => file(`node-${o.id}.key`).trim());
          c.ok(others.every((k) => !ud.includes(k)) && !ud.includes(file("ca.key").trim()) && !ud.includes(file("ctl.key").trim()), `${who}: carries no other key (other nodes', the CA's, xroadctl's)`);
          c.ok(/\numask 077\ncat > \/etc\/xroad\/tls\/node\.key <<'/.test(ud) && /\nchown xroad:xroad \/etc\/xroad\/tls\/node\.key\n/.test(ud), `${who}: the key is written under umask 077 and given to the xroad user`);
          c.ok(/\numask 022\n/.test(ud.slice(ud.indexOf("/etc/xroad/tls/node.key <<'"))), `${who}: the umask is restored after the key`);
          c.ok((r.ctl || "").includes("exec /opt/xroad/bin/xroadctl --cert /etc/xroad/tls/node.crt --key /etc/xroad/tls/node.key \"$@\""), `${who}: xroadctl on the instance shows the node's certificate`, r.ctl);
        } else {
          c.ok(!ud.includes("/etc/xroad/tls") && !settings.tls_ca, `${who}: no TLS files or settings without tls_dir`);
          c.ok((r.ctl || "").includes('exec /opt/xroad/bin/xroadctl "$@"'), `${who}: plain xroadctl wrapper`, r.ctl);
        }
        c.ok(r.unit !== null, `${who}: writes xroad.service`);
        const unit = r.unit || "";
        c.ok(unit.includes(`\nExecStart=/opt/xroad/bin/xroad --config /etc/xroad/cluster.conf --id ${r.id}\n`), `${who}: xroad.service runs xroad --config /etc/xroad/cluster.conf --id ${r.id}`);
        c.ok(/\nRestart=on-failure\n/.test(unit), `${who}: Restart=on-failure`);
        c.ok(/\nEnvironmentFile=\/etc\/xroad\/env\n/.test(unit), `${who}: the unit reads /etc/xroad/env`);
        c.ok(/\nsystemctl enable --now xroad\.service\n/.test(ud), `${who}: enables and starts xroad.service`);
        c.ok(ud.includes(`xroad --check-config --config /etc/xroad/cluster.conf --id ${r.id}\n`), `${who}: checks the configuration before starting`);
        c.ok(/apt-get install[^\n]*\n[^\n]*libnng1 libprotobuf-c1 libcurl4[^\n]* libmbedx509-1 libmbedcrypto7/.test(ud), `${who}: installs the runtime libraries`);
        c.ok(/aws s3api get-object [^\n]*--bucket "[^"$]+" --key "xroad\/[^"]+\.tar\.gz"/.test(ud), `${who}: fetches the artifact from the bucket`);
        const env = Object.fromEntries((r.env || "").trim().split("\n").map((l) => l.split(/=(.*)/s).slice(0, 2)));
        c.ok(env.XROAD_DYNAMODB_TABLE === table && env.XROAD_REPORT_FUNCTION === fn && /^https:\/\/sqs\./.test(env.XROAD_SQS_QUEUE_URL || "") && env.AWS_REGION, `${who}: /etc/xroad/env names the table, function, queue and region`, JSON.stringify(env));
        c.ok(Number(env.XROAD_LAMBDA_INVOKE_TIMEOUT_MS) > 1000 * 10, `${who}: the node's Invoke timeout (${env.XROAD_LAMBDA_INVOKE_TIMEOUT_MS} ms) exceeds report_crossing's timeout (10 s by default)`, JSON.stringify(env));
        const suffix = label ? `-cars${cars}${tls ? "-tls" : ""}` : "";
        if (out) {
          fs.writeFileSync(path.join(out, `user_data-${r.id}${suffix}.sh`), ud);
          if (r.id === 0) fs.writeFileSync(path.join(out, `cluster${suffix}.conf`), r.clusterConf || "");
        }
      }
    });
  }
  if (!haveBash) c.skip("bash -n", "no bash here");
  if (!haveShellcheck && !opts.quick) c.note("shellcheck not installed: the user data was not linted (apt-get install shellcheck)");
  if (out) c.note(`rendered files: ${out}`);
}

module.exports = check;
if (require.main === module) L.main("terraform-user-data", check);
