// Check 4: the cluster configuration written by the user data of every node
// is one the daemon itself accepts: `xroad --check-config --config FILE --id N`
// for the light and each car; and every shared library the built binaries
// need comes from a package the user data installs. Needs build/xroad; without it the structural
// check of terraform_user_data is all there is, and this test reports itself
// as skipped (exit 77, ctest SKIP_RETURN_CODE), never as passed.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawnSync } = require("child_process");
const L = require("./lib");

const SKIP = 77;

(async () => {
  const c = new L.Checks("terraform-check-config");
  const xroad = process.env.XROAD_BIN || path.join(L.BUILD_DIR, "xroad");
  const { model, errors } = await L.loadConfig();
  if (!c.ok(errors.length === 0, "every .tf file parses", errors.join("; "))) c.finish();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "xroad-tf-conf-"));
  try {
    for (const vars of [{}, { cars: 1 }]) {
      const { rendered } = await L.renderNodes(model, vars);
      const conf = path.join(tmp, `cluster-${rendered.length}.conf`);
      fs.writeFileSync(conf, rendered[0].clusterConf);
      const structural = L.checkClusterConf(rendered[0].clusterConf, path.basename(conf));
      c.ok(structural.errors.length === 0, `${rendered.length}-node configuration follows docs/CONFIG.md (structural)`, structural.errors.join("; "));
      if (!fs.existsSync(xroad)) {
        c.skip(`xroad --check-config on the ${rendered.length}-node configuration`, `${xroad} not built`);
        continue;
      }
      for (const r of rendered) {
        const args = ["--check-config", "--config", conf, "--id", String(r.id)];
        const p = spawnSync(xroad, args, { encoding: "utf8", timeout: 20000 });
        c.ok(p.status === 0, `xroad ${args.join(" ")} (node ${r.id}, ${r.role}) exits 0`, `status ${p.status}: ${(p.stderr || "").trim()} ${(p.stdout || "").trim()}`.slice(0, 600));
      }
      // The daemon's check must be a real one: a broken copy is refused.
      const bad = path.join(tmp, "broken.conf");
      fs.writeFileSync(bad, rendered[0].clusterConf.replace(/^cross_ms\s*=.*$/m, "cross_ms  = fast"));
      const p = spawnSync(xroad, ["--check-config", "--config", bad, "--id", "0"], { encoding: "utf8", timeout: 20000 });
      c.ok(p.status !== 0 && p.status !== null, "xroad --check-config refuses the same file with cross_ms = fast", `status ${p.status}`);
    }
    // With tls_dir: each node's check also reads the TLS files its user data
    // writes to /etc/xroad/tls, here in a folder of its own, so the daemon
    // checks exactly the certificate and key that node would boot with.
    {
      const { rendered } = await L.renderNodes(model, { tls_dir: L.genCerts(5) });
      c.ok(rendered.every((r) => r.tls.ca && r.tls.cert && r.tls.key), "with tls_dir every node's user data writes ca.crt, node.crt and node.key");
      const prepare = (r, files) => {
        const dir = path.join(tmp, `tls-${r.id}`);
        fs.mkdirSync(dir, { recursive: true });
        for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text, { mode: 0o600 });
        const conf = path.join(tmp, `cluster-tls-${r.id}.conf`);
        fs.writeFileSync(conf, r.clusterConf.replaceAll("/etc/xroad/tls/", `${dir}/`));
        return conf;
      };
      if (!fs.existsSync(xroad)) {
        c.skip("xroad --check-config on the TLS configuration", `${xroad} not built`);
      } else {
        for (const r of rendered) {
          const conf = prepare(r, { "ca.crt": r.tls.ca || "", "node.crt": r.tls.cert || "", "node.key": r.tls.key || "" });
          const p = spawnSync(xroad, ["--check-config", "--config", conf, "--id", String(r.id)], { encoding: "utf8", timeout: 20000 });
          c.ok(p.status === 0 && /tls=on/.test(p.stdout), `xroad --check-config --id ${r.id} accepts the TLS files node ${r.id}'s user data writes`, `status ${p.status}: ${(p.stderr || "").trim()}`.slice(0, 600));
        }
        // And a node given its neighbour's files is refused, by name.
        const [a, b] = rendered;
        const conf = prepare({ ...a, id: "swapped" }, { "ca.crt": b.tls.ca, "node.crt": b.tls.cert, "node.key": b.tls.key });
        const p = spawnSync(xroad, ["--check-config", "--config", conf, "--id", String(a.id)], { encoding: "utf8", timeout: 20000 });
        c.ok(p.status === 2 && /does not carry the name xroad-node-0/.test(p.stderr), "xroad --check-config refuses node 0 with node 1's certificate", `status ${p.status}: ${(p.stderr || "").trim()}`);
      }
    }
    // The libraries the binaries need are the ones the user data installs:
    // each NEEDED entry -> its Debian package (dpkg -S) -> on the apt-get line.
    const { rendered } = await L.renderNodes(model, {});
    const aptLine = (/apt-get install[^\n]*\n([^\n]*)/.exec(rendered[0].userData) || [])[1] || "";
    const installed = new Set(aptLine.replace(/;.*$/, "").trim().split(/\s+/));
    for (const bin of [xroad, path.join(path.dirname(xroad), "xroadctl")]) {
      if (!fs.existsSync(bin)) continue;
      const re = spawnSync("readelf", ["-d", bin], { encoding: "utf8" });
      if (re.status !== 0) break;
      // The directory the loader finds each library in (ldd): a library
      // with a multilib copy (libm.so.6 is in libc6 and in libc6-i386's
      // /lib32) is looked up in the native one, /lib or /usr/lib alike.
      const ldd = spawnSync("ldd", [bin], { encoding: "utf8" });
      const dirOf = new Map([...(ldd.stdout || "").matchAll(/^\s*(\S+) => (\/\S+)/gm)]
        .map(([, l, where]) => [l, path.basename(path.dirname(where))]));
      for (const [, lib] of re.stdout.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)) {
        const pattern = dirOf.has(lib) ? `*/${dirOf.get(lib)}/${lib}` : `*/${lib}`;
        const dp = spawnSync("sh", ["-c", `dpkg -S "${pattern}" 2>/dev/null | head -n 1`], { encoding: "utf8" });
        const pkg = (dp.stdout.split(":")[0] || "").trim();
        if (!pkg) continue;
        c.ok(pkg === "libc6" || installed.has(pkg), `${path.basename(bin)} needs ${lib} (${pkg}): ${pkg === "libc6" ? "in every Debian" : "the user data installs it"}`, `apt-get line: ${[...installed].join(" ")}`);
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (c.skipped) console.log(`xroad --check-config skipped: ${xroad} does not exist (build it, then run ctest -L terraform again)`);
  c.finish(SKIP);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
