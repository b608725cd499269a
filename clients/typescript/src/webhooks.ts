import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import twilio from "twilio";
import { spanMs, type Span } from "./durations.js";

/** One request the receiver got. */
export interface ReceivedRequest {
  method: string;
  /** The full URL as the sender called it: what Twilio signs. */
  url: string;
  path: string;
  /** The query parameters (a GET webhook carries Twilio's parameters here). */
  query: Record<string, string>;
  /** Lower-case header names. */
  headers: http.IncomingHttpHeaders;
  /** The raw body: what Meta signs. */
  body: Buffer;
  /** The first value of each form parameter of a form-encoded body. */
  form: Record<string, string>;
  /** The body parsed as JSON (a WhatsApp webhook); throws when it is not JSON. */
  json(): any;
}

/** What the receiver answers: 200 with an empty body unless told otherwise. */
export interface Reply {
  status?: number;
  contentType?: string;
  body?: string;
}

export type Responder = (request: ReceivedRequest) => Reply | void;

/**
 * The app's side when a test has no app: an HTTP server on 127.0.0.1 (a free port) that records
 * each request and answers it, by default 200 and an empty body; `on(path, responder)` answers
 * a path otherwise (an app's TwiML, say).
 *
 *     await using receiver = await WebhookReceiver.start();
 *     receiver.on("/sms", () => ({ contentType: "text/xml", body: "<Response><Message>Hi</Message></Response>" }));
 */
export class WebhookReceiver implements AsyncDisposable {
  readonly requests: ReceivedRequest[] = [];
  private readonly responders = new Map<string, Responder>();
  private fallbackResponder: Responder | null = null;
  private readonly waiters = new Set<() => void>();
  private readonly server: http.Server;
  private base = "";

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    await new Promise<void>((resolve, reject) => {
      receiver.server.once("error", reject);
      receiver.server.listen(0, "127.0.0.1", resolve);
    });
    const { address, port } = receiver.server.address() as AddressInfo;
    receiver.base = `http://${address}:${port}`;
    return receiver;
  }

  private constructor() {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => this.answer(req, Buffer.concat(chunks), res));
    });
  }

  /** `http://127.0.0.1:PORT` + `path`. */
  url(path = "/"): string {
    return this.base + path;
  }

  /** Answer requests to `path` with what `responder` returns. */
  on(path: string, responder: Responder): this {
    this.responders.set(path, responder);
    return this;
  }

  /**
   * Answer requests to paths no `on` names with what `responder` returns: an app that checks
   * every request (a signature, say) before it looks at the path.
   */
  fallback(responder: Responder): this {
    this.fallbackResponder = responder;
    return this;
  }

  /**
   * The first request (received already, or to come) for which `predicate` holds; rejects after
   * `timeout` (5 s by default) listing what was received.
   */
  async waitFor(predicate: (request: ReceivedRequest) => boolean, timeout: Span = 5_000): Promise<ReceivedRequest> {
    const requests = await this.waitUntil((requests) => requests.some(predicate), timeout);
    return requests.find(predicate)!;
  }

  /**
   * The requests received so far, once `done(requests)` holds for them (`requests => requests.length
   * >= 4`, say); rejects after `timeout` (5 s by default) listing what was received.
   */
  waitUntil(done: (requests: ReceivedRequest[]) => boolean, timeout: Span = 5_000): Promise<ReceivedRequest[]> {
    const timeoutMs = spanMs(timeout);
    return new Promise((resolve, reject) => {
      const check = () => {
        try {
          const requests = [...this.requests];
          if (done(requests)) {
            finish();
            resolve(requests);
          }
        } catch (err) {
          finish(); // a predicate that throws ends the wait with its error
          reject(err);
        }
      };
      const timer = setTimeout(() => {
        finish();
        const seen = this.requests.map((r) => `  ${r.method} ${r.url} ${r.body.toString("utf8").slice(0, 200)}`);
        reject(new Error(`webhook receiver: what was awaited did not come within ${timeoutMs} ms; received:\n${seen.join("\n") || "  (none)"}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private answer(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    const url = new URL(this.base + req.url);
    const form: Record<string, string> = {};
    if (String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
      for (const [name, value] of new URLSearchParams(body.toString("utf8"))) form[name] ??= value;
    }
    const request: ReceivedRequest = {
      method: req.method ?? "GET",
      url: url.toString(),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
      form,
      json: () => JSON.parse(body.toString("utf8")),
    };
    let reply: Reply;
    try {
      const responder = this.responders.get(request.path) ?? this.fallbackResponder;
      reply = responder?.(request) ?? {};
    } catch (err) {
      reply = { status: 500, contentType: "text/plain", body: String((err as Error)?.stack ?? err) };
    }
    const payload = Buffer.from(reply.body ?? "", "utf8");
    res.writeHead(reply.status ?? 200, {
      "Content-Type": reply.contentType ?? "text/xml",
      "Content-Length": String(payload.length),
    });
    res.end(payload);
    this.requests.push(request);
    for (const wake of [...this.waiters]) wake();
  }
}

/**
 * Whether `request` carries a valid `X-Twilio-Signature` for `authToken`, checked by the twilio
 * SDK's own validator over the URL and the form parameters (or the query, for a GET).
 */
export function validTwilioSignature(request: ReceivedRequest, authToken: string): boolean {
  const signature = request.headers["x-twilio-signature"];
  if (typeof signature !== "string") return false;
  const params = request.method === "GET" ? {} : request.form;
  return twilio.validateRequest(authToken, signature, request.url, params);
}

/**
 * Whether `request` carries a valid `X-Hub-Signature-256` (Meta's HMAC-SHA256 of the raw body
 * with the app secret). Meta ships no Node validator; this is the check its docs describe.
 */
export function validMetaSignature(request: ReceivedRequest, appSecret: string): boolean {
  const header = request.headers["x-hub-signature-256"];
  if (typeof header !== "string" || !header.startsWith("sha256=")) return false;
  const expected = Buffer.from(createHmac("sha256", appSecret).update(request.body).digest("hex"), "utf8");
  const given = Buffer.from(header.slice("sha256=".length), "utf8");
  return given.length === expected.length && timingSafeEqual(given, expected);
}
