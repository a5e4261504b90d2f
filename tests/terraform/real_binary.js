// Check 5, when a terraform binary is on PATH (it needs no provider and no
// network for this): `terraform fmt -check`, the variables' validation blocks
// (good values accepted, bad ones refused), and Terraform's own evaluation of
// nodes.tf and of templatefile() over both templates, compared byte for byte
// with what the other checks compute. This proves the offline renderer of
// lib.js right. Without terraform the test reports itself skipped (exit 77).
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawnSync } = require("child_process");
const L = require("./lib");

const SKIP = 77;
const TF = process.env.TERRAFORM || "terraform";

function terraform(args, opts = {}) {
  return spawnSync(TF, args, {
    encoding: "utf8",
    timeout: 60000,
    env: { ...process.env, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: "/dev/null" },
    ...opts,
  });
}

// `terraform console` reads one expression from a pipe and prints a string
// result as an HCL literal on one line; jsonencode() output in it is JSON
// once HCL's template escapes are undone.
function consoleJson(out) {
  const line = out.split("\n").find((l) => l.startsWith('"'));
  if (line === undefined) return undefined;
  return JSON.parse(JSON.parse(line.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{")));
}

(async () => {
  const c = new L.Checks("terraform-real-binary");
  const v = terraform(["version"]);
  if (v.error || v.status !== 0) {
    c.skip("terraform fmt / console checks", "no terraform binary on PATH");
    c.finish(SKIP);
  }
  console.log(`using ${v.stdout.split("\n")[0]}`);

  const fmt = terraform(["fmt", "-check", "-diff", "-recursive", L.TF_DIR]);
  c.ok(fmt.status === 0, "terraform fmt -check: every .tf file is formatted", fmt.stdout + fmt.stderr);

  const { model, errors } = await L.loadConfig();
  if (!c.ok(errors.length === 0, "every .tf file parses", errors.join("; "))) c.finish();

  // A module made of the files that depend on variables only, plus one of ours.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "xroad-tf-console-"));
  try {
    for (const f of ["variables.tf", "nodes.tf"]) fs.copyFileSync(path.join(L.TF_DIR, f), path.join(tmp, f));
    fs.cpSync(path.join(L.TF_DIR, "templates"), path.join(tmp, "templates"), { recursive: true });

    const varArgs = (vars) => Object.entries(vars).flatMap(([k, x]) => ["-var", `${k}=${x}`]);
    const evalTf = (expr, vars) => terraform(["console", "-no-color", ...varArgs(vars)], { cwd: tmp, input: `${expr}\n` });
    const failed = (p) => p.status !== 0 || /^Error: /m.test(p.stderr);

    for (const vars of [{}, { tls_dir: L.genCerts(5) }, { cars: 1 }, { cars: 31, topology: "ring", vpc_cidr: "10.9.0.0/20", xroad_port: 9000 }]) {
      const all = { operator_cidr: "203.0.113.7/32", ...vars };
      const label = JSON.stringify(vars);
      const { rendered, ev } = await L.renderNodes(model, vars);

      // Both templates through Terraform's templatefile(), with the very
      // arguments the test rendered them with, and local.nodes.
      const inst = L.resourcesOfType(model, "aws_instance")[0];
      const udCall = (await L.functionCalls(inst.body.user_data)).find((f) => f.name === "templatefile");
      const exprs = ["local.nodes"];
      for (const r of rendered) {
        const args = {};
        for (const [k, e] of Object.entries(udCall.node.children[1].meta.items)) args[k] = await ev.expr(e, { __count_index: r.id });
        fs.writeFileSync(path.join(tmp, `args-${r.id}.json`), JSON.stringify(args));
        exprs.push(`templatefile("templates/user_data.sh.tftpl", jsondecode(file("args-${r.id}.json")))`);
      }
      // One expression for all: a console session evaluates one.
      const p = evalTf(`jsonencode([${exprs.join(", ")}])`, all);
      const results = (!failed(p) && consoleJson(p.stdout)) || [];
      if (!c.ok(results.length === exprs.length, `terraform console evaluates local.nodes and ${rendered.length} user data ${label}`, p.stderr.slice(0, 800))) continue;
      const ours = await ev.local("nodes");
      c.ok(JSON.stringify(results[0]) === JSON.stringify(ours), `local.nodes: the test evaluator agrees with terraform ${label}`, `terraform ${JSON.stringify(results[0])} vs ${JSON.stringify(ours)}`);
      for (const r of rendered) {
        const tfUd = results[1 + r.id];
        const same = tfUd === r.userData;
        let where = "";
        if (!same) {
          const a = tfUd.split("\n");
          const b = r.userData.split("\n");
          const i = a.findIndex((line, k) => line !== b[k]);
          where = `first difference at line ${i + 1}: terraform ${JSON.stringify(a[i])} vs test ${JSON.stringify(b[i])}`;
        }
        c.ok(same, `node ${r.id}: user data rendered by terraform = rendered by the test ${label}`, where);
      }
    }

    // The validation blocks: Terraform refuses bad values with their message.
    const bad = [
      ["cars", "0"],
      ["cars", "32"],
      ["cars", "2.5"],
      ["operator_cidr", "banana"],
      ["topology", "mesh"],
      ["run_id", "has space"],
      ["architecture", "mips"],
      ["vpc_cidr", "10.0.0.0/8"],
      ["xroad_port", "65535"],
      ["store_timeout_s", "0"],
      ["name", "Xroad_Upper"],
      ["log_retention_days", "2"],
      ["xroad_artifact", "xroad.zip"],
    ];
    // Terraform reports every refused variable of a run, so the bad values go
    // in a few runs, each variable at most once per run.
    const runs = [];
    for (const [k, x] of bad) {
      let run = runs.find((r) => !(k in r));
      if (!run) runs.push((run = {}));
      run[k] = x;
    }
    for (const run of runs) {
      const p = evalTf("local.subnet_cidr", { operator_cidr: "203.0.113.7/32", ...run });
      const refused = new Set();
      for (const block of p.stderr.split(/^Error: /m).slice(1))
        if (block.startsWith("Invalid value for variable")) for (const m of block.matchAll(/var\.(\w+) is /g)) refused.add(m[1]);
      for (const [k, x] of Object.entries(run))
        c.ok(refused.has(k), `validation refuses ${k} = ${JSON.stringify(x)}`, p.stderr.trim().split("\n").slice(0, 6).join(" | "));
    }
    const good = evalTf("local.subnet_cidr", { operator_cidr: "198.51.100.0/24", cars: "31", run_id: "demo-20261123", vpc_cidr: "172.16.0.0/16" });
    c.ok(!failed(good) && good.stdout.includes('"172.16.1.0/24"'), "validation accepts good values (nodes in the second /24)", good.stderr);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  c.finish();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
