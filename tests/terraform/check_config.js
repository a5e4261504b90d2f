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
    // The libraries the binaries need are the ones the user data installs:
    // each NEEDED entry -> its Debian package (dpkg -S) -> on the apt-get line.
    const { rendered } = await L.renderNodes(model, {});
    const aptLine = (/apt-get install[^\n]*\n([^\n]*)/.exec(rendered[0].userData) || [])[1] || "";
    const installed = new Set(aptLine.replace(/;.*$/, "").trim().split(/\s+/));
    for (const bin of [xroad, path.join(path.dirname(xroad), "xroadctl")]) {
      if (!fs.existsSync(bin)) continue;
      const re = spawnSync("readelf", ["-d", bin], { encoding: "utf8" });
      if (re.status !== 0) break;
      for (const [, lib] of re.stdout.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)) {
        const dp = spawnSync("sh", ["-c", `dpkg -S "*/${lib}" 2>/dev/null | head -n 1`], { encoding: "utf8" });
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
