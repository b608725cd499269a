import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Calls } from "./gen/mockingbird/v1/calls_pb.js";
import { Clock } from "./gen/mockingbird/v1/clock_pb.js";
import { Events } from "./gen/mockingbird/v1/events_pb.js";
import { Messages } from "./gen/mockingbird/v1/messages_pb.js";
import { Numbers } from "./gen/mockingbird/v1/numbers_pb.js";
import { Rules } from "./gen/mockingbird/v1/rules_pb.js";
import { Tenants } from "./gen/mockingbird/v1/tenants_pb.js";
import { WhatsApp } from "./gen/mockingbird/v1/whatsapp_pb.js";
import { Tenant } from "./tenant.js";

/** The generated Connect client of every control-plane service. */
export interface ControlPlane {
  tenants: Client<typeof Tenants>;
  numbers: Client<typeof Numbers>;
  rules: Client<typeof Rules>;
  clock: Client<typeof Clock>;
  messages: Client<typeof Messages>;
  events: Client<typeof Events>;
  whatsapp: Client<typeof WhatsApp>;
  calls: Client<typeof Calls>;
}

export interface StartOptions {
  /** The `mockingbird` binary; else `$MOCKINGBIRD_BIN`, else `mockingbird` on PATH. */
  binary?: string;
  /**
   * YAML for the server's config file: the config account's SID and token, its number lists, the
   * validation switches (README.md, "Configuration"). Without it the server runs on its defaults.
   */
  config?: string;
  /** Config keys, each passed as `--set key=value`: `{ "twilio.callbacks.delay_seconds": 0.1 }`. */
  settings?: Record<string, string | number | boolean>;
  /** Require this control token (`control.token`) and send it. */
  token?: string;
  /** How long the server may take to write its ready file; 15 s by default. */
  readyTimeoutMs?: number;
}

export interface ConnectOptions {
  /** The control token (`authorization: Bearer …`); else `$MOCKINGBIRD_TOKEN`. */
  token?: string;
  /**
   * Where the Twilio and Cloud API facades listen (`http://127.0.0.1:8080`); else
   * `$MOCKINGBIRD_HTTP`, else the gRPC address (a server with `control.on_http_port: true`).
   */
  httpUrl?: string;
}

const STOP_TIMEOUT_MS = 5_000;

/**
 * A mockingbird server: one this process started (`Mockingbird.start()`), on free ports, or one
 * already running (`Mockingbird.connect()`). Tests share it; each gets a tenant of its own.
 *
 *     await using mb = await Mockingbird.start();
 *     await using tenant = await mb.tenant("sends a code");
 */
export class Mockingbird implements AsyncDisposable {
  /** The raw generated clients, for what the layer does not wrap. */
  readonly control: ControlPlane;

  private constructor(
    /** `http://127.0.0.1:PORT` of the control plane. */
    readonly grpcUrl: string,
    /** `http://127.0.0.1:PORT` of the Twilio and Cloud API facades. */
    readonly httpUrl: string,
    token: string | undefined,
    private readonly process: ServerProcess | null,
  ) {
    this.control = controlPlane(grpcTransport(grpcUrl, token));
  }

  /** Start the binary on free ports with an in-memory database, and wait until it is ready. */
  static async start(options: StartOptions = {}): Promise<Mockingbird> {
    const settings = { ...options.settings };
    if (options.token !== undefined) settings["control.token"] = options.token;
    const server = await ServerProcess.start(findBinary(options.binary), options.config, settings, options.readyTimeoutMs ?? 15_000);
    return new Mockingbird(`http://${server.grpc}`, `http://${server.http}`, options.token, server);
  }

  /** Use a running server: `address` (else `$MOCKINGBIRD_GRPC`) is its control plane. */
  static async connect(address = process.env.MOCKINGBIRD_GRPC, options: ConnectOptions = {}): Promise<Mockingbird> {
    if (!address) throw new Error("Mockingbird.connect: no address given and MOCKINGBIRD_GRPC is not set");
    const grpcUrl = withScheme(address);
    const httpUrl = withScheme(options.httpUrl ?? process.env.MOCKINGBIRD_HTTP ?? address);
    const mb = new Mockingbird(grpcUrl, httpUrl, options.token ?? process.env.MOCKINGBIRD_TOKEN, null);
    await mb.control.tenants.getTenant({}); // fail here, with the address, rather than in a test
    return mb;
  }

  /** A fresh tenant: its own credentials, numbers, rules, clock and events. */
  async tenant(label = ""): Promise<Tenant> {
    const tenant = await this.control.tenants.createTenant({ label });
    return new Tenant(this, tenant);
  }

  /** Every account on the server (the config file's and each tenant), oldest first, as handles. */
  async tenants(): Promise<Tenant[]> {
    const { tenants } = await this.control.tenants.listTenants({});
    return tenants.map((tenant) => new Tenant(this, tenant));
  }

  /**
   * A handle on an account the server already has: `accountSid`, else the config file's. It acts
   * as a tenant does, but nothing deletes it: it is the server's, not the test's.
   */
  async account(accountSid = ""): Promise<Tenant> {
    const tenant = await this.control.tenants.getTenant({ accountSid });
    return new Tenant(this, tenant);
  }

  /** What the server printed (a server this process started), for failure reports. */
  output(): string {
    return this.process?.output() ?? "";
  }

  /**
   * Add what the server printed to a failed test's error, so that its report shows the
   * server's side. Both are extended: the TAP reporter prints the message, the spec reporter
   * the stack. Stop the server first, so that all it wrote has been read.
   */
  attachOutput(error: unknown): void {
    if (!(error instanceof Error)) return;
    const log = `\n--- mockingbird output (${this.httpUrl}) ---\n${this.output()}--- end of mockingbird output ---`;
    // V8 formats the stack lazily, from the message at its first read: read it before changing the message.
    const stack = error.stack ?? "";
    error.message += log;
    error.stack = stack + log;
  }

  /** Stop a server this process started; a connected one is left running. */
  async stop(): Promise<void> {
    await this.process?.stop();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

function withScheme(address: string): string {
  return /^https?:\/\//.test(address) ? address.replace(/\/$/, "") : `http://${address}`;
}

function grpcTransport(baseUrl: string, token: string | undefined): Transport {
  const bearer: Interceptor = (next) => (request) => {
    request.header.set("authorization", `Bearer ${token}`);
    return next(request);
  };
  return createGrpcTransport({ baseUrl, interceptors: token ? [bearer] : [] });
}

function controlPlane(transport: Transport): ControlPlane {
  return {
    tenants: createClient(Tenants, transport),
    numbers: createClient(Numbers, transport),
    rules: createClient(Rules, transport),
    clock: createClient(Clock, transport),
    messages: createClient(Messages, transport),
    events: createClient(Events, transport),
    whatsapp: createClient(WhatsApp, transport),
    calls: createClient(Calls, transport),
  };
}

function findBinary(given: string | undefined): string {
  const candidates = given ? [given] : process.env.MOCKINGBIRD_BIN ? [process.env.MOCKINGBIRD_BIN] : pathCandidates();
  for (const candidate of candidates) {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not this one
    }
  }
  const where = given ? given : process.env.MOCKINGBIRD_BIN ? `MOCKINGBIRD_BIN=${process.env.MOCKINGBIRD_BIN}` : "PATH";
  throw new Error(`mockingbird binary not found (${where}): pass { binary }, set MOCKINGBIRD_BIN, or put it on PATH`);
}

function pathCandidates(): string[] {
  return (process.env.PATH ?? "").split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, "mockingbird"));
}

// Servers still running. Should this process end without stopping them (an uncaught error, a
// runner's SIGTERM on a test that hung), they die with it rather than linger.
const running = new Set<ChildProcess>();
function killRunning(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}
process.on("exit", killRunning);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.once(signal, () => {
    killRunning();
    // Alone, this handler replaced the default of dying of the signal: die of it as usual.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}

class ServerProcess {
  private exited: Promise<void>;
  private done = false;
  /** `127.0.0.1:PORT` of each listener, from the ready file. */
  http = "";
  grpc = "";

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    private readonly chunks: Buffer[],
  ) {
    this.exited = new Promise((resolve) => {
      // "close", not "exit": by then its stdout and stderr have been read to the end.
      child.once("close", () => {
        this.done = true;
        running.delete(child);
        resolve();
      });
      child.once("error", () => {
        this.done = true;
        running.delete(child);
        resolve();
      });
    });
  }

  static async start(
    binary: string,
    config: string | undefined,
    settings: Record<string, unknown>,
    readyTimeoutMs: number,
  ): Promise<ServerProcess> {
    // Its own directory as the working directory: no ./config.yaml of the caller is read.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mockingbird-ts-"));
    const ready = path.join(dir, "ready.json");
    const args = ["serve", "--host", "127.0.0.1", "--port", "0", "--grpc-port", "0", "--database", ":memory:", "--ready-file", ready];
    if (config !== undefined) {
      const file = path.join(dir, "config.yaml");
      fs.writeFileSync(file, config);
      args.push("--config", file);
    }
    for (const [key, value] of Object.entries(settings)) args.push("--set", `${key}=${value}`);
    const chunks: Buffer[] = [];
    const child = spawn(binary, args, { cwd: dir, env: serverEnv(), stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    child.stdout!.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.stderr!.on("data", (chunk: Buffer) => chunks.push(chunk));
    let spawnError: Error | null = null;
    child.once("error", (err) => (spawnError = err));
    const server = new ServerProcess(child, dir, chunks);

    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      const address = readReadyFile(ready);
      if (address) return Object.assign(server, address);
      const why = spawnError
        ? `could not start ${binary}: ${(spawnError as Error).message}`
        : server.done
          ? `${binary} exited before it was ready`
          : Date.now() >= deadline
            ? `${binary} did not write its ready file within ${readyTimeoutMs} ms`
            : null;
      if (why) {
        await server.stop();
        throw new Error(`${why}\ncommand: ${binary} ${args.join(" ")}\n--- server output ---\n${server.output()}`);
      }
      await sleep(20);
    }
  }

  output(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }

  async stop(): Promise<void> {
    if (!this.done) {
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), STOP_TIMEOUT_MS);
      await this.exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The ready file's addresses, or null while it is absent or half-written. */
function readReadyFile(file: string): { http: string; grpc: string } | null {
  try {
    const { http, grpc } = JSON.parse(fs.readFileSync(file, "utf8"));
    return typeof http === "string" && http && typeof grpc === "string" && grpc ? { http, grpc } : null;
  } catch {
    return null;
  }
}

/** The caller's environment without MOCKINGBIRD_* (the server reads those as config). */
function serverEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("MOCKINGBIRD_")));
  // Webhooks go to 127.0.0.1: never through a proxy the environment names.
  env.NO_PROXY = env.no_proxy = "127.0.0.1,localhost";
  env.NO_COLOR = "1";
  return env;
}
