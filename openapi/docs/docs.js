// Renders /openapi.json: one section per operation, grouped by tag, with
// parameters, request body and responses; schemas as nested lists with
// their $refs resolved. Plain DOM code, no dependencies.
"use strict";

let doc;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) if (c != null) e.append(c);
  return e;
}

function resolve(s) {
  if (s && s.$ref) return [s.$ref.split("/").pop(), doc.components.schemas[s.$ref.split("/").pop()]];
  return [null, s];
}

function typeName(s) {
  const [name, r] = resolve(s);
  if (name) return name;
  if (!r) return "any";
  if (r.enum) return r.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (r.const !== undefined) return JSON.stringify(r.const);
  if (r.anyOf) return r.anyOf.map(typeName).join(" | ");
  if (r.oneOf) return r.oneOf.map(typeName).join(" | ");
  if (r.type === "array") return typeName(r.items) + "[]";
  if (Array.isArray(r.type)) return r.type.join(" | ");
  return r.type || "any";
}

// schemaList renders an object's properties (and what they hold) as a
// nested list, expanding each named schema once per branch.
function schemaList(s, seen) {
  const [name, r] = resolve(s);
  if (!r || (name && seen.has(name))) return null;
  const next = new Set(seen);
  if (name) next.add(name);
  let target = r;
  if (r.type === "array" && r.items) return schemaList(r.items, next);
  for (const alt of r.anyOf || r.oneOf || []) {
    const l = schemaList(alt, next);
    if (l) return l;
  }
  if (!target.properties) return null;
  const ul = el("ul", { class: "schema" });
  const req = new Set(target.required || []);
  for (const [prop, ps] of Object.entries(target.properties)) {
    const [, pr] = resolve(ps);
    const li = el("li", {}, el("code", {}, prop), " ", el("span", { class: "type" }, typeName(ps)),
      req.has(prop) ? el("span", { class: "req" }, " required") : null,
      pr && pr.description ? el("span", { class: "desc" }, " — " + pr.description) : null);
    const sub = schemaList(ps, next);
    if (sub) li.append(sub);
    ul.append(li);
  }
  return ul;
}

// content renders a body's media types and schemas; a named schema
// already expanded in this operation (shown) is named, not repeated.
function content(c, shown) {
  const out = [];
  for (const [media, m] of Object.entries(c || {})) {
    out.push(el("div", {}, el("code", {}, media), " ", el("span", { class: "type" }, typeName(m.schema))));
    const [name] = resolve(m.schema);
    if (name && shown.has(name)) continue;
    if (name) shown.add(name);
    const l = schemaList(m.schema, new Set());
    if (l) out.push(l);
  }
  return out;
}

function operation(method, path, op) {
  const id = op.operationId;
  const s = el("section", { class: "op", id },
    el("h3", {}, el("span", { class: "method" }, method), el("span", { class: "path" }, path)),
    el("p", {}, op.summary || ""));
  if (op.description) s.append(el("p", { class: "desc" }, op.description));
  const shown = new Set();
  if (op.parameters && op.parameters.length) {
    const t = el("table", {}, el("tr", {}, el("th", {}, "parameter"), el("th", {}, "in"), el("th", {}, "type"), el("th", {}, "")));
    for (const p of op.parameters) {
      t.append(el("tr", {}, el("td", {}, el("code", {}, p.name)), el("td", {}, p.in),
        el("td", { class: "type" }, typeName(p.schema)), el("td", {}, p.description || "")));
    }
    s.append(el("h4", {}, "Parameters"), t);
  }
  if (op.requestBody) {
    s.append(el("h4", {}, "Request body"));
    if (op.requestBody.description) s.append(el("p", { class: "desc" }, op.requestBody.description));
    s.append(...content(op.requestBody.content, shown));
  }
  s.append(el("h4", {}, "Responses"));
  for (const [code, r] of Object.entries(op.responses)) {
    s.append(el("div", {}, el("strong", {}, code), " ", r.description));
    s.append(...content(r.content, shown));
  }
  return s;
}

async function main() {
  const res = await fetch("/openapi.json");
  doc = await res.json();
  document.getElementById("title").textContent = doc.info.title + " " + doc.info.version;
  const ops = document.getElementById("ops");
  const toc = document.getElementById("toc");
  ops.textContent = "";
  const byTag = new Map((doc.tags || []).map((t) => [t.name, []]));
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = (op.tags || ["other"])[0];
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push([method, path, op]);
    }
  }
  for (const t of doc.tags || []) byTag.get(t.name).desc = t.description;
  for (const [tag, list] of byTag) {
    if (!list.length) continue;
    ops.append(el("h2", { id: "tag-" + tag }, tag));
    if (list.desc) ops.append(el("p", { class: "desc" }, list.desc));
    for (const [method, path, op] of list) {
      ops.append(operation(method, path, op));
      toc.append(el("a", { href: "#" + op.operationId }, method.toUpperCase() + " " + path));
    }
  }
  if (doc.info.description) ops.prepend(el("p", {}, doc.info.description));
}

main().catch((e) => {
  document.getElementById("ops").textContent = "Could not render the contract: " + e;
});
