// Handing code to the playground in its URL: the guide's Edit links open
// /#edit=<state>, the state being base64url of its JSON in UTF-8. The
// fragment never reaches the server, and nothing is stored for it.
import type { Harness } from "./api";

export interface Handoff {
  harness: Harness;
  stub: string;
  args: Record<string, unknown>;
}

export function encodeHandoff(s: Handoff): string {
  const bytes = new TextEncoder().encode(JSON.stringify(s));
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return "edit=" + btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The state in a fragment (without its "#"), or null if it holds none. */
export function decodeHandoff(fragment: string): Handoff | null {
  if (!fragment.startsWith("edit=")) return null;
  try {
    const b64 = fragment.slice(5).replace(/-/g, "+").replace(/_/g, "/");
    const bin = atob(b64);
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    const s = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    if (typeof s?.stub !== "string" || typeof s?.harness !== "string") return null;
    return { harness: s.harness, stub: s.stub, args: typeof s.args === "object" && s.args ? s.args : {} };
  } catch {
    return null;
  }
}
