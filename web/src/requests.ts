// The request builder for the mock and serve harnesses: a list of requests
// (method, path, headers, cookies, body), each one row of the form, sent
// as args.requests in order.

/** One row as the user typed it. */
export interface RequestRow {
  method: string;
  uri: string;
  /** "Name: value", one a line. */
  headers: string;
  /** "name=value; other=value", as in a Cookie header. */
  cookies: string;
  body: string;
}

/** One request as the API takes it. */
export interface APIRequest {
  method: string;
  uri: string;
  headers?: Record<string, string>;
  cookies?: Record<string, string>;
  body?: string;
}

/** A row that cannot be sent, with the control to focus. */
export class RowError extends Error {
  constructor(message: string, readonly control: HTMLElement) {
    super(message);
  }
}

const methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const maxRequests = 32; // the harnesses' limit (harnesses/serve.go)

let nextID = 0;

interface Row {
  root: HTMLFieldSetElement;
  method: HTMLSelectElement;
  uri: HTMLInputElement;
  headers: HTMLTextAreaElement;
  cookies: HTMLInputElement;
  body: HTMLTextAreaElement;
}

export class RequestList {
  private rows: Row[] = [];

  constructor(private readonly list: HTMLElement, private readonly addButton: HTMLButtonElement) {
    addButton.addEventListener("click", () => {
      const row = this.add({ method: "GET", uri: "/", headers: "", cookies: "", body: "" });
      row.uri.focus();
    });
  }

  /** Replaces the rows with these. */
  set(rows: RequestRow[]): void {
    for (const r of this.rows) r.root.remove();
    this.rows = [];
    for (const r of rows) this.add(r);
  }

  /** The rows as typed, to restore them later. */
  values(): RequestRow[] {
    return this.rows.map((r) => ({
      method: r.method.value,
      uri: r.uri.value,
      headers: r.headers.value,
      cookies: r.cookies.value,
      body: r.body.value,
    }));
  }

  /** The requests for args.requests; throws a RowError for a bad row. */
  requests(): APIRequest[] {
    return this.rows.map((r) => {
      const req: APIRequest = { method: r.method.value, uri: r.uri.value.trim() || "/" };
      const headers = parsePairs(r.headers.value.split("\n"), ":");
      if (typeof headers === "string") throw new RowError(`Headers: ${headers}`, r.headers);
      if (Object.keys(headers).length) req.headers = headers;
      const cookies = parsePairs(r.cookies.value.split(";"), "=");
      if (typeof cookies === "string") throw new RowError(`Cookies: ${cookies}`, r.cookies);
      if (Object.keys(cookies).length) req.cookies = cookies;
      if (r.body.value !== "") req.body = r.body.value;
      return req;
    });
  }

  private add(v: RequestRow): Row {
    const id = `req${nextID++}`;
    const root = document.createElement("fieldset");
    root.className = "request";
    const legend = document.createElement("legend");
    root.append(legend);

    const method = document.createElement("select");
    for (const m of methods) method.add(new Option(m, m));
    method.value = methods.includes(v.method) ? v.method : "GET";
    const uri = input(v.uri);
    uri.placeholder = "/path?query";
    const headers = document.createElement("textarea");
    headers.rows = 2;
    headers.value = v.headers;
    headers.placeholder = "Accept: application/json";
    headers.spellcheck = false;
    const cookies = input(v.cookies);
    cookies.placeholder = "name=value; other=value";
    const body = document.createElement("textarea");
    body.rows = 2;
    body.value = v.body;
    body.spellcheck = false;

    const line = document.createElement("div");
    line.className = "request-line";
    line.append(labelled(`${id}-method`, "Method", method), labelled(`${id}-uri`, "Path", uri));
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove";
    line.append(remove);
    root.append(
      line,
      labelled(`${id}-headers`, "Headers, one “Name: value” a line", headers),
      labelled(`${id}-cookies`, "Cookies", cookies),
      labelled(`${id}-body`, "Body", body),
    );

    const row: Row = { root, method, uri, headers, cookies, body };
    remove.addEventListener("click", () => this.remove(row));
    this.rows.push(row);
    this.list.append(root);
    this.renumber();
    return row;
  }

  private remove(row: Row): void {
    const i = this.rows.indexOf(row);
    this.rows.splice(i, 1);
    row.root.remove();
    this.renumber();
    // Keep focus in the list: on the row that took this one's place, or
    // the add button when none is left below.
    const next = this.rows[Math.min(i, this.rows.length - 1)];
    (next ? next.uri : this.addButton).focus();
  }

  private renumber(): void {
    this.rows.forEach((r, i) => {
      r.root.querySelector("legend")!.textContent = `Request ${i + 1}`;
      const remove = r.root.querySelector<HTMLButtonElement>("button.remove")!;
      remove.textContent = "Remove";
      remove.setAttribute("aria-label", `Remove request ${i + 1}`);
      // One request at least: the harnesses need something to send.
      remove.disabled = this.rows.length === 1;
    });
    this.addButton.disabled = this.rows.length >= maxRequests;
  }
}

function input(value: string): HTMLInputElement {
  const el = document.createElement("input");
  el.value = value;
  el.autocomplete = "off";
  el.spellcheck = false;
  return el;
}

function labelled(id: string, text: string, control: HTMLElement): HTMLElement {
  const wrap = document.createElement("div");
  wrap.className = "field";
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = text;
  control.id = id;
  wrap.append(label, control);
  return wrap;
}

/**
 * Parses "name<sep>value" items (blank ones skipped) into an object, or
 * returns what is wrong with the first bad one.
 */
export function parsePairs(items: string[], sep: string): Record<string, string> | string {
  const out: Record<string, string> = {};
  for (const raw of items) {
    const item = raw.trim();
    if (item === "") continue;
    const at = item.indexOf(sep);
    if (at <= 0) return `“${item}” is not name${sep}value`;
    out[item.slice(0, at).trim()] = item.slice(at + 1).trim();
  }
  return out;
}

/** Rows for requests as the API takes them (a share's args.requests). */
export function rowsOf(reqs: unknown[]): RequestRow[] {
  const rows = reqs.map((raw) => {
    const r = (raw ?? {}) as Partial<APIRequest>;
    const pairs = (o: Record<string, string> | undefined, sep: string, join: string) =>
      Object.entries(o ?? {}).map(([k, v]) => `${k}${sep}${v}`).join(join);
    return {
      method: typeof r.method === "string" ? r.method : "GET",
      uri: typeof r.uri === "string" ? r.uri : "/",
      headers: pairs(r.headers, ": ", "\n"),
      cookies: pairs(r.cookies, "=", "; "),
      body: typeof r.body === "string" ? r.body : "",
    };
  });
  return rows.length ? rows : [{ method: "GET", uri: "/", headers: "", cookies: "", body: "" }];
}
