/**
 * `AMQP_URL` names one broker node or several (a cluster), comma-separated:
 * `amqp://guest:guest@10.0.0.1:5672,amqp://guest:guest@10.0.0.2:5672`.
 * Returns the node URLs in the order given; throws naming the part that is not an AMQP URL.
 */
export function amqpNodeUrls(list: string): string[] {
  const urls = list
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  if (urls.length === 0) throw new Error('names no broker node');
  for (const url of urls) {
    let protocol: string;
    try {
      protocol = new URL(url).protocol;
    } catch {
      throw new Error(`${url} is not a URL`);
    }
    if (protocol !== 'amqp:' && protocol !== 'amqps:') throw new Error(`${url} is not an amqp:// or amqps:// URL`);
  }
  return urls;
}
