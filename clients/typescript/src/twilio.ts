import twilio from "twilio";

type RequestOptions<TData> = Parameters<twilio.RequestClient["request"]>[0] & { data?: TData };

/** A request the SDK made, as it went to mockingbird. */
export interface SentRequest {
  /** Upper-case: `GET`, `POST`, `DELETE`. */
  method: string;
  /** The URL after the swap: the server's scheme and host, the SDK's path and query. */
  uri: string;
  /** The query parameters the SDK passed apart from the URL (a list's first page has its filters here). */
  params: object | undefined;
  /** The form parameters of a POST. */
  data: unknown;
}

/**
 * The twilio SDK's own RequestClient, sending every request to mockingbird instead of
 * *.twilio.com: it swaps scheme and host and keeps path and query, so paging links (which name
 * api.twilio.com) come here too. The SDK has no base-URL option; this is its extension point.
 *
 * `requests` records what the SDK sent, oldest first, so a test can see how it paged; empty it
 * (`requests.length = 0`) to look at what comes next.
 */
export class MockingbirdRequestClient extends twilio.RequestClient {
  readonly requests: SentRequest[] = [];
  private readonly base: URL;

  constructor(baseUrl: string) {
    super();
    this.base = new URL(baseUrl);
  }

  override request<TData>(opts: RequestOptions<TData>) {
    const url = new URL(opts.uri);
    url.protocol = this.base.protocol;
    url.host = this.base.host;
    const uri = url.toString();
    this.requests.push({ method: String(opts.method).toUpperCase(), uri, params: opts.params, data: opts.data });
    return super.request<TData>({ ...opts, uri });
  }
}
