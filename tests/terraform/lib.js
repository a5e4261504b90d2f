// Shared by the offline checks of terraform/: loads every .tf file through
// HashiCorp's own HCL parser (@cdktf/hcl2json, Go compiled to wasm, pinned in
// package-lock.json), evaluates the subset of Terraform expressions the
// configuration uses, and renders the .tftpl templates the way templatefile()
// does. Resource attributes that only AWS knows (ids, ARNs, URLs, IPs) get
// stand-in values, so that user data can be rendered without AWS.
"use strict";

const fs = require("fs");
const path = require("path");
const { parse, getExpressionAst } = require("@cdktf/hcl2json");

const SOURCE_DIR = process.env.XROAD_SOURCE_DIR || path.resolve(__dirname, "../..");
const TF_DIR = process.env.XROAD_TERRAFORM_DIR || path.join(SOURCE_DIR, "terraform");
const BUILD_DIR = process.env.XROAD_BUILD_DIR || path.join(SOURCE_DIR, "build");

// ---- a tiny test harness: one line per check, a closing count line ----

class Checks {
  // quiet: print nothing, only keep the failures (mutations.js).
  constructor(name, { quiet = false } = {}) {
    this.name = name;
    this.quiet = quiet;
    this.passed = 0;
    this.failed = 0;
    this.skipped = 0;
    this.failures = [];
  }
  log(line) {
    if (!this.quiet) console.log(line);
  }
  note(line) {
    this.log(line);
  }
  ok(cond, what, detail) {
    if (cond) {
      this.passed++;
      this.log(`ok   ${what}`);
    } else {
      this.failed++;
      this.failures.push(`${what}${detail ? ": " + detail : ""}`);
      this.log(`FAIL ${what}${detail ? ": " + detail : ""}`);
    }
    return !!cond;
  }
  skip(what, why) {
    this.skipped++;
    this.log(`SKIP ${what}: ${why}`);
  }
  // Runs fn, turning an exception into a failed check.
  async run(what, fn) {
    try {
      await fn();
    } catch (e) {
      this.ok(false, what, e && e.stack ? e.stack.split("\n").slice(0, 3).join(" | ") : String(e));
    }
  }
  finish(skipCode) {
    const tail = this.skipped ? `, ${this.skipped} skipped` : "";
    console.log(`${this.name}: ${this.passed} passed, ${this.failed} failed${tail}`);
    if (this.failed) process.exit(1);
    if (skipCode !== undefined && this.skipped) process.exit(skipCode);
    process.exit(0);
  }
}

// Runs check(c) as a script: the closing count line, exit 1 on a failure,
// skipCode (77 for ctest's SKIP_RETURN_CODE) when something was skipped.
function main(name, check, skipCode) {
  const c = new Checks(name);
  check(c)
    .then(() => c.finish(skipCode))
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}

// ---- loading ----

function tfFiles(dir = TF_DIR) {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".tf"))
    .sort()
    .map((f) => path.join(dir, f));
}

// Parses every .tf file; errors name the file. Returns { files, errors, model }.
// Parses are kept by (name, content): mutations.js loads many near copies.
const parseCache = new Map();
async function loadConfig(dir = TF_DIR) {
  const files = {};
  const errors = [];
  for (const file of tfFiles(dir)) {
    const name = path.basename(file);
    const text = fs.readFileSync(file, "utf8");
    const key = `${name}\0${text}`;
    try {
      if (!parseCache.has(key)) parseCache.set(key, await parse(name, text));
      // A deep copy: the checks must not share mutable state between loads.
      files[name] = JSON.parse(JSON.stringify(parseCache.get(key)));
    } catch (e) {
      errors.push(`${name}: ${String(e.message || e)}`);
    }
  }
  return { files, errors, model: buildModel(files) };
}

// Flattens the per-file JSON into one index of blocks, each tagged with its file.
function buildModel(files) {
  const m = { variables: {}, locals: {}, outputs: {}, resources: {}, data: {}, dup: [] };
  const put = (map, key, val) => {
    if (map[key]) m.dup.push(key);
    map[key] = val;
  };
  for (const [file, json] of Object.entries(files)) {
    for (const [name, blocks] of Object.entries(json.variable || {}))
      put(m.variables, name, { file, body: blocks[0] });
    for (const block of json.locals || [])
      for (const [name, expr] of Object.entries(block)) put(m.locals, name, { file, expr });
    for (const [name, blocks] of Object.entries(json.output || {}))
      put(m.outputs, name, { file, body: blocks[0] });
    for (const [type, byName] of Object.entries(json.resource || {}))
      for (const [name, blocks] of Object.entries(byName))
        put(m.resources, `${type}.${name}`, { file, type, name, body: blocks[0] });
    for (const [type, byName] of Object.entries(json.data || {}))
      for (const [name, blocks] of Object.entries(byName))
        put(m.data, `data.${type}.${name}`, { file, type, name, body: blocks[0] });
  }
  return m;
}

function resourcesOfType(model, type) {
  return Object.values(model.resources).filter((r) => r.type === type);
}

// ---- expressions ----

// hcl2json hands expressions back as template strings ("${var.x}-y"). To
// re-parse one as an HCL expression it is quoted again, escaping the literal
// parts only.
function toHclString(s) {
  let out = '"';
  let i = 0;
  while (i < s.length) {
    if (s.startsWith("${", i) || s.startsWith("%{", i)) {
      const end = findClose(s, i + 2);
      out += s.slice(i, end + 1);
      i = end + 1;
      continue;
    }
    const c = s[i];
    if (c === '"' || c === "\\") out += "\\" + c;
    else if (c === "\n") out += "\\n";
    else if (c === "\r") out += "\\r";
    else if (c === "\t") out += "\\t";
    else out += c;
    i++;
  }
  return out + '"';
}

// Index of the "}" closing an interpolation whose body starts at `from`:
// nested braces and quoted strings (with their own interpolations) skipped.
function findClose(s, from) {
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === "\\") i++;
        else if (s[i] === "$" && s[i + 1] === "{") i = findClose(s, i + 2);
        i++;
      }
    } else if (c === "{" || c === "[" || c === "(") depth++;
    else if (c === "}" || c === "]" || c === ")") {
      if (depth === 0) {
        if (c !== "}") throw new Error(`unbalanced "${c}" in ${JSON.stringify(s.slice(0, 80))}`);
        return i;
      }
      depth--;
    }
  }
  throw new Error(`unterminated interpolation in ${JSON.stringify(s.slice(0, 80))}`);
}

const astCache = new Map();
async function ast(expr) {
  if (!astCache.has(expr)) astCache.set(expr, await getExpressionAst("expr.tf", expr));
  return astCache.get(expr);
}

// Every node of a parsed value (string expressions parsed) -> visit(node, forVars).
async function walkValue(value, visit) {
  if (typeof value === "string") {
    if (!value.includes("${") && !value.includes("%{")) return;
    walkAst(await ast(toHclString(value)), visit, new Set());
  } else if (Array.isArray(value)) {
    for (const v of value) await walkValue(v, visit);
  } else if (value && typeof value === "object") {
    for (const v of Object.values(value)) await walkValue(v, visit);
  }
}

function walkAst(node, visit, bound) {
  if (!node) return;
  let inner = bound;
  if (node.type === "for") {
    inner = new Set(bound);
    if (node.meta.keyVar) inner.add(node.meta.keyVar);
    if (node.meta.valVar) inner.add(node.meta.valVar);
  }
  visit(node, bound);
  const kids = node.children || [];
  kids.forEach((k, i) => walkAst(k, visit, node.type === "for" && i === 0 ? bound : inner));
}

// Root traversals (var.x, local.y, aws_s3_bucket.b.id, ...) used in a value.
async function references(value) {
  const refs = [];
  await walkValue(value, (node, bound) => {
    if (node.type !== "scopeTraversal") return;
    const parts = node.meta.traversal.map((p) => p.segment);
    if (bound.has(parts[0])) return;
    refs.push(parts);
  });
  return refs;
}

// Function calls in a value: [{ name, node }].
async function functionCalls(value) {
  const calls = [];
  await walkValue(value, (node) => {
    if (node.type === "function") calls.push({ name: node.meta.name, node });
  });
  return calls;
}

const ACCOUNT = "123456789012";

// Evaluates expressions of the configuration with variable defaults (or
// overrides), locals, count.index and stand-ins for what AWS computes.
class Evaluator {
  constructor(model, opts = {}) {
    this.model = model;
    this.vars = opts.vars || {};
    this.tfDir = opts.tfDir || TF_DIR;
    this.localCache = new Map();
  }

  variable(name) {
    if (Object.prototype.hasOwnProperty.call(this.vars, name)) return this.vars[name];
    const v = this.model.variables[name];
    if (!v) throw new Error(`var.${name} is not declared`);
    if (!Object.prototype.hasOwnProperty.call(v.body, "default"))
      throw new Error(`var.${name} has no default: give the test a value for it`);
    return v.body.default;
  }

  async local(name) {
    if (!this.localCache.has(name)) {
      const l = this.model.locals[name];
      if (!l) throw new Error(`local.${name} is not declared`);
      this.localCache.set(name, await this.value(l.expr, {}));
    }
    return this.localCache.get(name);
  }

  // A value from the parsed JSON: literal, string expression, list or object.
  async value(v, scope) {
    if (typeof v === "string") {
      if (!v.includes("${")) return v;
      return this.node(await ast(toHclString(v)), scope);
    }
    if (Array.isArray(v)) {
      const out = [];
      for (const x of v) out.push(await this.value(x, scope));
      return out;
    }
    if (v && typeof v === "object") {
      const out = {};
      for (const [k, x] of Object.entries(v)) out[k] = await this.value(x, scope);
      return out;
    }
    return v;
  }

  async expr(text, scope) {
    return this.node(await ast(text), scope);
  }

  async node(n, scope) {
    const kids = n.children || [];
    switch (n.type) {
      case "":
        if (kids.length === 1) return this.node(kids[0], scope); // parentheses
        break;
      case "literalValue": {
        const t = n.meta.type;
        if (t === "number") return Number(n.meta.value);
        if (t === "bool") return n.meta.value === "true";
        // The parser hands back a quoted literal as written: undo its escapes.
        if (t === "string") return unescapeHcl(n.meta.value);
        if (t === "null" || n.meta.value === "null") return null;
        break;
      }
      case "templateWrap":
        return this.node(kids[0], scope);
      case "template": {
        let s = "";
        for (const k of kids) s += stringify(await this.node(k, scope), n.meta.value);
        return s;
      }
      case "tuple": {
        const out = [];
        for (const k of kids) out.push(await this.node(k, scope));
        return out;
      }
      case "object": {
        const out = {};
        for (const [k, e] of Object.entries(n.meta.items)) out[k] = await this.expr(e, scope);
        return out;
      }
      case "scopeTraversal":
        return this.traverse(n.meta.traversal.map((p) => p.segment), n.meta.traversal, scope);
      case "relativeTraversal": {
        let v = await this.node(kids[0], scope);
        for (const p of n.meta.traversal) v = await step(v, p, n.meta.value);
        return v;
      }
      case "index": {
        const coll = await this.node(kids[0], scope);
        const key = await this.node(kids[1], scope);
        return await step(coll, { segment: String(key), type: "indexTraversal" }, n.meta.value);
      }
      case "conditional":
        return (await this.node(kids[0], scope)) ? this.node(kids[1], scope) : this.node(kids[2], scope);
      case "unaryOp": {
        const v = await this.node(kids[0], scope);
        if (n.meta.operator === "negate") return -v;
        if (n.meta.operator === "logicalNot") return !v;
        break;
      }
      case "binaryOp":
        return binary(n.meta.operator, await this.node(kids[0], scope), await this.node(kids[1], scope), n.meta.value);
      case "for":
        return this.forExpr(n, scope);
      case "function": {
        const args = [];
        for (const k of kids) args.push(await this.node(k, scope));
        return this.call(n.meta.name, args);
      }
    }
    throw new Error(`expression not supported by the test evaluator: ${n.type} ${JSON.stringify(n.meta && n.meta.value)}`);
  }

  async forExpr(n, scope) {
    const m = n.meta;
    const coll = await this.expr(m.collectionExpression, scope);
    const entries = Array.isArray(coll)
      ? coll.map((v, i) => [i, v])
      : Object.keys(coll)
          .sort()
          .map((k) => [k, coll[k]]);
    const isObject = m.value.trim().startsWith("{");
    const out = isObject ? {} : [];
    for (const [k, v] of entries) {
      const inner = { ...scope };
      if (m.keyVar) inner[m.keyVar] = k;
      inner[m.valVar] = v;
      if (m.conditionalExpression && !(await this.expr(m.conditionalExpression, inner))) continue;
      const val = await this.expr(m.valueExpression, inner);
      if (isObject) out[String(await this.expr(m.keyExpression, inner))] = val;
      else out.push(val);
    }
    return out;
  }

  async traverse(segs, parts, scope) {
    const root = segs[0];
    let v;
    let rest;
    if (Object.prototype.hasOwnProperty.call(scope, root)) {
      v = scope[root];
      rest = parts.slice(1);
    } else if (root === "var") {
      v = this.variable(segs[1]);
      rest = parts.slice(2);
    } else if (root === "local") {
      v = await this.local(segs[1]);
      rest = parts.slice(2);
    } else if (root === "path") {
      if (segs[1] !== "module" && segs[1] !== "root") throw new Error(`path.${segs[1]} not supported`);
      v = this.tfDir;
      rest = parts.slice(2);
    } else if (root === "count") {
      if (!("__count_index" in scope)) throw new Error("count.index outside a counted resource");
      v = scope.__count_index;
      rest = parts.slice(2);
    } else {
      return this.resourceAttr(segs, parts);
    }
    for (const p of rest) v = await step(v, p, segs.join("."));
    return v;
  }

  // type.name[index].attr..., data.type.name.attr...
  async resourceAttr(segs, parts) {
    const isData = segs[0] === "data";
    const off = isData ? 1 : 0;
    const key = `${isData ? "data." : ""}${segs[off]}.${segs[off + 1]}`;
    const r = isData ? this.model.data[key] : this.model.resources[key];
    if (!r) throw new Error(`${segs.join(".")}: ${key} is not declared`);
    let i = off + 2;
    let index = 0;
    if (parts[i] && parts[i].type === "indexTraversal") {
      index = Number(parts[i].segment);
      i++;
    }
    const attr = parts[i] ? parts[i].segment : undefined;
    if (attr === undefined) {
      return new ResourceRef(this, r, parts[off + 2] && parts[off + 2].type === "indexTraversal" ? index : undefined);
    }
    let v = await this.attribute(r, index, attr);
    for (const p of parts.slice(i + 1)) v = await step(v, p, segs.join("."));
    return v;
  }

  async attribute(r, index, attr) {
    const region = this.variable("region");
    const scope = { __count_index: index };
    if (Object.prototype.hasOwnProperty.call(r.body, attr) && typeof r.body[attr] !== "object")
      return this.value(r.body[attr], scope);
    const name = async () => {
      for (const a of ["name", "function_name", "bucket"])
        if (r.body[a] !== undefined) return this.value(r.body[a], scope);
      if (r.body.bucket_prefix !== undefined) return (await this.value(r.body.bucket_prefix, scope)) + "20261123120000000000000001";
      return `${r.name}-${index}`;
    };
    switch (attr) {
      case "id":
        if (r.type === "aws_sqs_queue") return this.attribute(r, index, "url");
        if (r.type === "aws_s3_bucket" || r.type === "aws_dynamodb_table") return name();
        return `${r.type.replace(/^aws_/, "")}-0123456789abcdef${index}`;
      case "name":
      case "function_name":
        return name();
      case "arn": {
        const svc = { aws_sqs_queue: "sqs", aws_dynamodb_table: "dynamodb", aws_lambda_function: "lambda", aws_s3_bucket: "s3", aws_iam_role: "iam", aws_cloudwatch_log_group: "logs" }[r.type] || "ec2";
        if (svc === "s3") return `arn:aws:s3:::${await name()}`;
        return `arn:aws:${svc}:${region}:${ACCOUNT}:${r.type}/${await name()}`;
      }
      case "url":
        return `https://sqs.${region}.amazonaws.com/${ACCOUNT}/${await name()}`;
      case "version_id":
        return "Fk8KvR9d3nQ_test.version.id";
      case "public_ip":
        return `198.51.100.${10 + index}`; // TEST-NET-2: documentation addresses
      case "json":
        return `{"Version":"2012-10-17"}`;
      case "output":
        // terraform_data: its input, as it was when it was created
        if (r.type === "terraform_data") return this.value(r.body.input, scope);
        return `<${r.type}.${r.name}.${attr}>`;
      case "names":
        return [`${region}a`, `${region}b`];
      case "locations":
        return [`${region}a`, `${region}b`];
      case "supported_architectures":
        return ["x86_64", "arm64"];
      default:
        return `<${r.type}.${r.name}.${attr}>`;
    }
  }

  async call(name, a) {
    switch (name) {
      case "length":
        return Array.isArray(a[0]) || typeof a[0] === "string" ? a[0].length : Object.keys(a[0]).length;
      case "range": {
        const [start, end] = a.length === 1 ? [0, a[0]] : a;
        return Array.from({ length: Math.max(0, end - start) }, (_, i) => start + i);
      }
      case "tostring":
        return stringify(a[0], "tostring");
      case "timestamp":
        return "2026-11-23T12:00:00Z"; // fixed: the renders must be reproducible
      case "formatdate": {
        const d = new Date(a[1]);
        const p2 = (n) => String(n).padStart(2, "0");
        const parts = { YYYY: String(d.getUTCFullYear()), MM: p2(d.getUTCMonth() + 1), DD: p2(d.getUTCDate()),
          hh: p2(d.getUTCHours()), mm: p2(d.getUTCMinutes()), ss: p2(d.getUTCSeconds()) };
        return a[0].replace(/YYYY|MM|DD|hh|mm|ss/g, (k) => parts[k]);
      }
      case "tonumber":
        return Number(a[0]);
      case "split":
        return a[1].split(a[0]);
      case "merge":
        return Object.assign({}, ...a);
      case "contains":
        return a[0].includes(a[1]);
      case "sort":
        return [...a[0]].sort();
      case "setintersection":
        return a[0].filter((x) => a.slice(1).every((s) => s.includes(x)));
      case "cidrhost":
        return cidrhost(a[0], a[1]);
      case "cidrsubnet":
        return cidrsubnet(a[0], a[1], a[2]);
      case "jsonencode":
        return JSON.stringify(a[0]);
      case "fileexists":
        return fs.existsSync(path.resolve(this.tfDir, a[0]));
      case "file":
        return fs.readFileSync(path.resolve(this.tfDir, a[0]), "utf8");
      case "abspath":
        return path.resolve(this.tfDir, a[0]);
      case "sensitive":
        return a[0]; // only hides the value in terraform's output
      case "chomp":
        return a[0].replace(/(\r?\n)+$/, "");
      case "values":
        return Object.keys(a[0])
          .sort()
          .map((k) => a[0][k]);
      case "alltrue":
        return a[0].every((x) => x === true);
      case "filemd5":
      case "filebase64sha256":
        return `<${name} ${a[0]}>`;
      case "templatefile":
        return renderTemplate(fs.readFileSync(path.resolve(this.tfDir, a[0]), "utf8"), a[1], a[0]);
    }
    throw new Error(`function ${name}() not supported by the test evaluator`);
  }
}

function unescapeHcl(s) {
  return s.replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)|\$\$\{|%%\{/g, (m, e) => {
    if (m === "$${") return "${";
    if (m === "%%{") return "%{";
    if (e[0] === "u" || e[0] === "U") return String.fromCodePoint(parseInt(e.slice(1), 16));
    return { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" }[e] ?? m;
  });
}

// A resource (or one instance of a counted one) not yet narrowed to an attribute.
class ResourceRef {
  constructor(ev, r, index) {
    this.ev = ev;
    this.r = r;
    this.index = index;
  }
}

function step(v, part, where) {
  if (v instanceof ResourceRef) {
    if (part.type === "indexTraversal" && v.index === undefined) return new ResourceRef(v.ev, v.r, Number(part.segment));
    return v.ev.attribute(v.r, v.index || 0, part.segment);
  }
  if (v === undefined || v === null) throw new Error(`${where}: cannot take "${part.segment}" of ${v}`);
  const key = part.type === "indexTraversal" && Array.isArray(v) ? Number(part.segment) : part.segment;
  if (!(key in Object(v))) throw new Error(`${where}: no "${part.segment}" in ${JSON.stringify(v).slice(0, 120)}`);
  return v[key];
}

function binary(op, l, r, where) {
  switch (op) {
    case "add": return l + r;
    case "subtract": return l - r;
    case "multiply": return l * r;
    case "divide": return l / r;
    case "modulo": return l % r;
    case "equal": return l === r;
    case "notEqual": return l !== r;
    case "lessThan": return l < r;
    case "greaterThan": return l > r;
    case "lessThanOrEqual": return l <= r;
    case "greaterThanOrEqual": return l >= r;
    case "logicalAnd": return l && r;
    case "logicalOr": return l || r;
  }
  throw new Error(`operator ${op} not supported (${where})`);
}

// Terraform's string conversion of a primitive; anything else is an error,
// as in templatefile ("Invalid template interpolation value").
function stringify(v, where) {
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  throw new Error(`cannot interpolate ${v === null ? "null" : typeof v} into a string (${where})`);
}

// ---- IPv4 CIDR functions ----

function parseCidr(cidr) {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  const ip = ((+m[1] << 24) | (+m[2] << 16) | (+m[3] << 8) | +m[4]) >>> 0;
  const len = +m[5];
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return { base: (ip & mask) >>> 0, len };
}
const ipStr = (n) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");

function cidrhost(cidr, num) {
  const { base, len } = parseCidr(cidr);
  const size = 2 ** (32 - len);
  if (num < 0 || num >= size) throw new Error(`cidrhost: ${num} is outside ${cidr}`);
  return ipStr(base + num);
}

function cidrsubnet(cidr, newbits, num) {
  const { base, len } = parseCidr(cidr);
  const nl = len + newbits;
  if (nl > 32 || num >= 2 ** newbits) throw new Error(`cidrsubnet(${cidr}, ${newbits}, ${num}) out of range`);
  return `${ipStr(base + num * 2 ** (32 - nl))}/${nl}`;
}

// ---- templates: the templatefile() language ----
//
// Supported: literal text, ${expr} interpolation, %{ for [k,] v in expr } /
// %{ endfor }, %{ if expr } / %{ else } / %{ endif }, the strip markers
// ${~ ~} %{~ ~}, and the escapes $${ and %%{. Expressions inside are full HCL
// expressions (parsed by the HCL parser) over the template's variables.

function tokenizeTemplate(src, where) {
  const toks = [];
  let lit = "";
  let i = 0;
  const flush = () => {
    toks.push({ t: "lit", v: lit });
    lit = "";
  };
  while (i < src.length) {
    if ((src.startsWith("$${", i) || src.startsWith("%%{", i))) {
      lit += src[i] + "{";
      i += 3;
      continue;
    }
    if (src.startsWith("${", i) || src.startsWith("%{", i)) {
      const kind = src[i] === "$" ? "interp" : "dir";
      const end = findClose(src, i + 2);
      let body = src.slice(i + 2, end);
      const line = src.slice(0, i).split("\n").length;
      let stripL = false;
      let stripR = false;
      if (body.startsWith("~")) {
        stripL = true;
        body = body.slice(1);
      }
      if (body.endsWith("~")) {
        stripR = true;
        body = body.slice(0, -1);
      }
      flush();
      toks.push({ t: kind, v: body.trim(), stripL, stripR, line });
      i = end + 1;
      continue;
    }
    lit += src[i++];
  }
  flush();
  // Strip markers eat the whitespace of the neighbouring literal token. HCL's
  // scanner cuts template literals into one token per line (newline
  // included), so a marker reaches one line at most: "~}" trims the text up
  // to and including the next newline, "{~" the last line before it (and its
  // newline). A blank line after "~}" therefore survives, as in Terraform.
  for (let k = 0; k < toks.length; k++) {
    const tk = toks[k];
    if (tk.t === "lit") continue;
    const prev = toks[k - 1];
    const next = toks[k + 1];
    if (tk.stripL && prev && prev.t === "lit") {
      const v = prev.v;
      const start = v.lastIndexOf("\n", v.length - 2) + 1;
      prev.v = v.slice(0, start) + v.slice(start).replace(/\s+$/u, "");
    }
    if (tk.stripR && next && next.t === "lit") {
      const v = next.v;
      const nl = v.indexOf("\n");
      const end = nl < 0 ? v.length : nl + 1;
      next.v = v.slice(0, end).replace(/^\s+/u, "") + v.slice(end);
    }
  }
  return buildTemplateTree(toks, where);
}

function buildTemplateTree(toks, where) {
  let k = 0;
  const parseSeq = (enders) => {
    const seq = [];
    while (k < toks.length) {
      const tk = toks[k];
      if (tk.t === "dir") {
        const word = tk.v.split(/\s+/)[0];
        if (enders.includes(word)) return { seq, end: word };
        k++;
        if (word === "for") {
          const m = /^for\s+([A-Za-z_][\w-]*)(?:\s*,\s*([A-Za-z_][\w-]*))?\s+in\s+([\s\S]+)$/.exec(tk.v);
          if (!m) throw new Error(`${where}:${tk.line}: bad for directive "${tk.v}"`);
          const body = parseSeq(["endfor"]);
          if (body.end !== "endfor") throw new Error(`${where}:${tk.line}: for without endfor`);
          k++;
          seq.push({ t: "for", keyVar: m[2] ? m[1] : null, valVar: m[2] || m[1], coll: m[3], body: body.seq, line: tk.line });
        } else if (word === "if") {
          const yes = parseSeq(["else", "endif"]);
          let no = [];
          if (yes.end === "else") {
            k++;
            const r = parseSeq(["endif"]);
            no = r.seq;
            if (r.end !== "endif") throw new Error(`${where}:${tk.line}: if without endif`);
          } else if (yes.end !== "endif") throw new Error(`${where}:${tk.line}: if without endif`);
          k++;
          seq.push({ t: "if", cond: tk.v.replace(/^if\s+/, ""), yes: yes.seq, no, line: tk.line });
        } else {
          throw new Error(`${where}:${tk.line}: unexpected directive "${tk.v}"`);
        }
      } else {
        seq.push(tk);
        k++;
      }
    }
    return { seq, end: null };
  };
  const r = parseSeq([]);
  if (k < toks.length) throw new Error(`${where}: stray directive "${toks[k].v}"`);
  return r.seq;
}

// Names a template reads from its variables (loop variables excluded).
async function templateVariables(src, where) {
  const tree = tokenizeTemplate(src, where);
  const names = new Set();
  const refsOf = async (expr, bound) => {
    walkAst(await ast(expr), (node, b) => {
      if (node.type === "scopeTraversal") {
        const root = node.meta.traversal[0].segment;
        if (!bound.has(root) && !b.has(root)) names.add(root);
      }
    }, new Set());
  };
  const visit = async (seq, bound) => {
    for (const n of seq) {
      if (n.t === "interp") await refsOf(n.v, bound);
      else if (n.t === "for") {
        await refsOf(n.coll, bound);
        const inner = new Set(bound);
        inner.add(n.valVar);
        if (n.keyVar) inner.add(n.keyVar);
        await visit(n.body, inner);
      } else if (n.t === "if") {
        await refsOf(n.cond, bound);
        await visit(n.yes, bound);
        await visit(n.no, bound);
      }
    }
  };
  await visit(tree, new Set());
  return names;
}

// templatefile(path, vars): every variable must be bound, as in Terraform.
async function renderTemplate(src, vars, where = "template") {
  const tree = tokenizeTemplate(src, where);
  const ev = new Evaluator({ variables: {}, locals: {}, resources: {}, data: {} });
  const run = async (seq, scope) => {
    let out = "";
    for (const n of seq) {
      if (n.t === "lit") out += n.v;
      else if (n.t === "interp") out += stringify(await evalIn(n.v, scope, n.line), `${where}:${n.line}`);
      else if (n.t === "if") out += await run((await evalIn(n.cond, scope, n.line)) ? n.yes : n.no, scope);
      else if (n.t === "for") {
        const coll = await evalIn(n.coll, scope, n.line);
        const entries = Array.isArray(coll)
          ? coll.map((v, i) => [i, v])
          : Object.keys(coll)
              .sort()
              .map((k) => [k, coll[k]]);
        for (const [k, v] of entries) {
          const inner = { ...scope, [n.valVar]: v };
          if (n.keyVar) inner[n.keyVar] = k;
          out += await run(n.body, inner);
        }
      }
    }
    return out;
  };
  const evalIn = async (expr, scope, line) => {
    const node = await ast(expr);
    // Unbound names are an error in templatefile(); say which.
    const missing = [];
    walkAst(node, (x, b) => {
      if (x.type === "scopeTraversal") {
        const root = x.meta.traversal[0].segment;
        if (!(root in scope) && !b.has(root)) missing.push(root);
      }
    }, new Set());
    if (missing.length) throw new Error(`${where}:${line}: variable ${missing.join(", ")} is not bound`);
    return ev.node(node, scope);
  };
  return run(tree, { ...vars });
}

// Lines of a heredoc `cat > FILE <<'TAG'` ... `TAG` in a shell script.
function heredoc(script, file) {
  const re = new RegExp(`^cat > ${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} <<'([A-Z_]+)'\\n`, "m");
  const m = re.exec(script);
  if (!m) return null;
  const start = m.index + m[0].length;
  const end = script.indexOf(`\n${m[1]}\n`, start - 1);
  if (end < 0) return null;
  return script.slice(start, end + 1);
}

module.exports = {
  main,
  SOURCE_DIR,
  TF_DIR,
  BUILD_DIR,
  Checks,
  tfFiles,
  loadConfig,
  resourcesOfType,
  toHclString,
  ast,
  walkAst,
  walkValue,
  references,
  functionCalls,
  Evaluator,
  renderTemplate,
  templateVariables,
  tokenizeTemplate,
  heredoc,
  cidrhost,
  cidrsubnet,
};

// ---- rendering every node's user data, as terraform apply would ----

// Renders aws_instance.node's user data for every node. Returns
// [{ id, role, userData, clusterConf, env, unit, ctl, tls: { ca, cert, key } }].
async function renderNodes(model, vars = {}, tfDir = TF_DIR) {
  const ev = new Evaluator(model, { tfDir, vars: { operator_cidr: "203.0.113.7/32", ...vars } });
  const inst = resourcesOfType(model, "aws_instance")[0];
  const count = await ev.value(inst.body.count, {});
  const nodes = await ev.local("nodes");
  const out = [];
  for (let i = 0; i < count; i++) {
    const userData = await ev.value(inst.body.user_data, { __count_index: i });
    out.push({
      id: nodes[i].id,
      role: nodes[i].role,
      userData,
      clusterConf: heredoc(userData, "/etc/xroad/cluster.conf"),
      env: heredoc(userData, "/etc/xroad/env"),
      unit: heredoc(userData, "/etc/systemd/system/xroad.service"),
      ctl: heredoc(userData, "/usr/local/bin/xroadctl"),
      // What the instance will hold in /etc/xroad/tls (null without TLS).
      tls: {
        ca: heredoc(userData, "/etc/xroad/tls/ca.crt"),
        cert: heredoc(userData, "/etc/xroad/tls/node.crt"),
        key: heredoc(userData, "/etc/xroad/tls/node.key"),
      },
    });
  }
  return { nodes, rendered: out, ev };
}

// The rules of docs/CONFIG.md, checked without the daemon. Returns a list of
// "file:line: key: problem" strings (empty when the file is usable).
function checkClusterConf(text, file = "cluster.conf") {
  const errs = [];
  const KEYS = {
    run: /^[A-Za-z0-9._-]{1,39}$/,
    seed: /^\d+$/,
    topology: /^(star|ring|line|complete|random)$/,
    routes: /^\S+$/,
    cloud: /^(embedded|aws)$/,
    state_dir: /^\S+$/,
    rounds: /^\d+$/,
    cross_ms: /^\d+$/,
    resend_ms: /^\d+$/,
    stall_ms: /^\d+$/,
    tls_ca: /^\S+$/,
    tls_cert: /^[^\s{}]*(\{id\}[^\s{}]*)*$/,
    tls_key: /^[^\s{}]*(\{id\}[^\s{}]*)*$/,
  };
  const seen = {};
  const nodes = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/#.*/, "").trim();
    const at = `${file}:${i + 1}`;
    if (!line) return;
    if (/^node\s/.test(line)) {
      const f = line.split(/\s+/);
      if (f.length !== 5) return errs.push(`${at}: node: want "node ID ROLE APPROACH ADDRESS", got "${line}"`);
      nodes.push({ id: f[1], role: f[2], approach: f[3], address: f[4], at });
      return;
    }
    const m = /^([a-z_]+)\s*=\s*(.*)$/.exec(line);
    if (!m) return errs.push(`${at}: not "key = value" nor a node line: "${line}"`);
    const [, key, value] = m;
    if (!KEYS[key]) return errs.push(`${at}: ${key}: unknown key`);
    if (seen[key]) errs.push(`${at}: ${key}: duplicate (first at line ${seen[key].line})`);
    seen[key] = { value, line: i + 1 };
    if (!KEYS[key].test(value)) errs.push(`${at}: ${key}: bad value "${value}"`);
  });
  for (const k of ["run", "routes", "cloud"]) if (!seen[k]) errs.push(`${file}: ${k}: missing`);
  if (seen.cloud && seen.cloud.value === "aws" && seen.routes && !/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/\S+$/.test(seen.routes.value))
    errs.push(`${file}:${seen.routes.line}: routes: cloud = aws wants s3://bucket/key, got "${seen.routes.value}"`);
  if (nodes.length === 0) errs.push(`${file}: node: no node lines`);
  if (nodes.length > 32) errs.push(`${file}: node: ${nodes.length} nodes, at most 32`);
  const ids = nodes.map((n) => Number(n.id));
  nodes.forEach((n) => {
    if (!/^\d+$/.test(n.id)) errs.push(`${n.at}: node: id "${n.id}" is not a number`);
    if (!["light", "car"].includes(n.role)) errs.push(`${n.at}: node: role "${n.role}" is not light or car`);
    if (n.role === "car" && !["S", "E", "N", "W"].includes(n.approach)) errs.push(`${n.at}: node: approach "${n.approach}" is not S E N W`);
    if (!/^(tcp|tls\+tcp):\/\/[^:\s]+:\d+$|^ipc:\/\/\/\S+$/.test(n.address)) errs.push(`${n.at}: node: bad address "${n.address}"`);
    const port = /:(\d+)$/.exec(n.address);
    if (port && (Number(port[1]) < 1 || Number(port[1]) > 65534)) errs.push(`${n.at}: node: port out of range (the wave port is PORT+1)`);
  });
  // TLS is all or nothing: tls_ca <=> every address tls+tcp://.
  for (const n of nodes) {
    if (seen.tls_ca && !n.address.startsWith("tls+tcp://")) errs.push(`${n.at}: node: ${n.address} is not tls+tcp://, but tls_ca is set`);
    if (!seen.tls_ca && n.address.startsWith("tls+tcp://")) errs.push(`${n.at}: node: tls+tcp:// address without tls_ca`);
  }
  if (!seen.tls_ca && (seen.tls_cert || seen.tls_key)) errs.push(`${file}: tls_cert/tls_key without tls_ca`);
  const sorted = [...ids].sort((a, b) => a - b);
  if (!sorted.every((id, i) => id === i)) errs.push(`${file}: node: ids must be 0..n-1, each once (got ${ids.join(",")})`);
  if (nodes.filter((n) => n.role === "light").length !== 1) errs.push(`${file}: node: exactly one light wanted`);
  if (!nodes.some((n) => n.role === "car")) errs.push(`${file}: node: at least one car wanted`);
  // Two nodes on one host need tcp ports at least 2 apart (request + wave).
  const byHost = {};
  for (const n of nodes) {
    const m = /^(?:tcp|tls\+tcp):\/\/([^:]+):(\d+)$/.exec(n.address);
    if (!m) continue;
    for (const p of byHost[m[1]] || [])
      if (Math.abs(p.port - Number(m[2])) < 2) errs.push(`${n.at}: node: port ${m[2]} clashes with node ${p.id} on ${m[1]}`);
    (byHost[m[1]] = byHost[m[1]] || []).push({ port: Number(m[2]), id: n.id });
  }
  return { errors: errs, settings: Object.fromEntries(Object.entries(seen).map(([k, v]) => [k, v.value])), nodes };
}

// tools/gen-certs --nodes N into a fresh directory (once per N and process):
// the files var.tls_dir points to in the TLS variants of the checks.
const certDirs = new Map();
function genCerts(nodes) {
  if (!certDirs.has(nodes)) {
    const { spawnSync } = require("child_process");
    const os = require("os");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "xroad-tf-certs-"));
    const p = spawnSync(path.join(SOURCE_DIR, "tools", "gen-certs"), ["--nodes", String(nodes), "--out", dir], { encoding: "utf8" });
    if (p.status !== 0) throw new Error(`tools/gen-certs --nodes ${nodes}: ${p.stderr || p.error}`);
    process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    certDirs.set(nodes, dir);
  }
  return certDirs.get(nodes);
}

module.exports.renderNodes = renderNodes;
module.exports.genCerts = genCerts;
module.exports.checkClusterConf = checkClusterConf;
