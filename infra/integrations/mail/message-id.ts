const MESSAGE_ID_DOMAIN = 'psicopay.local';

/**
 * `<key@psicopay.local>`: the same key is the same Message-ID, so a mail resent after a crash is
 * recognisably the one already sent (clients and archives thread or drop it). A msg-id's left part is
 * a dot-atom (RFC 5322 3.6.4); other characters are percent-encoded, which keeps it deterministic.
 */
export function messageIdFor(idempotencyKey: string): string {
  const atext = /[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]/;
  const encoded = [...idempotencyKey]
    .map((char) => (atext.test(char) && char !== '%' ? char : Buffer.from(char, 'utf8').toString('hex').replace(/(..)/g, '%$1').toUpperCase()))
    .join('');
  return `<${encoded}@${MESSAGE_ID_DOMAIN}>`;
}
