// Check 1: every .tf file of terraform/ parses with HashiCorp's HCL parser;
// a parse error names the file and the position. Also every .tftpl template
// tokenizes (balanced ${ } and %{ }, directives paired).
"use strict";
const fs = require("fs");
const path = require("path");
const { parse } = require("@cdktf/hcl2json");
const L = require("./lib");

async function check(c, dir = L.TF_DIR) {
  const files = L.tfFiles(dir);
  c.ok(files.length > 0, `terraform/ holds .tf files (${files.length})`);
  for (const file of files) {
    const name = path.relative(L.SOURCE_DIR, file);
    try {
      const json = await parse(path.basename(file), fs.readFileSync(file, "utf8"));
      c.ok(json && typeof json === "object", `${name} parses`);
    } catch (e) {
      c.ok(false, `${name} parses`, String(e.message || e));
    }
  }
  const tdir = path.join(dir, "templates");
  const templates = fs.existsSync(tdir) ? fs.readdirSync(tdir).filter((f) => f.endsWith(".tftpl")).sort() : [];
  for (const t of templates) {
    const name = `terraform/templates/${t}`;
    await c.run(`${name} tokenizes`, async () => {
      const vars = await L.templateVariables(fs.readFileSync(path.join(tdir, t), "utf8"), name);
      c.ok(true, `${name} tokenizes (variables: ${[...vars].sort().join(", ")})`);
    });
  }
}

module.exports = check;
if (require.main === module) L.main("terraform-parse", check);
