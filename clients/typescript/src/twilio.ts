import twilio from "twilio";

type RequestOptions<TData> = Parameters<twilio.RequestClient["request"]>[0] & { data?: TData };

/**
 * The twilio SDK's own RequestClient, sending every request to mockingbird instead of
 * *.twilio.com: it swaps scheme and host and keeps path and query, so paging links (which name
 * api.twilio.com) come here too. The SDK has no base-URL option; this is its extension point.
 */
export class MockingbirdRequestClient extends twilio.RequestClient {
  private readonly base: URL;

  constructor(baseUrl: string) {
    super();
    this.base = new URL(baseUrl);
  }

  override request<TData>(opts: RequestOptions<TData>) {
    const url = new URL(opts.uri);
    url.protocol = this.base.protocol;
    url.host = this.base.host;
    return super.request<TData>({ ...opts, uri: url.toString() });
  }
}
